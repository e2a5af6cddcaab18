//! MCP over streamable HTTP (axum), serving both protocol eras on one path:
//! 2025-11-25 clients get sessions, 2026-07-28 clients are served statelessly.
//!
//! Against DNS rebinding (a web page whose host name resolves to 127.0.0.1
//! talking to a local server), requests whose `Host` is not a loopback name,
//! or whose `Origin` is a page outside loopback, are refused with
//! `403 Forbidden` unless the allow-lists in [`HttpOptions`] say otherwise.
//! A session may have several SSE streams open at once: one per POST whose
//! answer streams, plus the standalone GET stream.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::auth::{self, AuthConfig, ResourceServer};
use super::session_limit::{self, SessionLimit};
use super::sign_in;
use crate::remote::SignIns;
use crate::server::AgentServer;

/// How the HTTP endpoint behaves.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The path of the MCP endpoint.
    pub path: String,
    /// Requests with a larger body get `413 Payload Too Large`.
    pub max_body_bytes: usize,
    /// The `Host` header values accepted, as protection against DNS
    /// rebinding; `None` accepts loopback names only (`localhost`,
    /// `127.0.0.1`, `::1`, any port). An entry is a host (any port) or
    /// `host:port`; the list replaces the loopback names, and `"*"` accepts
    /// every host (not recommended).
    pub allowed_hosts: Option<Vec<String>>,
    /// The `Origin` header values accepted from browsers; `None` accepts
    /// pages served from loopback names only ([`LOOPBACK_ORIGINS`]). An
    /// entry is `scheme://host:port`, with `:*` for any port; the list
    /// replaces the loopback origins, and `"*"` accepts every origin (not
    /// recommended). Requests without `Origin` (clients that are not
    /// browsers) are not affected.
    pub allowed_origins: Option<Vec<String>>,
    /// `[auth]`: when set, the endpoint is an OAuth 2.1 resource server
    /// (see [`auth`]); when not, anyone who reaches it may call.
    pub auth: Option<AuthConfig>,
}

/// The origins a browser page on this machine has, accepted by default.
pub const LOOPBACK_ORIGINS: &[&str] = &[
    "http://localhost:*",
    "http://127.0.0.1:*",
    "http://[::1]:*",
    "https://localhost:*",
    "https://127.0.0.1:*",
    "https://[::1]:*",
];

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            path: "/mcp".to_owned(),
            max_body_bytes: 4 * 1024 * 1024,
            allowed_hosts: None,
            allowed_origins: None,
            auth: None,
        }
    }
}

impl HttpOptions {
    /// Applies the Host and Origin allow-lists to rmcp's configuration.
    fn protect(&self, mut config: StreamableHttpServerConfig) -> StreamableHttpServerConfig {
        config = match &self.allowed_hosts {
            None => config.with_allowed_hosts(["localhost", "127.0.0.1", "::1"]),
            Some(hosts) if hosts.iter().any(|h| h == "*") => config.disable_allowed_hosts(),
            Some(hosts) => config.with_allowed_hosts(hosts.clone()),
        };
        match &self.allowed_origins {
            None => config.with_allowed_origins(LOOPBACK_ORIGINS.iter().copied()),
            Some(origins) if origins.iter().any(|o| o == "*") => config.disable_allowed_origins(),
            // An empty list still checks: every browser origin is refused.
            Some(origins) => config
                .with_allowed_origins(origins.clone())
                .enforce_origin_validation(),
        }
    }
}

/// A running HTTP server.
pub struct HttpServer {
    local_addr: SocketAddr,
    shutdown: CancellationToken,
    /// Stops accepting connections, leaving open sessions be.
    drain: CancellationToken,
    task: JoinHandle<io::Result<()>>,
}

impl HttpServer {
    /// Binds `addr` (port 0 picks a free port) and starts serving `server`.
    pub async fn bind(
        server: AgentServer,
        addr: SocketAddr,
        options: HttpOptions,
    ) -> io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();

        let config = options.protect(
            StreamableHttpServerConfig::default()
                .with_cancellation_token(shutdown.child_token())
                .with_max_request_body_bytes(options.max_body_bytes),
        );
        let served = server.clone();
        let (max_sessions, idle) = server.session_limits();
        let listen_streams = server.listen_streams();
        let mut sessions = LocalSessionManager::default();
        // Idle sessions are closed by `session_limit::close_idle`, which
        // knows when a call is in flight; rmcp's keep-alive does not.
        sessions.session_config.keep_alive = None;
        let sessions = Arc::new(sessions);
        // rmcp calls the factory once per session (and per stateless request),
        // so each session gets its own log level while sharing the agents.
        let service = StreamableHttpService::new(
            move || Ok(server.for_new_session()),
            sessions.clone(),
            config,
        );
        let limit = Arc::new(SessionLimit {
            manager: sessions,
            max_sessions,
            max_body_bytes: options.max_body_bytes,
            opening: tokio::sync::Mutex::new(()),
            idle,
            seen: Default::default(),
            listen_streams: Arc::new(tokio::sync::Semaphore::new(listen_streams)),
        });
        tokio::spawn(session_limit::close_idle(
            limit.clone(),
            shutdown.child_token(),
        ));
        let mut app = session_limit::limit(
            axum::Router::new().nest_service(&options.path, service),
            limit,
        );
        let mut resource_server = None;
        if let Some(config) = &options.auth {
            let resource = Arc::new(ResourceServer::new(config, local_addr, &options.path));
            resource_server = Some(resource.clone());
            app = auth::protect(
                app,
                resource,
                &served,
                &options.path,
                options.max_body_bytes,
            );
        } else if let Some(warning) = auth::exposure_warning(local_addr) {
            tracing::warn!("{warning}");
        }
        if let Some(sign_ins) = served.host().get::<SignIns>() {
            let check = match (&options.auth, resource_server) {
                (Some(config), Some(resource)) => Some(
                    auth::user_check(config, resource)
                        .map_err(|why| io::Error::new(io::ErrorKind::InvalidInput, why))?,
                ),
                _ => None,
            };
            app = sign_in::routes(app, sign_ins.clone(), check);
        }
        let drain = shutdown.child_token();
        let stop = drain.clone();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        });
        Ok(HttpServer {
            local_addr,
            shutdown,
            drain,
            task,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections, ends open streams and waits for the server.
    pub async fn shutdown(self) -> io::Result<()> {
        self.shutdown.cancel();
        self.wait().await
    }

    /// Waits until the server stops (after [`shutdown`](Self::shutdown) or an error).
    pub async fn wait(self) -> io::Result<()> {
        self.task.await.map_err(io::Error::other)?
    }

    /// A token that stops the server when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// A token that, when cancelled, stops accepting connections but lets
    /// open sessions finish their calls (until the shutdown token ends them).
    pub fn drain_token(&self) -> CancellationToken {
        self.drain.clone()
    }
}
