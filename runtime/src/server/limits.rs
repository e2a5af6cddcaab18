//! `[limits]` of agentwire.toml: how many tool calls one server, and one
//! session of it, runs at once, how many sessions it keeps open and how
//! long an idle one is kept (applied by the HTTP transport), and how long
//! calls still running at shutdown are given to finish (the CLI's `serve`). A call past either limit is refused at
//! once with an error that names the setting, rather than queued without
//! bound: a client that floods the server cannot starve the others of
//! memory or of the runtime's threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rmcp::ErrorData;
use rmcp::model::ErrorCode;
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// `[limits]`: tool calls running at once, and the grace period at shutdown.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Tool calls the whole server runs at once (default 512).
    pub concurrent_calls: usize,
    /// Tool calls one session (a 2025-era MCP session, or one stdio client)
    /// runs at once (default 64). A 2026-era request is its own session.
    pub concurrent_calls_per_session: usize,
    /// Resources one 2025-era session may be subscribed to at once
    /// (default 1024).
    pub subscriptions_per_session: usize,
    /// How long calls still running when the server is told to stop
    /// (SIGTERM, Ctrl-C) may take to finish before they are cancelled
    /// (default "10s").
    pub shutdown_grace: String,
    /// 2025-era HTTP sessions open at once (default 4096); past it an
    /// `initialize` is refused and the open sessions go on.
    pub sessions: usize,
    /// How long a 2025-era HTTP session may go without a message before it
    /// is closed (default "5m").
    pub session_idle: String,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            concurrent_calls: 512,
            concurrent_calls_per_session: 64,
            subscriptions_per_session: 1024,
            shutdown_grace: "10s".to_owned(),
            sessions: 4096,
            session_idle: "5m".to_owned(),
        }
    }
}

impl LimitsConfig {
    /// Checks the section as the config file is read.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.concurrent_calls == 0 || self.concurrent_calls_per_session == 0 {
            return Err(
                "[limits] concurrent_calls and concurrent_calls_per_session must be \
                        at least 1"
                    .to_owned(),
            );
        }
        if self.sessions == 0 {
            return Err("[limits] sessions must be at least 1".to_owned());
        }
        self.grace()?;
        match self.idle()? {
            idle if idle.is_zero() => {
                Err("[limits] session_idle must be longer than 0s".to_owned())
            }
            _ => Ok(()),
        }
    }

    /// How long an idle session is kept.
    fn idle(&self) -> Result<Duration, String> {
        crate::budget::units::parse_duration(&self.session_idle)
            .map_err(|p| format!("[limits] session_idle = {:?}: {p}", self.session_idle))
    }

    /// The shutdown grace period.
    fn grace(&self) -> Result<Duration, String> {
        crate::budget::units::parse_duration(&self.shutdown_grace)
            .map_err(|p| format!("[limits] shutdown_grace = {:?}: {p}", self.shutdown_grace))
    }
}

/// The permits of one server and of one of its sessions.
#[derive(Debug, Clone)]
pub(crate) struct CallGate {
    per_server: usize,
    per_session: usize,
    /// The shutdown grace period.
    pub grace: Duration,
    /// Subscriptions one session may hold.
    pub subscriptions: usize,
    /// 2025-era HTTP sessions open at once.
    pub sessions: usize,
    /// How long an idle session is kept.
    pub session_idle: Duration,
    server: Arc<Semaphore>,
    session: Arc<Semaphore>,
    /// Set at shutdown: no new call is let in.
    closing: Arc<AtomicBool>,
}

/// What a running call holds; dropping it lets the next one in.
pub(crate) type CallPermit = (OwnedSemaphorePermit, OwnedSemaphorePermit);

impl CallGate {
    pub fn new(limits: &LimitsConfig) -> Self {
        CallGate {
            per_server: limits.concurrent_calls,
            per_session: limits.concurrent_calls_per_session,
            // Checked when the file was read.
            grace: limits.grace().unwrap_or(Duration::from_secs(10)),
            subscriptions: limits.subscriptions_per_session,
            sessions: limits.sessions,
            session_idle: limits.idle().unwrap_or(Duration::from_secs(300)),
            server: Arc::new(Semaphore::new(limits.concurrent_calls)),
            session: Arc::new(Semaphore::new(limits.concurrent_calls_per_session)),
            closing: Arc::default(),
        }
    }

    /// The gate of a new session: the server's permits, fresh session ones.
    pub fn for_new_session(&self) -> Self {
        CallGate {
            per_server: self.per_server,
            per_session: self.per_session,
            grace: self.grace,
            subscriptions: self.subscriptions,
            sessions: self.sessions,
            session_idle: self.session_idle,
            server: self.server.clone(),
            session: Arc::new(Semaphore::new(self.per_session)),
            closing: self.closing.clone(),
        }
    }

    /// Lets one call in, or refuses it naming the limit it would pass.
    pub fn enter(&self) -> Result<CallPermit, ErrorData> {
        if self.closing.load(Ordering::Acquire) {
            return Err(busy(
                "the server is shutting down and takes no new calls".to_owned(),
            ));
        }
        let session = self.session.clone().try_acquire_owned().map_err(|_| {
            busy(format!(
                "this session already runs {} tool calls, its limit ([limits] \
                 concurrent_calls_per_session); wait for one to finish",
                self.per_session
            ))
        })?;
        let server = self.server.clone().try_acquire_owned().map_err(|_| {
            busy(format!(
                "the server already runs {} tool calls, its limit ([limits] \
                 concurrent_calls); try again later",
                self.per_server
            ))
        })?;
        Ok((session, server))
    }
}

impl CallGate {
    /// Lets no new call in, and waits until the calls running finish or
    /// `grace` passes; true when they all finished.
    pub async fn close(&self, grace: Duration) -> bool {
        self.closing.store(true, Ordering::Release);
        let all = u32::try_from(self.per_server).unwrap_or(u32::MAX);
        let idle = self.server.acquire_many(all);
        tokio::time::timeout(grace, idle).await.is_ok()
    }
}

/// A JSON-RPC server error (-32000, "server busy"): the request was valid,
/// and may succeed later.
fn busy(message: String) -> ErrorData {
    ErrorData::new(ErrorCode(-32000), message, None)
}
