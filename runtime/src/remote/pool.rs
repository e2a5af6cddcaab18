//! One connection per configured server, opened on first use.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::ProtocolVersion;
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, Peer, RoleClient, RunningService};
use rmcp::transport::common::client_side_sse::ExponentialBackoff;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use tokio::sync::OnceCell;

use super::config::{RemoteServer, UnreportedUsage};
use crate::agent::Host;

type Connection = RunningService<RoleClient, ()>;

/// One connection per configured server, opened on first use and reused by
/// every call after it.
#[derive(Debug)]
pub(crate) struct RemotePool {
    servers: BTreeMap<String, RemoteServer>,
    connections: Mutex<HashMap<String, Arc<OnceCell<Connection>>>>,
}

impl RemotePool {
    /// The pool of the process whose host is `host`.
    pub fn of(host: &Host) -> Result<&RemotePool, String> {
        host.get::<RemotePool>()
            .ok_or_else(|| "this process has no connections to other servers".to_owned())
    }

    pub fn new(servers: BTreeMap<String, RemoteServer>) -> Self {
        RemotePool {
            servers,
            connections: Mutex::new(HashMap::new()),
        }
    }

    /// What a call to `server` is charged when it reports no usage.
    pub(crate) fn unreported_usage(&self, server: &str) -> UnreportedUsage {
        self.servers
            .get(server)
            .map_or(UnreportedUsage::default(), |s| s.unreported_usage)
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
    pub(crate) fn forget(&self, server: &str) {
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
        // A broken answer stream is resumed a few times, then the call
        // fails: a server that died must not hold its callers until their
        // deadline (rmcp's default retries forever).
        let mut resume = ExponentialBackoff::default();
        resume.max_times = Some(3);
        resume.base_duration = Duration::from_millis(200);
        resume.max_delay = Some(Duration::from_secs(1));
        let mut http = StreamableHttpClientTransportConfig::with_uri(url.clone());
        http.retry_config = Arc::new(resume);
        let transport = StreamableHttpClientTransport::from_config(http);
        ().serve_with_lifecycle(transport, lifecycle).await
    } else {
        let command = config.command.as_deref().unwrap_or_default();
        let transport =
            TokioChildProcess::new(tokio::process::Command::new(command).configure(|c| {
                // A clean environment: keys and tokens of this process
                // reach the child only when its section allows them.
                let parent = std::env::vars_os()
                    .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
                c.args(&config.args)
                    .env_clear()
                    .envs(config.child_env(parent));
                if let Some(cwd) = &config.cwd {
                    c.current_dir(cwd);
                }
            }))
            .map_err(|e| format!("cannot start server `{name}` (`{command}`): {e}"))?;
        ().serve_with_lifecycle(transport, lifecycle).await
    };
    connected.map_err(|e| {
        let error = super::call::without_type_names(&e.to_string());
        format!("cannot connect to server `{name}`: {error}")
    })
}
