//! The journal engine's [`RunDriver`]: each operation of the workflow's code
//! either returns what the journal recorded at its position, or runs and is
//! journaled before its value is handed back.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::Value;
use tokio::sync::watch;

use super::WorkflowError;
use super::backend::{
    Activity, ActivityError, ActivityKind, Attempt, AttemptError, RunDriver, Wait,
};
use super::live::{LiveRun, LiveWait};
use super::policy::StepPolicy;
use super::record::{
    CallFailure, EntryKind, EntryState, Failure, JournalEntry, RunStatus, RunUpdate, Signal,
};
use super::store::{JournalStore, Write};
use super::time::{after, now_ms, sleep_until_ms, system_time};
use crate::agent::context::AgentContext;
use crate::agent::execution::panic_message;

/// Why a run cannot go on in this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fatal {
    /// The journal could not be read or written: try the run again later.
    Store(String),
    /// The code does not match the journal, or the journal is damaged: the
    /// run fails with this reason.
    Replay(String),
}

/// One run being executed (or replayed) by the journal engine.
pub(crate) struct JournalRun {
    store: Arc<dyn JournalStore>,
    run_id: String,
    workflow: &'static str,
    seed: u64,
    policy: StepPolicy,
    journal: Mutex<BTreeMap<u32, JournalEntry>>,
    next_op: AtomicU32,
    draws: AtomicU64,
    fatal: Mutex<Option<Fatal>>,
    live: Arc<LiveRun>,
    agent: AgentContext,
}

/// Everything a [`JournalRun`] starts from.
pub(crate) struct RunSetup {
    pub store: Arc<dyn JournalStore>,
    pub run_id: String,
    pub workflow: &'static str,
    pub seed: u64,
    pub policy: StepPolicy,
    pub entries: Vec<JournalEntry>,
    pub live: Arc<LiveRun>,
    pub agent: AgentContext,
}

impl JournalRun {
    pub fn new(setup: RunSetup) -> Self {
        JournalRun {
            store: setup.store,
            run_id: setup.run_id,
            workflow: setup.workflow,
            seed: setup.seed,
            policy: setup.policy,
            journal: Mutex::new(setup.entries.into_iter().map(|e| (e.seq, e)).collect()),
            next_op: AtomicU32::new(1),
            draws: AtomicU64::new(0),
            fatal: Mutex::new(None),
            live: setup.live,
            agent: setup.agent,
        }
    }

    /// Why the run cannot go on, if it cannot.
    pub fn fatal(&self) -> Option<Fatal> {
        self.fatal.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_fatal(&self, fatal: Fatal) -> WorkflowError {
        let mut slot = self.fatal.lock().unwrap_or_else(|e| e.into_inner());
        let fatal = slot.get_or_insert(fatal).clone();
        WorkflowError::Interrupted(match fatal {
            Fatal::Store(message) | Fatal::Replay(message) => message,
        })
    }

    fn check_fatal(&self) -> Result<(), WorkflowError> {
        match self.fatal() {
            None => Ok(()),
            Some(fatal) => Err(self.set_fatal(fatal)),
        }
    }

    /// What the journal holds at `op`, checked against what the code asks for.
    fn recorded(
        &self,
        op: u32,
        kind: EntryKind,
        name: &str,
    ) -> Result<Option<EntryState>, WorkflowError> {
        self.check_fatal()?;
        let entry = self
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&op)
            .cloned();
        match entry {
            None => Ok(None),
            Some(entry) if entry.kind == kind && entry.name == name => Ok(Some(entry.state)),
            Some(entry) => Err(self.mismatch(op, kind, name, entry.kind, &entry.name)),
        }
    }

    fn mismatch(
        &self,
        op: u32,
        kind: EntryKind,
        name: &str,
        found_kind: EntryKind,
        found_name: &str,
    ) -> WorkflowError {
        self.set_fatal(Fatal::Replay(format!(
            "the code of workflow `{}` no longer matches the journal of run `{}`: at \
             position {op} the code asks for the {} `{name}`, where the journal recorded \
             the {} `{found_name}`. A run must finish with the code it started with",
            self.workflow,
            self.run_id,
            kind.describe(),
            found_kind.describe(),
        )))
    }

    fn unexpected_state(&self, op: u32, name: &str) -> WorkflowError {
        self.set_fatal(Fatal::Replay(format!(
            "the journal of run `{}` holds a state at position {op} (`{name}`) that this \
             kind of operation never writes; the journal is damaged",
            self.run_id
        )))
    }

    fn entry(&self, op: u32, kind: EntryKind, name: &str, state: EntryState) -> JournalEntry {
        JournalEntry {
            seq: op,
            kind,
            name: name.to_owned(),
            state,
            recorded_ms: now_ms(),
        }
    }

    /// Writes `writes` atomically; the entries among them are also kept in
    /// memory for the rest of this execution.
    async fn commit(&self, writes: Vec<Write>) -> Result<Vec<u64>, WorkflowError> {
        let entries: Vec<JournalEntry> = writes
            .iter()
            .filter_map(|w| match w {
                Write::PutEntry { entry, .. } => Some(entry.clone()),
                _ => None,
            })
            .collect();
        match self.store.write(writes).await {
            Ok(ids) => {
                let mut journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
                for entry in entries {
                    journal.insert(entry.seq, entry);
                }
                Ok(ids)
            }
            Err(error) => Err(self.set_fatal(Fatal::Store(error.to_string()))),
        }
    }

    async fn put(
        &self,
        op: u32,
        kind: EntryKind,
        name: &str,
        state: EntryState,
    ) -> Result<(), WorkflowError> {
        let entry = self.entry(op, kind, name, state);
        self.commit(vec![Write::PutEntry {
            run_id: self.run_id.clone(),
            entry,
        }])
        .await
        .map(drop)
    }

    fn status_update(&self, status: RunStatus, waiting_for: Option<String>) -> Write {
        Write::UpdateRun {
            update: RunUpdate {
                run_id: self.run_id.clone(),
                status,
                updated_ms: now_ms(),
                waiting_for,
                output: None,
                error: None,
                usage: None,
            },
            only_unfinished: true,
        }
    }

    /// Runs a step or an agent call: what the journal recorded if it
    /// finished, otherwise attempts until one succeeds or retries run out.
    async fn run_activity(&self, activity: Activity<'_>) -> Result<Value, ActivityError> {
        let Activity {
            op,
            kind,
            name,
            policy,
            mut attempt,
            call: _,
        } = activity;
        let entry_kind = match kind {
            ActivityKind::Step => EntryKind::Step,
            ActivityKind::AgentCall => EntryKind::Call,
        };
        let mut done = match self.replay_activity(op, entry_kind, &name).await? {
            ControlFlow::Break(value) => return Ok(value),
            ControlFlow::Continue(done) => done,
        };
        loop {
            let number = done + 1;
            self.live.set_current(name.as_ref());
            match run_attempt(&mut attempt, number, policy.timeout).await {
                Ok(value) => {
                    let usage = (kind == ActivityKind::AgentCall).then(|| self.agent.usage());
                    let state = EntryState::Succeeded {
                        value: value.clone(),
                        usage,
                    };
                    self.put(op, entry_kind, &name, state)
                        .await
                        .map_err(ActivityError::Interrupted)?;
                    return Ok(value);
                }
                Err(error) => {
                    self.attempt_failed(op, entry_kind, &name, policy, number, error)
                        .await?;
                    done = number;
                }
            }
        }
    }

    /// Where the journal left an activity: `Break` with the value it
    /// recorded, or `Continue` with the attempts already made (once the
    /// journaled delay before the next one is over). A recorded failure
    /// comes back as the error, as it did the first time.
    async fn replay_activity(
        &self,
        op: u32,
        kind: EntryKind,
        name: &str,
    ) -> Result<ControlFlow<Value, u32>, ActivityError> {
        match self
            .recorded(op, kind, name)
            .map_err(ActivityError::Interrupted)?
        {
            None => Ok(ControlFlow::Continue(0)),
            Some(EntryState::Succeeded { value, .. }) => Ok(ControlFlow::Break(value)),
            Some(EntryState::Failed { failure }) => Err(ActivityError::Failed(failure)),
            Some(EntryState::Retrying {
                attempts,
                next_at_ms,
                ..
            }) => {
                self.live.set_current(name);
                sleep_until_ms(next_at_ms).await;
                Ok(ControlFlow::Continue(attempts))
            }
            Some(_) => Err(ActivityError::Interrupted(self.unexpected_state(op, name))),
        }
    }

    /// After attempt `number` failed: `Ok` when another attempt is due,
    /// otherwise the failure, journaled for good (unless the run is being
    /// cancelled, which must not fail it).
    async fn attempt_failed(
        &self,
        op: u32,
        kind: EntryKind,
        name: &str,
        policy: StepPolicy,
        number: u32,
        error: AttemptError,
    ) -> Result<(), ActivityError> {
        let failure = Failure {
            message: error.message.clone(),
            attempts: number,
            call: error.call.clone(),
        };
        // The run is being cancelled or stopped: nothing to journal.
        if error.call == Some(CallFailure::Cancelled) || self.agent.is_cancelled() {
            return Err(ActivityError::Failed(failure));
        }
        if error.retryable && number < policy.retry.attempts {
            let delay = policy.retry.delay_after(number);
            return self
                .retry_after(op, kind, name, number, delay, error.message)
                .await;
        }
        let state = EntryState::Failed {
            failure: failure.clone(),
        };
        self.put(op, kind, name, state)
            .await
            .map_err(ActivityError::Interrupted)?;
        Err(ActivityError::Failed(failure))
    }

    /// Journals that attempt `number` failed and when the next one is due
    /// (so that a restart waits out the same delay), then waits for it.
    async fn retry_after(
        &self,
        op: u32,
        kind: EntryKind,
        name: &str,
        number: u32,
        delay: Duration,
        message: String,
    ) -> Result<(), ActivityError> {
        tracing::info!(
            run = %self.run_id,
            step = %name,
            attempt = number,
            "attempt failed, retrying in {delay:?}: {}",
            message
        );
        let state = EntryState::Retrying {
            attempts: number,
            next_at_ms: after(delay).unwrap_or(u64::MAX),
            last_error: message,
        };
        self.put(op, kind, name, state)
            .await
            .map_err(ActivityError::Interrupted)?;
        tokio::time::sleep(delay).await;
        Ok(())
    }

    /// Waits for input: the payload the journal recorded, or else the first
    /// fitting signal, or the wait's timeout, whichever comes first.
    async fn run_wait(&self, op: u32, wait: Wait<'_>) -> Result<Value, WorkflowError> {
        let until = match self.replay_wait(op, &wait).await? {
            ControlFlow::Break(value) => return Ok(value),
            ControlFlow::Continue(until) => until,
        };
        let (mut seen, guard) = self.open_wait(op, &wait).await?;
        loop {
            if let Some(payload) = self.take_signal(op, &wait, &guard).await? {
                return Ok(payload);
            }
            if let Some(until) = until
                && now_ms() >= until
            {
                let failure = Failure {
                    message: timed_out(&wait).to_string(),
                    attempts: 0,
                    call: None,
                };
                let state = EntryState::Failed { failure };
                let entry = self.entry(op, EntryKind::Wait, wait.name, state);
                self.close_wait(&guard, entry, None).await?;
                return Err(timed_out(&wait));
            }
            tokio::select! {
                _ = seen.changed() => {}
                () = sleep_until_optional(until) => {}
            }
        }
    }

    /// Where the journal left a wait: `Break` with the payload it took, or
    /// `Continue` with when it times out (journaled on the first execution,
    /// so that a restart does not start the timeout again).
    async fn replay_wait(
        &self,
        op: u32,
        wait: &Wait<'_>,
    ) -> Result<ControlFlow<Value, Option<u64>>, WorkflowError> {
        let name = wait.name;
        match self.recorded(op, EntryKind::Wait, name)? {
            Some(EntryState::Succeeded { value, .. }) => Ok(ControlFlow::Break(value)),
            Some(EntryState::Failed { .. }) => Err(timed_out(wait)),
            Some(EntryState::Waiting { until_ms }) => Ok(ControlFlow::Continue(until_ms)),
            Some(_) => Err(self.unexpected_state(op, name)),
            None => {
                let until_ms = wait.timeout.and_then(after);
                self.put(op, EntryKind::Wait, name, EntryState::Waiting { until_ms })
                    .await?;
                Ok(ControlFlow::Continue(until_ms))
            }
        }
    }

    /// Shows the wait to clients and marks the run `input_required`. The
    /// receiver tells of new signals; the guard takes the wait off again.
    async fn open_wait(
        &self,
        op: u32,
        wait: &Wait<'_>,
    ) -> Result<(watch::Receiver<u64>, WaitGuard<'_>), WorkflowError> {
        let mut seen = self.live.signals.subscribe();
        seen.borrow_and_update();
        // Registered before the status changes, so that a client who sees
        // `input_required` can resume at once.
        let guard = WaitGuard {
            live: &self.live,
            op,
        };
        self.live.add_wait(
            op,
            LiveWait {
                name: wait.name.to_owned(),
                check: wait.check,
                schema: wait.schema,
            },
        );
        self.live.set_current(wait.name);
        self.commit(vec![self.status_update(
            RunStatus::InputRequired,
            Some(wait.name.to_owned()),
        )])
        .await?;
        self.live.status.send_replace(RunStatus::InputRequired);
        Ok((seen, guard))
    }

    /// Takes the first signal for this wait whose payload fits, and journals
    /// it as the wait's value; signals whose payload does not fit are dropped.
    async fn take_signal(
        &self,
        op: u32,
        wait: &Wait<'_>,
        guard: &WaitGuard<'_>,
    ) -> Result<Option<Value>, WorkflowError> {
        let signals = self
            .store
            .signals(&self.run_id)
            .await
            .map_err(|e| self.set_fatal(Fatal::Store(e.to_string())))?;
        for signal in signals {
            let Signal {
                id,
                name: to,
                payload,
                ..
            } = signal;
            // Only a signal of this wait's name. (A signal without a name
            // can only come from a journal written before names were
            // required; it goes to the first wait, as it did then.)
            if to.as_deref().is_some_and(|to| to != wait.name) {
                continue;
            }
            let taken = Write::DeleteSignal {
                run_id: self.run_id.clone(),
                id,
            };
            if let Err(problem) = (wait.check)(&payload) {
                tracing::warn!(run = %self.run_id, wait = wait.name, "a payload was refused: {problem}");
                self.commit(vec![taken]).await?;
                continue;
            }
            let state = EntryState::Succeeded {
                value: payload.clone(),
                usage: None,
            };
            let entry = self.entry(op, EntryKind::Wait, wait.name, state);
            self.close_wait(guard, entry, Some(taken)).await?;
            return Ok(Some(payload));
        }
        Ok(None)
    }

    /// Ends a wait: journals its `entry` (and the signal `taken`, if any)
    /// together with the run's status after it, in one write.
    async fn close_wait(
        &self,
        guard: &WaitGuard<'_>,
        entry: JournalEntry,
        taken: Option<Write>,
    ) -> Result<(), WorkflowError> {
        let still_open = guard.close();
        let (status, update) = self.status_after_wait(still_open);
        let mut writes = vec![Write::PutEntry {
            run_id: self.run_id.clone(),
            entry,
        }];
        writes.extend(taken);
        writes.push(update);
        self.commit(writes).await?;
        self.live.status.send_replace(status);
        Ok(())
    }

    fn status_after_wait(&self, still_open: Option<String>) -> (RunStatus, Write) {
        let status = if still_open.is_some() {
            RunStatus::InputRequired
        } else {
            RunStatus::Running
        };
        (status, self.status_update(status, still_open))
    }
}

/// Takes the wait off the run's open waits, also when the run's future is
/// dropped while waiting.
struct WaitGuard<'a> {
    live: &'a LiveRun,
    op: u32,
}

impl WaitGuard<'_> {
    /// Closes the wait; returns the name of another wait still open.
    fn close(&self) -> Option<String> {
        self.live.remove_wait(self.op)
    }
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        self.live.remove_wait(self.op);
    }
}

/// The error of a wait that timed out.
fn timed_out(wait: &Wait<'_>) -> WorkflowError {
    WorkflowError::TimedOut {
        name: wait.name.to_owned(),
        timeout: wait.timeout.unwrap_or(Duration::MAX),
    }
}

async fn sleep_until_optional(until: Option<u64>) {
    match until {
        Some(ms) => sleep_until_ms(ms).await,
        None => std::future::pending().await,
    }
}

pub(super) async fn run_attempt(
    attempt: &mut Attempt<'_>,
    number: u32,
    timeout: Option<Duration>,
) -> Result<Value, AttemptError> {
    let future = AssertUnwindSafe(attempt(number)).catch_unwind();
    let outcome = match timeout {
        Some(limit) => match tokio::time::timeout(limit, future).await {
            Ok(outcome) => outcome,
            Err(_) => {
                return Err(AttemptError {
                    message: format!(
                        "the attempt did not finish within its timeout of {} ms",
                        limit.as_millis()
                    ),
                    retryable: true,
                    call: None,
                });
            }
        },
        None => future.await,
    };
    outcome.unwrap_or_else(|panic| {
        Err(AttemptError {
            message: format!("panicked: {}", panic_message(panic.as_ref())),
            retryable: true,
            call: None,
        })
    })
}

/// splitmix64: a well-mixed 64-bit value from a seed and a counter.
pub(super) fn mix(seed: u64, counter: u64) -> u64 {
    let mut z = seed.wrapping_add(counter.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl RunDriver for JournalRun {
    fn run_id(&self) -> &str {
        &self.run_id
    }

    fn workflow(&self) -> &'static str {
        self.workflow
    }

    fn next_op(&self) -> u32 {
        self.next_op.fetch_add(1, Ordering::Relaxed)
    }

    fn default_policy(&self) -> StepPolicy {
        self.policy
    }

    fn agent_context(&self) -> &AgentContext {
        &self.agent
    }

    fn activity<'a>(
        &'a self,
        activity: Activity<'a>,
    ) -> BoxFuture<'a, Result<Value, ActivityError>> {
        self.run_activity(activity).boxed()
    }

    fn sleep(&self, op: u32, duration: Duration) -> BoxFuture<'_, Result<(), WorkflowError>> {
        async move {
            let fire_at_ms = match self.recorded(op, EntryKind::Sleep, "sleep")? {
                Some(EntryState::Timer { fire_at_ms }) => fire_at_ms,
                Some(_) => return Err(self.unexpected_state(op, "sleep")),
                None => {
                    let fire_at_ms = after(duration).unwrap_or(u64::MAX);
                    self.put(
                        op,
                        EntryKind::Sleep,
                        "sleep",
                        EntryState::Timer { fire_at_ms },
                    )
                    .await?;
                    fire_at_ms
                }
            };
            self.live.set_current("sleep");
            sleep_until_ms(fire_at_ms).await;
            Ok(())
        }
        .boxed()
    }

    fn wait_for<'a>(
        &'a self,
        op: u32,
        wait: Wait<'a>,
    ) -> BoxFuture<'a, Result<Value, WorkflowError>> {
        self.run_wait(op, wait).boxed()
    }

    fn now(&self, op: u32) -> BoxFuture<'_, Result<SystemTime, WorkflowError>> {
        async move {
            match self.recorded(op, EntryKind::Now, "now")? {
                Some(EntryState::Succeeded { value, .. }) => match value.as_u64() {
                    Some(ms) => Ok(system_time(ms)),
                    None => Err(self.unexpected_state(op, "now")),
                },
                Some(_) => Err(self.unexpected_state(op, "now")),
                None => {
                    let ms = now_ms();
                    let state = EntryState::Succeeded {
                        value: ms.into(),
                        usage: None,
                    };
                    self.put(op, EntryKind::Now, "now", state).await?;
                    Ok(system_time(ms))
                }
            }
        }
        .boxed()
    }

    fn random_u64(&self) -> u64 {
        mix(self.seed, self.draws.fetch_add(1, Ordering::Relaxed))
    }
}
