//! Agents on other MCP servers: pooled connections, and calls that carry the
//! budget grant out and charge the reported usage back.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use rmcp::ServiceError;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, JsonObject, ProtocolVersion, RequestMetaObject,
};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, Peer, RoleClient, RunningService};
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::OnceCell;
use tokio_util::task::AbortOnDropHandle;

use crate::budget::Reservation;
use crate::budget::wire::{BUDGET_KEY, grant_value, read_budget_error, read_usage};
use crate::budget::{Budget, Usage};
use crate::call::CallError;
use crate::config::RemoteServer;
use crate::context::AgentContext;
use crate::definition::AgentDefinition;
use crate::execution::{Interrupted, guarded};
use crate::telemetry::{inject_into, spans};
use tracing::Instrument;

type Connection = RunningService<RoleClient, ()>;

/// One connection per configured server, opened on first use and reused by
/// every call after it.
#[derive(Debug)]
pub(crate) struct RemotePool {
    servers: BTreeMap<String, RemoteServer>,
    connections: Mutex<HashMap<String, Arc<OnceCell<Connection>>>>,
}

impl RemotePool {
    pub fn new(servers: BTreeMap<String, RemoteServer>) -> Self {
        RemotePool {
            servers,
            connections: Mutex::new(HashMap::new()),
        }
    }

    /// The connection to `server`, opened on first use.
    pub(crate) async fn peer(&self, server: &str) -> Result<Peer<RoleClient>, String> {
        let Some(config) = self.servers.get(server) else {
            return Err(format!(
                "no server `{server}` is configured; name it under [servers.{server}] in agentwire.toml"
            ));
        };
        let cell = {
            let mut connections = self.connections.lock().unwrap_or_else(|e| e.into_inner());
            connections.entry(server.to_owned()).or_default().clone()
        };
        let connection = cell.get_or_try_init(|| connect(server, config)).await?;
        Ok(connection.peer().clone())
    }

    /// Closes every open connection: stdio servers see their input end and
    /// exit by themselves.
    pub async fn close_all(&self) {
        let cells: Vec<_> = {
            let mut connections = self.connections.lock().unwrap_or_else(|e| e.into_inner());
            connections.drain().map(|(_, cell)| cell).collect()
        };
        for cell in cells {
            if let Some(connection) = Arc::into_inner(cell).and_then(OnceCell::into_inner) {
                let _ = connection.cancel().await;
            }
        }
    }

    /// Forgets a connection that failed, so the next call opens a new one.
    fn forget(&self, server: &str) {
        let mut connections = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        connections.remove(server);
    }
}

async fn connect(name: &str, config: &RemoteServer) -> Result<Connection, String> {
    // Prefer the stateless 2026-07-28 protocol; fall back for older servers.
    let lifecycle = ClientLifecycleMode::Auto {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        legacy_version: Some(ProtocolVersion::V_2025_11_25),
    };
    let connected = if let Some(url) = &config.url {
        let transport = StreamableHttpClientTransport::from_uri(url.clone());
        ().serve_with_lifecycle(transport, lifecycle).await
    } else {
        let command = config.command.as_deref().unwrap_or_default();
        let transport =
            TokioChildProcess::new(tokio::process::Command::new(command).configure(|c| {
                c.args(&config.args).envs(&config.env);
                if let Some(cwd) = &config.cwd {
                    c.current_dir(cwd);
                }
            }))
            .map_err(|e| format!("cannot start server `{name}` (`{command}`): {e}"))?;
        ().serve_with_lifecycle(transport, lifecycle).await
    };
    connected.map_err(|e| format!("cannot connect to server `{name}`: {e}"))
}

/// What a tool of another server answered.
#[derive(Debug, Clone)]
pub(crate) struct RemoteAnswer {
    pub structured: Option<Value>,
    /// The text blocks, joined by newlines.
    pub text: String,
}

/// Calls the remote agent `callee` as a child of `caller`, granting it what
/// the caller may still spend (held back until it reports its usage).
pub async fn call_remote<T: DeserializeOwned>(
    caller: &AgentContext,
    callee: &'static AgentDefinition,
    server: &'static str,
    arguments: JsonObject,
    narrowing: Budget,
) -> Result<T, CallError> {
    let answer = call_remote_tool(
        caller,
        callee.name,
        callee.policy,
        server,
        arguments,
        narrowing,
    )
    .await?;
    decode_output(answer.structured, answer.text).map_err(|e| CallError::Remote {
        agent: callee.name,
        server,
        message: format!("the result does not match the declared type: {e}"),
    })
}

/// Calls the tool `agent` of `server` as a child of `caller` whose own
/// policy is `policy`: the budget grant goes out in `_meta`, the reported
/// usage comes back and is charged (a server that reports none is charged
/// one call). An `isError` result is [`CallError::Agent`] with its text, or
/// [`CallError::BudgetExceeded`] when it reports a budget error.
pub(crate) async fn call_remote_tool(
    caller: &AgentContext,
    agent: &'static str,
    policy: Budget,
    server: &'static str,
    arguments: JsonObject,
    narrowing: Budget,
) -> Result<RemoteAnswer, CallError> {
    let child = caller
        .child_named(agent, policy, narrowing)
        .map_err(|exceeded| CallError::BudgetExceeded { agent, exceeded })?;
    let grant = grant_for_remote(child.remaining_budget());
    let reservation = child
        .scope()
        .reserve(Usage {
            input_tokens: grant.tokens.unwrap_or(0),
            cost_micros: grant.cost_micros.unwrap_or(0),
            calls: grant.calls.map_or(0, |c| c.saturating_sub(1)),
            ..Usage::default()
        })
        .map_err(|exceeded| CallError::BudgetExceeded { agent, exceeded })?;

    let span = spans::client_span(agent, server);
    let mut meta = RequestMetaObject::new();
    meta.insert(BUDGET_KEY.into(), grant_value(&grant));
    inject_into(&span, &mut meta);
    let mut params = CallToolRequestParams::new(agent).with_arguments(arguments);
    params.meta = Some(meta);

    let outcome = call_over_mcp(&child, agent, server, params, reservation)
        .instrument(span.clone())
        .await;
    if let Err(error) = &outcome {
        spans::record_error(&span, error.error_type());
    }
    outcome
}

/// The remote call itself, under its CLIENT span.
async fn call_over_mcp(
    child: &AgentContext,
    agent: &'static str,
    server: &'static str,
    params: CallToolRequestParams,
    reservation: Reservation,
) -> Result<RemoteAnswer, CallError> {
    let remote_error = |message: String| CallError::Remote {
        agent,
        server,
        message,
    };
    // rmcp's client opens spans of its own under the current span and keeps
    // them for as long as the connection lives, which would keep this call's
    // CLIENT span open too: the request runs on a task of its own (aborted,
    // which cancels the request, if this call is dropped).
    let host = child.host().clone();
    let request = AbortOnDropHandle::new(tokio::spawn(async move {
        let pool = &host.remotes;
        let peer = pool.peer(server).await?;
        match peer.call_tool(params.clone()).await {
            Err(ServiceError::TransportClosed) => {
                // The server went away since the last call: one new connection.
                pool.forget(server);
                let peer = pool.peer(server).await?;
                peer.call_tool(params).await.map_err(|e| e.to_string())
            }
            other => other.map_err(|e| e.to_string()),
        }
    }));
    let result = guarded(child, async {
        request
            .await
            .map_err(|e| format!("the request task failed: {e}"))?
    })
    .await;
    let result: CallToolResult = match result {
        Ok(Ok(result)) => result,
        Ok(Err(message)) => return Err(remote_error(message)),
        Err(Interrupted::Cancelled) => return Err(CallError::Cancelled { agent }),
        Err(Interrupted::Panicked(message)) => return Err(remote_error(message)),
        Err(Interrupted::OutOfTime(exceeded)) => {
            return Err(CallError::BudgetExceeded { agent, exceeded });
        }
    };

    let meta = result.meta.as_deref().cloned().unwrap_or_default();
    let usage = read_usage(&meta).unwrap_or(Usage {
        calls: 1,
        ..Usage::default()
    });
    if let Err(exceeded) = reservation.settle(usage) {
        return Err(CallError::BudgetExceeded { agent, exceeded });
    }
    let text: String = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    if result.is_error == Some(true) {
        return Err(match read_budget_error(&meta) {
            Some((exceeded, at)) => {
                child
                    .scope()
                    .record(exceeded, at.as_deref().unwrap_or(agent));
                CallError::BudgetExceeded { agent, exceeded }
            }
            None => CallError::Agent {
                agent,
                message: text,
            },
        });
    }
    Ok(RemoteAnswer {
        structured: result.structured_content,
        text,
    })
}

/// A remote callee gets what its caller may still use, less a reserve of
/// time for the answer to travel back: a tenth of the time left, at least
/// 50 ms and at most 1 s, and never more than half. Its call count includes
/// itself, which `remaining` (taken after its call was counted) does not.
fn grant_for_remote(mut remaining: Budget) -> Budget {
    use std::time::Duration;
    remaining.calls = remaining.calls.map(|calls| calls.saturating_add(1));
    if let Some(time) = remaining.time {
        let reserve = (time / 10)
            .clamp(Duration::from_millis(50), Duration::from_secs(1))
            .min(time / 2);
        remaining.time = Some(time - reserve);
    }
    remaining
}

fn decode_output<T: DeserializeOwned>(
    structured: Option<Value>,
    text: String,
) -> Result<T, serde_json::Error> {
    if let Some(value) = structured {
        return serde_json::from_value(value);
    }
    // A plain-text tool answers a `String`; other types come as JSON text.
    serde_json::from_value(Value::String(text.clone())).or_else(|_| serde_json::from_str(&text))
}
