//! Calls to tools of other MCP servers: the budget grant goes out in
//! `_meta` with the trace context, the reported usage comes back and is
//! charged.

use rmcp::ServiceError;
use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject, RequestMetaObject};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::task::AbortOnDropHandle;
use tracing::Instrument;

use crate::agent::execution::guarded;
use crate::agent::{AgentContext, AgentDefinition, CallError, Failure, Subject};
use crate::budget::{Budget, Reservation, Usage};
use crate::mcp::meta::{BUDGET_KEY, grant_value, read_budget_error, read_usage};
use crate::telemetry::{inject_into, spans};

use super::config::UnreportedUsage;
use super::pool::{RemotePool, SignedIn};
use super::sign_in::SignIns;
use crate::mcp::elicitation::{Elicitation, pass_over_url};
use std::time::Duration;

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
    let call = RemoteCall::new(server, callee.name)
        .policy(callee.policy)
        .narrowing(narrowing)
        .idempotent(callee.annotations.idempotent == Some(true));
    let answer = call_remote_tool(caller, call, arguments).await?;
    decode_output(answer.structured, answer.text).map_err(|e| CallError::Remote {
        agent: callee.name,
        server,
        message: format!("the result does not match the declared type: {e}"),
    })
}

/// A call to a tool of another server: which one, and the limits on it
/// beyond what the caller may still use.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RemoteCall {
    pub server: &'static str,
    pub tool: &'static str,
    /// The callee's own policy (unlimited for a tool that is not one of
    /// this process's remote agents).
    pub policy: Budget,
    /// What the caller narrows the call to.
    pub narrowing: Budget,
    /// Whether the tool is annotated idempotent: only then is the call sent
    /// again on a new connection when the old one broke (it may have run).
    pub idempotent: bool,
}

impl RemoteCall {
    /// A call to `tool` of `server`, limited only by the caller's budget.
    pub fn new(server: &'static str, tool: &'static str) -> Self {
        RemoteCall {
            server,
            tool,
            policy: Budget::UNLIMITED,
            narrowing: Budget::UNLIMITED,
            idempotent: false,
        }
    }

    /// Whether the tool is annotated idempotent (`idempotentHint`).
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// The callee's own policy.
    pub fn policy(mut self, policy: Budget) -> Self {
        self.policy = policy;
        self
    }

    /// A narrower budget than what the caller may still use.
    pub fn narrowing(mut self, narrowing: Budget) -> Self {
        self.narrowing = narrowing;
        self
    }
}

/// Calls `call.tool` of `call.server` as a child of `caller`: the budget grant goes out in `_meta`, the reported
/// usage comes back and is charged, clamped to what was reserved (a server
/// that reports none is charged by its `unreported_usage` policy). An `isError` result is [`CallError::Agent`] with its text, or
/// [`CallError::BudgetExceeded`] when it reports a budget error.
pub(crate) async fn call_remote_tool(
    caller: &AgentContext,
    call: RemoteCall,
    arguments: JsonObject,
) -> Result<RemoteAnswer, CallError> {
    let RemoteCall {
        server,
        tool: agent,
        policy,
        narrowing,
        idempotent,
    } = call;
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
    // A call that ends without a report (none, unreadable, or stopped
    // first) is charged by the server's policy: the call and its time (the
    // reservation goes back when dropped), or all that was reserved.
    let policy = RemotePool::of(caller.host()).map(|pool| pool.unreported_usage(server));
    let reservation = match policy {
        Ok(UnreportedUsage::Reserved) => reservation.spent_if_unsettled(),
        _ => reservation,
    };

    let span = spans::client_span(agent, server);
    let mut meta = RequestMetaObject::new();
    meta.insert(BUDGET_KEY.into(), grant_value(&grant));
    inject_into(&span, &mut meta);
    let mut params = CallToolRequestParams::new(agent).with_arguments(arguments);
    params.meta = Some(meta);

    let outcome = call_over_mcp(&child, (agent, server, idempotent), params, reservation)
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
    (agent, server, idempotent): (&'static str, &'static str, bool),
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
    let user = match guarded(child, signed_in(child, server)).await {
        Ok(Ok(user)) => user,
        Ok(Err(message)) => return Err(remote_error(message)),
        Err(interrupted) => {
            return Err(Failure::interrupted(Subject::agent(agent), interrupted).into_call_error());
        }
    };
    let host = child.host().clone();
    let request = AbortOnDropHandle::new(tokio::spawn(async move {
        let pool = RemotePool::of(&host)?;
        let user = user.as_ref();
        let peer = pool.peer_as(server, user).await?;
        match peer.call_tool(params.clone()).await {
            Err(ServiceError::TransportClosed) => {
                // The connection broke: the next call opens a new one. The
                // request may have reached the server and run, so it is
                // sent again only when the tool says that is harmless.
                pool.forget_as(server, user);
                if !idempotent {
                    return Err(format!(
                        "the connection to server `{server}` closed during the call; it is not \
                         sent again because `{}` is not annotated idempotent",
                        params.name
                    ));
                }
                let peer = pool.peer_as(server, user).await?;
                peer.call_tool(params).await.map_err(|e| describe(&e))
            }
            other => other.map_err(|e| describe(&e)),
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
        // Cancelled or out of time while waiting: the one mapping (the
        // reservation, dropped unsettled, is charged by the policy).
        Err(interrupted) => {
            return Err(Failure::interrupted(Subject::agent(agent), interrupted).into_call_error());
        }
    };

    let meta = result.meta.as_deref().cloned().unwrap_or_default();
    match read_usage(&meta) {
        Some(usage) => {
            if let Err(exceeded) = reservation.settle(usage) {
                return Err(CallError::BudgetExceeded { agent, exceeded });
            }
        }
        None => drop(reservation),
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

/// The connection to `server` with the credentials a call of `ctx` to it
/// uses: the user's own token when users sign in to it (asking them to,
/// when they have not yet), a token exchanged for the caller's, or this
/// server's own. Listing a server's tools goes through here, so that it
/// sees what the caller may use.
pub(crate) async fn peer_for(
    ctx: &AgentContext,
    server: &str,
) -> Result<rmcp::service::Peer<rmcp::service::RoleClient>, String> {
    let user = signed_in(ctx, server).await?;
    RemotePool::of(ctx.host())?
        .peer_as(server, user.as_ref())
        .await
}

/// How long a call waits for its user to come back from signing in, once
/// they agreed to go (the call's own deadline may end it sooner).
const SIGN_IN_PATIENCE: Duration = Duration::from_secs(5 * 60);

/// The caller's user's token for `server` when users sign in to it
/// themselves: kept (and refreshed when due), or obtained now by sending
/// the user to the issuer (a URL elicitation, in either protocol era) and
/// waiting for them to come back to this server's callback.
async fn signed_in(ctx: &AgentContext, server: &str) -> Result<Option<SignedIn>, String> {
    if let Ok(pool) = RemotePool::of(ctx.host())
        && pool.token_exchange(server).is_some()
    {
        let Some(principal) = ctx.principal() else {
            return Err(format!(
                "server `{server}` is called with a token exchanged for the caller's, and this \
                 call has no authenticated caller (its HTTP endpoint needs [auth])"
            ));
        };
        let Some(subject_token) = &principal.access_token else {
            return Err(format!(
                "server `{server}` is called with a token exchanged for the caller's, and the \
                 caller's token is gone (it is not kept with a workflow run)"
            ));
        };
        let token = pool.exchanged(server, subject_token.secret()).await?;
        return Ok(Some(SignedIn {
            subject: principal.subject.clone(),
            token,
        }));
    }
    let Some(sign_ins) = ctx.host().get::<SignIns>() else {
        return Ok(None);
    };
    if !sign_ins.signs_in_users(server) {
        return Ok(None);
    }
    let Some(principal) = ctx.principal() else {
        return Err(format!(
            "users sign in to server `{server}` themselves, and this call has no signed-in \
             user (its HTTP endpoint needs [auth])"
        ));
    };
    let subject = principal.subject.clone();
    // The same words and URL on every replay of a 2026 request.
    let message = format!("Sign in to `{server}` so that this server can use it on your behalf.");
    // A replayed 2026 request whose earlier round asked the user to sign
    // in, and the sign-in ended since: the question keeps its place, so
    // that the questions after it keep theirs.
    let pass_over = || {
        if let Some(url) = sign_ins.ended_url(&subject, server) {
            pass_over_url(ctx.client(), message.clone(), url);
        }
    };
    if let Some(token) = sign_ins.token(&subject, server).await? {
        pass_over();
        return Ok(Some(SignedIn { subject, token }));
    }
    // The user came back through the callback with a refusal: that is the
    // answer (a replayed 2026 request would otherwise start a new sign-in).
    if let Some(failure) = sign_ins.take_failure(&subject, server) {
        pass_over();
        return Err(failure);
    }
    let url = sign_ins.begin(&subject, server).await?;
    match ctx.elicit_url(message, url).await {
        Ok(Elicitation::Accepted(())) => {}
        Ok(_) => return Err(format!("the user did not sign in to server `{server}`")),
        Err(error) => {
            return Err(format!(
                "cannot ask the user to sign in to server `{server}`: {error}"
            ));
        }
    }
    match sign_ins.wait(&subject, server, SIGN_IN_PATIENCE).await? {
        Some(token) => Ok(Some(SignedIn { subject, token })),
        None => Err(format!(
            "the user did not finish signing in to server `{server}` in time"
        )),
    }
}

/// What went wrong with a request to another server, in words: rmcp's own
/// messages name the transport's Rust type, which means nothing to a user
/// (or a model) reading the error.
fn describe(error: &ServiceError) -> String {
    match error {
        ServiceError::McpError(error) => {
            format!("the server answered with an error: {}", error.message)
        }
        ServiceError::TransportSend(error) => {
            let mut text = format!("the connection to the server failed: {}", error.error);
            let mut source = error.error.source();
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            without_type_names(&text)
        }
        ServiceError::TransportClosed => "the connection to the server closed".to_owned(),
        other => without_type_names(&other.to_string()),
    }
}

/// `text` without the bracketed Rust type paths (`[a::b<c::D>]`) that
/// rmcp puts in its messages.
pub(crate) fn without_type_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let (before, from) = rest.split_at(open);
        out.push_str(before);
        match from.find(']') {
            Some(close) if from[..close].contains("::") => {
                rest = from[close + 1..].trim_start();
                out.truncate(out.trim_end().len());
                out.push(' ');
            }
            _ => {
                out.push('[');
                rest = &from[1..];
            }
        }
    }
    out.push_str(rest);
    out
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

#[cfg(test)]
mod tests {
    use super::without_type_names;

    #[test]
    fn rust_type_paths_are_taken_out_of_messages() {
        let rmcp = "Transport [rmcp::transport::worker::WorkerTransport<rmcp::X<reqwest::Client>>] \
                    error: Client error: error sending request";
        assert_eq!(
            without_type_names(rmcp),
            "Transport error: Client error: error sending request"
        );
        assert_eq!(without_type_names("a [plain] note"), "a [plain] note");
        assert_eq!(without_type_names("unclosed [a::b"), "unclosed [a::b");
    }
}
