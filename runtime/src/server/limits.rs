//! `[limits]` of agentwire.toml: how many tool calls one server, and one
//! session of it, runs at once, and how many other requests; how many
//! sessions it keeps open and how long an idle one is kept (applied by the
//! HTTP transport); how long calls still running at shutdown are given to
//! finish (the CLI's `serve`). A request past either of its limits waits in
//! a bounded queue for a bounded time, and past that is refused with an
//! error that names the setting, rather than queued without bound: a client
//! that floods the server cannot starve the others of memory or of the
//! runtime's threads.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rmcp::ErrorData;
use rmcp::model::ErrorCode;
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// `[limits]`: tool calls and other requests running at once, sessions,
/// subscriptions, and the grace period at shutdown.
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
    /// How long a call, or another request, waits for a place before it
    /// is refused (default "30s").
    pub queue_wait: String,
    /// Requests other than tool calls (resource reads, prompts, lists,
    /// completions, task polls and updates, subscriptions) the whole server
    /// serves at once (default 512). `initialize`, `ping`, `tasks/cancel`
    /// and notifications are never held back.
    pub concurrent_requests: usize,
    /// Requests other than tool calls one session serves at once (default 64).
    pub concurrent_requests_per_session: usize,
    /// Requests other than tool calls waiting for a place, in the whole
    /// server (default 256); past it a request is refused at once.
    pub queued_requests: usize,
    /// 2025-era HTTP sessions open at once (default 4096); past it an
    /// `initialize` is refused and the open sessions go on.
    pub sessions: usize,
    /// How long a 2025-era HTTP session may go without a message before it
    /// is closed (default "5m").
    pub session_idle: String,
    /// 2026-era `subscriptions/listen` streams the HTTP endpoint keeps open
    /// at once (default 1024); past it a new one is refused and the open
    /// ones go on. Each holds one HTTP request open for as long as its
    /// client listens, so it takes no place among `concurrent_requests`.
    pub listen_streams: usize,
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
            concurrent_requests: 512,
            concurrent_requests_per_session: 64,
            queued_requests: 256,
            sessions: 4096,
            session_idle: "5m".to_owned(),
            listen_streams: 1024,
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
        if self.concurrent_requests == 0 || self.concurrent_requests_per_session == 0 {
            return Err(
                "[limits] concurrent_requests and concurrent_requests_per_session must be \
                 at least 1"
                    .to_owned(),
            );
        }
        if self.sessions == 0 || self.listen_streams == 0 {
            return Err("[limits] sessions and listen_streams must be at least 1".to_owned());
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

/// What one kind of request may use: places in the whole server, places
/// in one session, and places in the queue of those waiting for one.
#[derive(Debug, Clone)]
struct Lane {
    /// What the requests are called in an error ("tool calls").
    noun: &'static str,
    /// The settings that size this lane, named in its errors.
    keys: Keys,
    per_server: usize,
    per_session: usize,
    server: Arc<Semaphore>,
    session: Arc<Semaphore>,
    /// Requests waiting for a place, in the whole server, and how many may.
    queued: Arc<AtomicUsize>,
    max_queued: usize,
}

/// The `[limits]` keys of one lane.
#[derive(Debug, Clone, Copy)]
struct Keys {
    per_server: &'static str,
    per_session: &'static str,
    queued: &'static str,
}

impl Lane {
    fn new(
        noun: &'static str,
        keys: Keys,
        per_server: usize,
        per_session: usize,
        max_queued: usize,
    ) -> Self {
        Lane {
            noun,
            keys,
            per_server,
            per_session,
            server: Arc::new(Semaphore::new(per_server)),
            session: Arc::new(Semaphore::new(per_session)),
            queued: Arc::default(),
            max_queued,
        }
    }

    /// The same server-wide places, fresh ones for a new session.
    fn for_new_session(&self) -> Self {
        Lane {
            session: Arc::new(Semaphore::new(self.per_session)),
            ..self.clone()
        }
    }

    /// A place at once when there is one, else after waiting in the bounded
    /// queue for one (at most `wait`, or until `cancelled`); a request that
    /// cannot wait is refused naming the limit.
    async fn enter(
        &self,
        wait: Duration,
        cancelled: &CancellationToken,
    ) -> Result<Permit, ErrorData> {
        let session = self.session.clone().try_acquire_owned();
        let server = self.server.clone().try_acquire_owned();
        if let (Ok(session), Ok(server)) = (session, server) {
            return Ok((session, server));
        }
        let (noun, keys) = (self.noun, self.keys);
        let full = if self.session.available_permits() == 0 {
            format!(
                "this session already runs {} {noun}, its limit ([limits] {})",
                self.per_session, keys.per_session
            )
        } else {
            format!(
                "the server already runs {} {noun}, its limit ([limits] {})",
                self.per_server, keys.per_server
            )
        };
        let Some(_waiting) = Waiting::join(&self.queued, self.max_queued) else {
            return Err(busy(format!(
                "{full}, and {} more already wait for a place ([limits] {}); try again later",
                self.max_queued, keys.queued
            )));
        };
        let places = async {
            let session = self.session.clone().acquire_owned().await;
            let server = self.server.clone().acquire_owned().await;
            (session, server)
        };
        tokio::select! {
            places = tokio::time::timeout(wait, places) => match places {
                Ok((Ok(session), Ok(server))) => Ok((session, server)),
                Ok(_) => Err(busy(SHUTTING_DOWN.to_owned())),
                Err(_) => Err(busy(format!(
                    "{full}, and no place came free within {} ms ([limits] queue_wait); try \
                     again later",
                    wait.as_millis()
                ))),
            },
            () = cancelled.cancelled() => {
                Err(busy(format!("the request was cancelled while it waited for a place among the {noun}")))
            }
        }
    }
}

const SHUTTING_DOWN: &str = "the server is shutting down and takes no new calls";

/// The places of one server and of one of its sessions: one lane for tool
/// calls, another for every other request a client may send many of at
/// once (reads, lists, prompts, completions, task polls, subscriptions).
///
/// Two lanes, not one, so that a session whose tool calls fill its places
/// (a model thinking for minutes) can still poll its tasks (`tasks/get`),
/// answer them (`tasks/update`) and read resources: none of those waits
/// behind the work it is about, and a tool call that waits on such a
/// request cannot hold the place that request needs. `initialize`,
/// `server/discover`, `ping`, `tasks/cancel` and notifications (among them
/// `notifications/cancelled`) pass no gate: they are what frees places.
#[derive(Debug, Clone)]
pub(crate) struct CallGate {
    calls: Lane,
    requests: Lane,
    queue_wait: Duration,
    /// The shutdown grace period.
    pub grace: Duration,
    /// Subscriptions one session may hold.
    pub subscriptions: usize,
    /// 2025-era HTTP sessions open at once.
    pub sessions: usize,
    /// How long an idle session is kept.
    pub session_idle: Duration,
    /// 2026-era `subscriptions/listen` streams open at once.
    pub listen_streams: usize,
    /// Set at shutdown: no new call is let in.
    closing: Arc<AtomicBool>,
}

/// What a running request holds; dropping it lets the next one in.
pub(crate) type Permit = (OwnedSemaphorePermit, OwnedSemaphorePermit);

impl CallGate {
    pub fn new(limits: &LimitsConfig) -> Self {
        let calls = Keys {
            per_server: "concurrent_calls",
            per_session: "concurrent_calls_per_session",
            queued: "queued_calls",
        };
        let requests = Keys {
            per_server: "concurrent_requests",
            per_session: "concurrent_requests_per_session",
            queued: "queued_requests",
        };
        CallGate {
            calls: Lane::new(
                "tool calls",
                calls,
                limits.concurrent_calls,
                limits.concurrent_calls_per_session,
                limits.queued_calls,
            ),
            requests: Lane::new(
                "requests other than tool calls",
                requests,
                limits.concurrent_requests,
                limits.concurrent_requests_per_session,
                limits.queued_requests,
            ),
            queue_wait: limits.queue_wait().unwrap_or(Duration::from_secs(30)),
            // Checked when the file was read.
            grace: limits.grace().unwrap_or(Duration::from_secs(10)),
            subscriptions: limits.subscriptions_per_session,
            sessions: limits.sessions,
            session_idle: limits.idle().unwrap_or(Duration::from_secs(300)),
            listen_streams: limits.listen_streams,
            closing: Arc::default(),
        }
    }

    /// The gate of a new session: the server's places, fresh session ones.
    pub fn for_new_session(&self) -> Self {
        CallGate {
            calls: self.calls.for_new_session(),
            requests: self.requests.for_new_session(),
            ..self.clone()
        }
    }

    /// Lets one tool call in: at once when there is a place, else after
    /// waiting in the bounded queue for one (at most `queue_wait`, or until
    /// `cancelled`); a call that cannot wait is refused naming the limit.
    pub async fn enter(&self, cancelled: &CancellationToken) -> Result<Permit, ErrorData> {
        self.open()?;
        let permit = self.calls.enter(self.queue_wait, cancelled).await?;
        self.open()?;
        Ok(permit)
    }

    /// Lets one request other than a tool call in, as [`enter`](Self::enter)
    /// does, under its own limits. Still open at shutdown: a client may
    /// follow its calls (`tasks/get`) through the grace period.
    pub async fn enter_request(&self, cancelled: &CancellationToken) -> Result<Permit, ErrorData> {
        self.requests.enter(self.queue_wait, cancelled).await
    }

    /// Refuses every call once the server is shutting down.
    fn open(&self) -> Result<(), ErrorData> {
        if self.closing.load(Ordering::Acquire) {
            return Err(busy(SHUTTING_DOWN.to_owned()));
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
        let all = u32::try_from(self.calls.per_server).unwrap_or(u32::MAX);
        let idle = self.calls.server.acquire_many(all);
        tokio::time::timeout(grace, idle).await.is_ok()
    }
}

/// A JSON-RPC server error (-32000, "server busy"): the request was valid,
/// and may succeed later.
fn busy(message: String) -> ErrorData {
    ErrorData::new(ErrorCode(-32000), message, None)
}
