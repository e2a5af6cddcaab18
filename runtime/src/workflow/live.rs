//! What the process running a run knows about it and the store does not:
//! its cancellation, the waits it is blocked in, the step it is in, its
//! budget scope, and channels that wake waiters.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::backend::WaitInfo;
use super::record::RunStatus;
use crate::agent::context::AgentContext;
use crate::budget::Usage;

/// A run being executed by this process.
pub(crate) struct LiveRun {
    /// Cancelled by `workflows-cancel` and by the engine's shutdown.
    pub cancel: CancellationToken,
    cancel_requested: AtomicBool,
    /// Bumped whenever a signal for the run is stored.
    pub signals: watch::Sender<u64>,
    /// The run's status as this process last wrote it.
    pub status: watch::Sender<RunStatus>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    current: Option<String>,
    waits: BTreeMap<u32, LiveWait>,
    agent: Option<AgentContext>,
}

/// A wait the run is blocked in.
#[derive(Clone)]
pub(crate) struct LiveWait {
    pub name: String,
    pub check: fn(&Value) -> Result<(), String>,
    pub schema: fn() -> Value,
}

impl LiveRun {
    pub fn new(cancel: CancellationToken, status: RunStatus) -> Self {
        LiveRun {
            cancel,
            cancel_requested: AtomicBool::new(false),
            signals: watch::Sender::new(0),
            status: watch::Sender::new(status),
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Cancels the run at a client's request.
    pub fn request_cancel(&self) {
        self.cancel_requested.store(true, Ordering::Release);
        self.cancel.cancel();
    }

    /// Whether a client cancelled the run (rather than the process stopping).
    pub fn cancel_requested(&self) -> bool {
        self.cancel_requested.load(Ordering::Acquire)
    }

    pub fn set_current(&self, name: impl Into<String>) {
        self.lock().current = Some(name.into());
    }

    pub fn current(&self) -> Option<String> {
        self.lock().current.clone()
    }

    pub fn set_agent(&self, agent: AgentContext) {
        self.lock().agent = Some(agent);
    }

    /// What the run used so far, once its budget scope exists.
    pub fn usage(&self) -> Option<Usage> {
        self.lock().agent.as_ref().map(AgentContext::usage)
    }

    pub fn add_wait(&self, op: u32, wait: LiveWait) {
        self.lock().waits.insert(op, wait);
    }

    /// Removes a wait; returns the name of a wait still open, if any.
    pub fn remove_wait(&self, op: u32) -> Option<String> {
        let mut state = self.lock();
        state.waits.remove(&op);
        state.waits.values().next().map(|w| w.name.clone())
    }

    /// The wait named `name` the run is in, if any.
    pub fn wait(&self, name: &str) -> Option<LiveWait> {
        let state = self.lock();
        state.waits.values().find(|w| w.name == name).cloned()
    }

    pub fn waits(&self) -> Vec<WaitInfo> {
        self.lock()
            .waits
            .values()
            .map(|w| WaitInfo {
                name: w.name.clone(),
                schema: (w.schema)(),
            })
            .collect()
    }
}
