//! `[limits]` of agentwire.toml: how many tool calls one server, and one
//! session of it, runs at once, how many sessions it keeps open and how
//! long an idle one is kept (applied by the HTTP transport), and how long
//! calls still running at shutdown are given to finish (the CLI's `serve`).
//! A call past either call limit waits in a bounded queue for a bounded
//! time, and past that is refused with an error that names the setting,
//! rather than queued without bound: a client that floods the server cannot
//! starve the others of memory or of the runtime's threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rmcp::ErrorData;
use rmcp::model::ErrorCode;
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

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
    /// Tool calls waiting for a place when one of the limits above is
    /// reached, in the whole server (default 256); past it a call is
    /// refused at once.
    pub queued_calls: usize,
    /// How long a call waits for a place before it is refused (default "30s").
    pub queue_wait: String,
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
            queued_calls: 256,
            queue_wait: "30s".to_owned(),
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
        self.queue_wait()?;
        match self.idle()? {
            idle if idle.is_zero() => {
                Err("[limits] session_idle must be longer than 0s".to_owned())
            }
            _ => Ok(()),
        }
    }

    /// How long a call may wait for a place.
    fn queue_wait(&self) -> Result<Duration, String> {
        crate::budget::units::parse_duration(&self.queue_wait)
            .map_err(|p| format!("[limits] queue_wait = {:?}: {p}", self.queue_wait))
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
    /// Calls waiting for a place, in the whole server, and how many may.
    queued: Arc<AtomicUsize>,
    max_queued: usize,
    queue_wait: Duration,
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
            queued: Arc::default(),
            max_queued: limits.queued_calls,
            queue_wait: limits.queue_wait().unwrap_or(Duration::from_secs(30)),
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
            queued: self.queued.clone(),
            max_queued: self.max_queued,
            queue_wait: self.queue_wait,
            closing: self.closing.clone(),
        }
    }

    /// Lets one call in: at once when there is a place, else after waiting
    /// in the bounded queue for one (at most `queue_wait`, or until
    /// `cancelled`); a call that cannot wait is refused naming the limit.
    pub async fn enter(&self, cancelled: &CancellationToken) -> Result<CallPermit, ErrorData> {
        self.open()?;
        let session = self.session.clone().try_acquire_owned();
        let server = self.server.clone().try_acquire_owned();
        if let (Ok(session), Ok(server)) = (session, server) {
            return Ok((session, server));
        }
        let full = if self.session.available_permits() == 0 {
            format!(
                "this session already runs {} tool calls, its limit ([limits] \
                 concurrent_calls_per_session)",
                self.per_session
            )
        } else {
            format!(
                "the server already runs {} tool calls, its limit ([limits] concurrent_calls)",
                self.per_server
            )
        };
        let Some(_waiting) = Waiting::join(&self.queued, self.max_queued) else {
            return Err(busy(format!(
                "{full}, and {} more already wait for a place ([limits] queued_calls); try \
                 again later",
                self.max_queued
            )));
        };
        let places = async {
            let session = self.session.clone().acquire_owned().await;
            let server = self.server.clone().acquire_owned().await;
            (session, server)
        };
        let (session, server) = tokio::select! {
            places = tokio::time::timeout(self.queue_wait, places) => match places {
                Ok((Ok(session), Ok(server))) => (session, server),
                Ok(_) => return Err(busy("the server is shutting down and takes no new calls".to_owned())),
                Err(_) => return Err(busy(format!(
                    "{full}, and no place came free within {} ms ([limits] queue_wait); try \
                     again later",
                    self.queue_wait.as_millis()
                ))),
            },
            () = cancelled.cancelled() => {
                return Err(busy("the call was cancelled while it waited for a place".to_owned()));
            }
        };
        self.open()?;
        Ok((session, server))
    }

    /// Refuses every call once the server is shutting down.
    fn open(&self) -> Result<(), ErrorData> {
        if self.closing.load(Ordering::Acquire) {
            return Err(busy(
                "the server is shutting down and takes no new calls".to_owned(),
            ));
        }
        Ok(())
    }
}

/// A place in the queue of calls waiting for a place to run.
struct Waiting(Arc<AtomicUsize>);

impl Waiting {
    /// Joins the queue, unless `max` calls already wait.
    fn join(queued: &Arc<AtomicUsize>, max: usize) -> Option<Self> {
        queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        Some(Waiting(queued.clone()))
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
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
