//! One connection per configured server, opened on first use.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::ProtocolVersion;
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, Peer, RoleClient, RunningService};
use rmcp::transport::common::client_side_sse::ExponentialBackoff;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use tokio::sync::OnceCell;

use super::auth::TokenExchange;
use super::config::{RemoteServer, UnreportedUsage};
use super::sign_in::UserToken;
use crate::agent::Host;
use sha2::{Digest, Sha256};

/// A connection, and when its token must be renewed (a new connection).
struct Connection {
    service: RunningService<RoleClient, ()>,
    renew_at: Option<Instant>,
    /// The user's token it was opened with (a user's connection).
    user_token: Option<String>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("renew_at", &self.renew_at)
            .finish()
    }
}

/// Opens a connection to a server of this same process: one end of an
/// in-memory pipe whose other end that server serves (tests chain servers
/// this way, without processes or ports).
pub(crate) type InMemoryConnector = Arc<dyn Fn() -> tokio::io::DuplexStream + Send + Sync>;

/// One connection per configured server, opened on first use and reused by
/// every call after it.
pub(crate) struct RemotePool {
    servers: BTreeMap<String, RemoteServer>,
    /// Servers of this process, by name; they win over `servers`.
    in_memory: BTreeMap<String, InMemoryConnector>,
    connections: Mutex<HashMap<String, Arc<OnceCell<Connection>>>>,
    /// Tokens obtained by RFC 8693 exchange, by server and a digest of the
    /// caller's token they were exchanged for.
    exchanged: Mutex<HashMap<(String, [u8; 32]), UserToken>>,
}

/// At most this many exchanged tokens are kept at once.
const MAX_EXCHANGED: usize = 10_000;

impl std::fmt::Debug for RemotePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemotePool")
            .field("servers", &self.servers)
            .field("in_memory", &self.in_memory.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
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
            in_memory: BTreeMap::new(),
            connections: Mutex::new(HashMap::new()),
            exchanged: Mutex::new(HashMap::new()),
        }
    }

    /// The pool with `server` answered in memory by `connector`.
    #[cfg(feature = "testing")]
    pub fn with_in_memory(mut self, server: &str, connector: InMemoryConnector) -> Self {
        self.in_memory.insert(server.to_owned(), connector);
        self
    }

    /// What a call to `server` is charged when it reports no usage.
    pub(crate) fn unreported_usage(&self, server: &str) -> UnreportedUsage {
        self.servers
            .get(server)
            .map_or(UnreportedUsage::default(), |s| s.unreported_usage)
    }

    /// The connection to `server` as `user` (with that user's token) when
    /// given, else as this server; each user has a connection of their own.
    pub(crate) async fn peer_as(
        &self,
        server: &str,
        user: Option<&SignedIn>,
    ) -> Result<Peer<RoleClient>, String> {
        let key = connection_key(server, user);
        let target = match (self.in_memory.get(server), self.servers.get(server)) {
            (Some(connector), _) => Target::InMemory(connector),
            (None, Some(config)) => Target::Configured(config),
            (None, None) => {
                return Err(format!(
                    "no server `{server}` is configured; name it under [servers.{server}] in agentwire.toml"
                ));
            }
        };
        for _ in 0..2 {
            let cell = {
                let mut connections = self.connections.lock().unwrap_or_else(|e| e.into_inner());
                connections.entry(key.clone()).or_default().clone()
            };
            let connection = cell
                .get_or_try_init(|| connect(server, &target, user))
                .await?;
            // A token about to expire, or a user's that was replaced: a
            // new connection with the new token.
            let replaced = user
                .is_some_and(|u| connection.user_token.as_deref() != Some(u.token.value.as_str()));
            if replaced || connection.renew_at.is_some_and(|at| at <= Instant::now()) {
                // (A user's call brings a token fresh from the vault.)
                self.forget_as(server, user);
                continue;
            }
            return Ok(connection.service.peer().clone());
        }
        Err(format!("cannot get a fresh token for server `{server}`"))
    }

    /// How `server` is called with a token exchanged for the caller's, if
    /// it is.
    pub(crate) fn token_exchange(&self, server: &str) -> Option<(&TokenExchange, &str)> {
        let config = self.servers.get(server)?;
        Some((
            config.auth.as_ref()?.token_exchange.as_ref()?,
            config.url.as_deref()?,
        ))
    }

    /// A token for `server` in exchange for the caller's `subject_token`
    /// (RFC 8693): the one obtained before while it is good, else a new one.
    pub(crate) async fn exchanged(
        &self,
        server: &str,
        subject_token: &str,
    ) -> Result<UserToken, String> {
        let (exchange, url) = self
            .token_exchange(server)
            .ok_or_else(|| format!("server `{server}` takes no exchanged tokens"))?;
        let key = (server.to_owned(), Sha256::digest(subject_token).into());
        let now = Instant::now();
        {
            let kept = self.exchanged.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(token) = kept.get(&key)
                && token.renew_at.is_none_or(|at| at > now)
            {
                return Ok(UserToken {
                    value: token.value.clone(),
                    renew_at: token.renew_at,
                });
            }
        }
        let token = exchange.exchange(url, subject_token).await.map_err(|e| {
            format!("cannot exchange the caller's token for server `{server}`: {e}")
        })?;
        let mut kept = self.exchanged.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= MAX_EXCHANGED {
            kept.retain(|_, t| t.renew_at.is_some_and(|at| at > now));
            if kept.len() >= MAX_EXCHANGED {
                kept.clear();
            }
        }
        kept.insert(
            key,
            UserToken {
                value: token.value.clone(),
                renew_at: token.renew_at,
            },
        );
        Ok(UserToken {
            value: token.value,
            renew_at: token.renew_at,
        })
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
                let _ = connection.service.cancel().await;
            }
        }
    }

    /// Forgets a connection (of `user`, or of this server) that failed, so
    /// the next call opens a new one.
    pub(crate) fn forget_as(&self, server: &str, user: Option<&SignedIn>) {
        let mut connections = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        connections.remove(&connection_key(server, user));
    }
}

/// A user signed in to a server, with their token for it.
pub(crate) struct SignedIn {
    pub subject: String,
    pub token: UserToken,
}

/// The key of a connection: the server, and the user it is opened as.
fn connection_key(server: &str, user: Option<&SignedIn>) -> String {
    match user {
        Some(user) => format!("{server}\n{}", user.subject),
        None => server.to_owned(),
    }
}

/// Where a server is: configured in agentwire.toml, or in this process.
enum Target<'a> {
    Configured(&'a RemoteServer),
    InMemory(&'a InMemoryConnector),
}

async fn connect(
    name: &str,
    target: &Target<'_>,
    user: Option<&SignedIn>,
) -> Result<Connection, String> {
    // Prefer the stateless 2026-07-28 protocol; fall back for older servers.
    let lifecycle = ClientLifecycleMode::Auto {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        legacy_version: Some(ProtocolVersion::V_2025_11_25),
    };
    let config = match *target {
        Target::Configured(config) => config,
        Target::InMemory(connector) => {
            let (read, write) = tokio::io::split(connector());
            return ()
                .serve_with_lifecycle((read, write), lifecycle)
                .await
                .map(|service| Connection {
                    service,
                    renew_at: None,
                    user_token: None,
                })
                .map_err(|e| format!("cannot connect to server `{name}`: {e}"));
        }
    };
    let mut renew_at = None;
    let connected = if let Some(url) = &config.url {
        // A broken answer stream is resumed a few times, then the call
        // fails: a server that died must not hold its callers until their
        // deadline (rmcp's default retries forever).
        let mut resume = ExponentialBackoff::default();
        resume.max_times = Some(3);
        resume.base_duration = Duration::from_millis(200);
        resume.max_delay = Some(Duration::from_secs(1));
        let mut transport = StreamableHttpClientTransportConfig::with_uri(url.clone());
        transport.retry_config = Arc::new(resume);
        if let Some(user) = user {
            renew_at = user.token.renew_at;
            transport = transport.auth_header(user.token.value.clone());
        } else if let Some(auth) = &config.auth {
            let token = auth
                .token(url)
                .await
                .map_err(|e| format!("cannot sign in to server `{name}`: {e}"))?;
            renew_at = token.renew_at;
            transport = transport.auth_header(token.value);
        }
        let transport = StreamableHttpClientTransport::from_config(transport);
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
    let service = connected.map_err(|e| {
        let error = super::call::without_type_names(&e.to_string());
        format!("cannot connect to server `{name}`: {error}")
    })?;
    Ok(Connection {
        service,
        renew_at,
        user_token: user.map(|u| u.token.value.clone()),
    })
}
