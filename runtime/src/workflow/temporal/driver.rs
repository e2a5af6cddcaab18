//! The [`RunDriver`] of a run on Temporal, and the queue between it and the
//! dispatcher workflow.
//!
//! The workflow's code is polled inside the SDK's workflow task, and again
//! by the activity `agentwire.step` (see [`super::step_run`]) up to the step
//! that activity runs. What it asks of the driver goes into a [`Bridge`]
//! queue that the dispatcher turns into Temporal commands after each poll
//! (or that the step activity answers from the dispatcher's log), and the
//! answers come back through the bridge. The driver's futures register no
//! waker: the dispatcher polls the code again whenever it delivered an
//! answer, so every wake-up comes from the SDK, in history order.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Recorded;
use super::agent_call::{AgentDone, AgentFailed, AgentTask, since};
use crate::agent::context::AgentContext;
use crate::budget::Usage;
use crate::mcp::meta::grant_value;
use crate::telemetry::inject_into;
use crate::workflow::WorkflowError;
use crate::workflow::backend::{
    Activity, ActivityError, ActivityKind, AgentCall, AttemptError, RunDriver, Wait,
};
use crate::workflow::policy::StepPolicy;
use crate::workflow::record::Failure;
use crate::workflow::replay::{mix, run_attempt};

/// What the workflow's code asks the dispatcher for.
pub(super) enum Request {
    /// Record the outcome of the step or agent call `name` in the history
    /// (`None` on replay: the history has it).
    Record {
        name: String,
        outcome: Option<Value>,
    },
    /// Run an agent call as the activity `agentwire.agent`.
    Agent {
        /// What the web UI shows.
        summary: String,
        /// The activity's input ([`AgentTask`]).
        task: Value,
        /// Its retries and timeout.
        policy: StepPolicy,
        /// What the run has left of its time.
        time_left: Option<Duration>,
    },
    /// Run a step, or an agent call without JSON arguments, as the activity
    /// `agentwire.step`.
    Step {
        /// What the web UI shows, and what the activity checks it reached.
        summary: String,
        /// Its retries and timeout.
        policy: StepPolicy,
        /// What the run has left of its time.
        time_left: Option<Duration>,
    },
    /// A durable timer.
    Sleep(Duration),
    /// The next signal for the wait `name`, or `None` after `timeout`.
    Wait {
        name: String,
        timeout: Option<Duration>,
    },
    /// The workflow's time.
    Now,
}

impl Request {
    /// What it asks for, for messages.
    pub fn what(&self) -> &'static str {
        match self {
            Request::Record { .. } => "the record of a step",
            Request::Agent { .. } => "an agent call",
            Request::Step { .. } => "a step",
            Request::Sleep(_) => "a timer",
            Request::Wait { .. } => "a wait",
            Request::Now => "the time",
        }
    }

    /// Whether `reply` is an answer to this request (the step activity
    /// checks the code it re-runs asks what the log answers).
    pub fn fits(&self, reply: &Reply) -> bool {
        matches!(
            (self, reply),
            (_, Reply::Cancelled | Reply::Failed(_))
                | (Request::Record { .. }, Reply::Value(_))
                | (
                    Request::Agent { .. } | Request::Step { .. },
                    Reply::Called(_)
                )
                | (Request::Sleep(_), Reply::Done)
                | (Request::Wait { .. }, Reply::Value(_) | Reply::TimedOut)
                | (Request::Now, Reply::Time(_))
        )
    }
}

/// The dispatcher's answer to a [`Request`], as its log keeps it for the
/// step activity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Reply {
    /// A recorded outcome, or a signal's payload.
    Value(Value),
    /// How an agent call's or a step's activity ended.
    Called(Result<AgentDone, AgentFailed>),
    /// A timer fired.
    Done,
    /// A wait's timeout passed first.
    TimedOut,
    /// The workflow's time.
    Time(SystemTime),
    /// The run was cancelled.
    Cancelled,
    /// Temporal refused (the history does not match the code).
    Failed(String),
}

#[derive(Default)]
struct Shared {
    next: u64,
    queue: VecDeque<(u64, Request)>,
    replies: HashMap<u64, Reply>,
    current: Option<String>,
    waits: BTreeMap<u64, (String, Value)>,
    /// What a step's closure asked the context for while the step activity
    /// ran it (nothing answers that there).
    asked_inside_step: Option<&'static str>,
}

/// The queue between a run's driver and its dispatcher.
#[derive(Default)]
pub(super) struct Bridge {
    shared: Mutex<Shared>,
    replaying: AtomicBool,
    /// Whether the step activity is polling its step's attempt.
    inside_step: AtomicBool,
}

impl Bridge {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the dispatcher is replaying history (then every outcome the
    /// code reaches is recorded already).
    pub fn set_replaying(&self, replaying: bool) {
        self.replaying.store(replaying, Ordering::Release);
    }

    fn replaying(&self) -> bool {
        self.replaying.load(Ordering::Acquire)
    }

    /// The requests made since the last call, in the order the code made them.
    pub fn take_requests(&self) -> Vec<(u64, Request)> {
        self.lock().queue.drain(..).collect()
    }

    pub fn reply(&self, id: u64, reply: Reply) {
        self.lock().replies.insert(id, reply);
    }

    /// The step or wait the run is in, and its open waits.
    pub fn progress(&self) -> (Option<String>, Vec<(String, Value)>) {
        let shared = self.lock();
        (
            shared.current.clone(),
            shared.waits.values().cloned().collect(),
        )
    }

    fn set_current(&self, name: &str) {
        self.lock().current = Some(name.to_owned());
    }

    /// What the step's closure asked the context for, if it did, while
    /// the step activity ran it.
    pub fn asked_inside_step(&self) -> Option<&'static str> {
        self.lock().asked_inside_step
    }

    /// Takes the id `id` if it is the next one: the step activity's driver
    /// runs the step it is for instead of asking for it.
    fn claim(&self, id: u64) -> bool {
        let mut shared = self.lock();
        let next = shared.next == id;
        if next {
            shared.next += 1;
        }
        next
    }

    /// Asks the dispatcher; the future is ready once it answered.
    fn request(&self, request: Request) -> Pending<'_> {
        let mut shared = self.lock();
        if self.inside_step.load(Ordering::Acquire) {
            shared.asked_inside_step.get_or_insert(request.what());
        }
        let id = shared.next;
        shared.next += 1;
        shared.queue.push_back((id, request));
        Pending { bridge: self, id }
    }
}

/// A request waiting for its reply. It registers no waker: the dispatcher
/// polls the workflow again after every reply.
struct Pending<'a> {
    bridge: &'a Bridge,
    id: u64,
}

impl Future for Pending<'_> {
    type Output = Reply;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Reply> {
        match self.bridge.lock().replies.remove(&self.id) {
            Some(reply) => Poll::Ready(reply),
            None => Poll::Pending,
        }
    }
}

/// A wait the run is in, shown by `progress` until it ends.
struct OpenWait<'a> {
    bridge: &'a Bridge,
    id: u64,
}

impl Drop for OpenWait<'_> {
    fn drop(&mut self) {
        self.bridge.lock().waits.remove(&self.id);
    }
}

/// Where a run's steps (and its agent calls without JSON arguments) run.
pub(super) enum Steps {
    /// Inside the workflow task, all attempts within `window` (see
    /// [`super::step_window`]), each outcome recorded by the activity
    /// `agentwire.record`: runs whose history began before steps became
    /// activities (the patch [`super::STEPS_AS_ACTIVITIES`]).
    InTask { window: Duration },
    /// As the activity `agentwire.step`, on any worker.
    Activities,
    /// Inside the activity `agentwire.step`, which re-runs the code: the
    /// one step it runs here; every other step is answered from the log.
    Here(Arc<Target>),
}

/// The step an `agentwire.step` activity runs, and how far it got.
pub(super) struct Target {
    /// The request id the dispatcher gave it.
    pub id: u64,
    /// The summary the dispatcher scheduled it with (`step <name>`).
    pub summary: String,
    /// Temporal's attempt number (from 1).
    pub attempt: u32,
    /// What the earlier attempts used (their last heartbeat).
    pub earlier: Usage,
    reached: Mutex<Option<Reached>>,
}

/// How far the code re-run by the step activity got with its target.
#[derive(Clone)]
pub(super) enum Reached {
    /// The attempt runs; the run had used `base` before it.
    Running { base: Usage },
    /// The attempt ended; what it and the earlier attempts used.
    Ended {
        outcome: Result<Value, AttemptError>,
        usage: Usage,
    },
    /// The code reached another step than the history's at that id.
    Other(String),
}

impl Target {
    pub fn new(id: u64, summary: String, attempt: u32, earlier: Usage) -> Target {
        Target {
            id,
            summary,
            attempt,
            earlier,
            reached: Mutex::new(None),
        }
    }

    /// How far the code got with the step, `None` before it reached it.
    pub fn reached(&self) -> Option<Reached> {
        self.reached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn reach(&self, reached: Reached) {
        *self.reached.lock().unwrap_or_else(|e| e.into_inner()) = Some(reached);
    }
}

/// The driver of one run on a Temporal worker.
pub(super) struct TemporalRun {
    pub bridge: Arc<Bridge>,
    pub run_id: String,
    pub workflow: &'static str,
    pub seed: u64,
    pub policy: StepPolicy,
    /// Where its steps run.
    pub steps: Steps,
    pub agent: AgentContext,
    pub next_op: AtomicU32,
    pub draws: AtomicU64,
    pub waits: AtomicU64,
}

impl TemporalRun {
    /// Runs the attempts of a step here, as its policy says, all of them
    /// (and the waits between them) within the step window: each attempt's
    /// timeout is cut to what is left of it.
    async fn attempts(
        &self,
        activity: &mut Activity<'_>,
        window: Duration,
    ) -> Result<Value, ActivityError> {
        let retry = activity.policy.retry;
        let started = Instant::now();
        let out_of_time = |number: u32, what: String| {
            ActivityError::Failed(Failure {
                message: format!(
                    "{what}: on Temporal a step runs inside a workflow task and must end within \
                     {} ms (4/5 of [workflows.temporal] task_timeout, at most 120 s), retries \
                     included; raise task_timeout or move the work into an agent call, which \
                     runs as an activity",
                    window.as_millis()
                ),
                attempts: number,
                call: None,
            })
        };
        let mut number = 1;
        loop {
            if self.agent.is_cancelled() {
                return Err(ActivityError::Interrupted(WorkflowError::Interrupted(
                    "the run was cancelled".to_owned(),
                )));
            }
            let left = window.saturating_sub(started.elapsed());
            let cut = activity.policy.timeout.is_none_or(|t| t >= left);
            let limit = activity.policy.timeout.map_or(left, |t| t.min(left));
            let attempt_started = Instant::now();
            match run_attempt(&mut activity.attempt, number, Some(limit)).await {
                Ok(value) => return Ok(value),
                Err(error) if cut && error.call.is_none() && attempt_started.elapsed() >= limit => {
                    return Err(out_of_time(
                        number,
                        format!(
                            "attempt {number} was stopped after {} ms",
                            limit.as_millis()
                        ),
                    ));
                }
                Err(error) if error.retryable && number < retry.attempts.max(1) => {
                    tracing::debug!(run = %self.run_id, step = %activity.name, attempt = number, "attempt failed: {}", error.message);
                    let delay = retry.delay_after(number);
                    if started.elapsed() + delay >= window {
                        return Err(out_of_time(
                            number,
                            format!(
                                "attempt {number} failed ({}) and no time is left for another",
                                error.message
                            ),
                        ));
                    }
                    tokio::time::sleep(delay).await;
                    number += 1;
                }
                Err(error) => {
                    return Err(ActivityError::Failed(Failure {
                        message: error.message,
                        attempts: number,
                        call: error.call,
                    }));
                }
            }
        }
    }

    /// Runs an agent call as the activity `agentwire.agent`, on whichever
    /// worker takes it, retried and timed out by Temporal as `policy`
    /// says; what its attempts used together (failed ones too: each starts
    /// from the earlier ones' usage) is charged to the run, on replays as
    /// well (the history has it).
    async fn call_agent(
        &self,
        name: &str,
        policy: StepPolicy,
        call: AgentCall,
    ) -> Result<Value, ActivityError> {
        let remaining = self.agent.remaining_budget();
        let mut trace = serde_json::Map::new();
        inject_into(&tracing::Span::current(), &mut trace);
        let task = AgentTask {
            run_id: self.run_id.clone(),
            workflow: self.workflow.to_owned(),
            agent: call.agent.name.to_owned(),
            arguments: call.arguments,
            budget: grant_value(&remaining),
            narrowing: grant_value(&call.narrowing),
            owner: self.agent.principal().cloned(),
            trace,
        };
        let task = serde_json::to_value(task).map_err(|e| {
            ActivityError::Interrupted(refused(format!(
                "the call of `{name}` cannot be sent to a worker: {e}"
            )))
        })?;
        let request = Request::Agent {
            summary: format!("agent {name}"),
            task,
            policy,
            time_left: remaining.time,
        };
        let reply = self.bridge.request(request).await;
        self.called(reply)
    }

    /// Runs a step (or an agent call without JSON arguments) as the
    /// activity `agentwire.step`, on whichever worker takes it, retried and
    /// timed out by Temporal as its policy says; what its attempts used is
    /// charged to the run, as for agent calls.
    async fn step_activity(
        &self,
        summary: String,
        policy: StepPolicy,
    ) -> Result<Value, ActivityError> {
        let request = Request::Step {
            summary,
            policy,
            time_left: self.agent.remaining_budget().time,
        };
        let reply = self.bridge.request(request).await;
        self.called(reply)
    }

    /// Inside the step activity: runs one attempt of the step it is for,
    /// under the run's budget less what the earlier attempts used, and
    /// hands the outcome to the activity; the code goes no further.
    async fn run_target(
        &self,
        target: &Target,
        summary: String,
        mut activity: Activity<'_>,
    ) -> Result<Value, ActivityError> {
        if summary != target.summary {
            target.reach(Reached::Other(format!(
                "the history's activity is `{}`, the code's `{summary}`",
                target.summary
            )));
            return std::future::pending().await;
        }
        let base = self.agent.usage();
        target.reach(Reached::Running { base });
        self.charge(target.earlier);
        // Requests made while the attempt is polled come from the step's
        // closure: the activity fails the step rather than wait for them.
        let mut attempt = std::pin::pin!(run_attempt(
            &mut activity.attempt,
            target.attempt,
            activity.policy.timeout
        ));
        let outcome = std::future::poll_fn(|cx| {
            self.bridge.inside_step.store(true, Ordering::Release);
            let poll = attempt.as_mut().poll(cx);
            self.bridge.inside_step.store(false, Ordering::Release);
            poll
        })
        .await;
        let usage = since(self.agent.usage(), base);
        target.reach(Reached::Ended { outcome, usage });
        std::future::pending().await
    }

    /// What the workflow gets from the reply to an agent call's or a step's
    /// activity.
    fn called(&self, reply: Reply) -> Result<Value, ActivityError> {
        match reply {
            Reply::Called(Ok(done)) => {
                self.charge(done.usage);
                Ok(done.output)
            }
            Reply::Called(Err(failed)) => {
                self.charge(failed.usage);
                Err(ActivityError::Failed(Failure {
                    message: failed.message,
                    attempts: failed.attempt,
                    call: failed.call,
                }))
            }
            Reply::Cancelled => Err(ActivityError::Interrupted(cancelled())),
            Reply::Failed(message) => Err(ActivityError::Interrupted(refused(message))),
            _ => Err(ActivityError::Interrupted(refused(
                "the dispatcher answered an activity with something else".to_owned(),
            ))),
        }
    }

    /// Charges the run with what an agent call used in a worker (it was
    /// spent already, within the share the run granted it).
    fn charge(&self, usage: Usage) {
        if usage != Usage::default() {
            self.agent.scope().restore(Usage {
                elapsed_ms: 0,
                ..usage
            });
        }
    }

    /// Charges the run with what a replayed agent call had used.
    fn restore(&self, recorded: Usage) {
        self.charge(since(recorded, self.agent.usage()));
    }
}

/// Runs `work` to its end before the workflow task goes on. The SDK ends a
/// workflow task as soon as the code waits for something that is not a
/// Temporal command, so a step or agent call cannot simply be awaited: a
/// thread of its own runs it on the process's tokio runtime while the
/// workflow task waits, and the runtime's threads carry the worker's polls.
fn run_here<T: Send>(
    work: impl Future<Output = Result<T, ActivityError>> + Send,
) -> Result<T, ActivityError> {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return Err(ActivityError::Interrupted(refused(
            "a Temporal worker runs steps on a tokio runtime only".to_owned(),
        )));
    };
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("agentwire-step".to_owned())
            .spawn_scoped(scope, || handle.block_on(work))
            .map_err(|e| {
                ActivityError::Interrupted(refused(format!("cannot start a step's thread: {e}")))
            })?
            .join()
            .unwrap_or_else(|_| {
                Err(ActivityError::Interrupted(refused(
                    "a step's thread panicked".to_owned(),
                )))
            })
    })
}

fn kind_name(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Step => "step",
        ActivityKind::AgentCall => "agent",
    }
}

fn refused(message: String) -> WorkflowError {
    WorkflowError::Interrupted(message)
}

fn cancelled() -> WorkflowError {
    WorkflowError::Interrupted("the run was cancelled".to_owned())
}

impl RunDriver for TemporalRun {
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
        mut activity: Activity<'a>,
    ) -> BoxFuture<'a, Result<Value, ActivityError>> {
        async move {
            let name: Cow<'_, str> = activity.name.clone();
            self.bridge.set_current(&name);
            if let Some(call) = activity.call.take() {
                return self.call_agent(&name, activity.policy, call).await;
            }
            let summary = format!("{} {name}", kind_name(activity.kind));
            let window = match &self.steps {
                Steps::InTask { window } => *window,
                Steps::Here(target) if self.bridge.claim(target.id) => {
                    return self.run_target(target, summary, activity).await;
                }
                Steps::Activities | Steps::Here(_) => {
                    return self.step_activity(summary, activity.policy).await;
                }
            };
            let outcome = if self.bridge.replaying() {
                None
            } else {
                let outcome = run_here(self.attempts(&mut activity, window));
                if let Err(ActivityError::Interrupted(error)) = outcome {
                    return Err(ActivityError::Interrupted(error));
                }
                let usage = (activity.kind == ActivityKind::AgentCall).then(|| self.agent.usage());
                let recorded = match outcome {
                    Ok(value) => Recorded {
                        value: Some(value),
                        failure: None,
                        usage,
                    },
                    Err(ActivityError::Failed(failure)) => Recorded {
                        value: None,
                        failure: Some(failure),
                        usage,
                    },
                    Err(ActivityError::Interrupted(_)) => unreachable!("returned above"),
                };
                Some(serde_json::to_value(recorded).map_err(|e| {
                    ActivityError::Interrupted(refused(format!(
                        "the outcome of `{name}` cannot be recorded: {e}"
                    )))
                })?)
            };
            let request = Request::Record {
                name: summary,
                outcome,
            };
            match self.bridge.request(request).await {
                Reply::Value(value) => {
                    let recorded: Recorded = serde_json::from_value(value).map_err(|e| {
                        ActivityError::Interrupted(refused(format!(
                            "the history's record of `{name}` cannot be read: {e}"
                        )))
                    })?;
                    if let Some(usage) = recorded.usage {
                        self.restore(usage);
                    }
                    match (recorded.value, recorded.failure) {
                        (_, Some(failure)) => Err(ActivityError::Failed(failure)),
                        (Some(value), None) => Ok(value),
                        (None, None) => Ok(Value::Null),
                    }
                }
                Reply::Cancelled => Err(ActivityError::Interrupted(cancelled())),
                Reply::Failed(message) => Err(ActivityError::Interrupted(refused(message))),
                Reply::Done | Reply::TimedOut | Reply::Time(_) | Reply::Called(_) => {
                    Err(ActivityError::Interrupted(refused(
                        "the dispatcher answered a record with something else".to_owned(),
                    )))
                }
            }
        }
        .boxed()
    }

    fn sleep(&self, _op: u32, duration: Duration) -> BoxFuture<'_, Result<(), WorkflowError>> {
        async move {
            self.bridge.set_current("sleep");
            match self.bridge.request(Request::Sleep(duration)).await {
                Reply::Done => Ok(()),
                Reply::Failed(message) => Err(refused(message)),
                _ => Err(cancelled()),
            }
        }
        .boxed()
    }

    fn wait_for<'a>(
        &'a self,
        _op: u32,
        wait: Wait<'a>,
    ) -> BoxFuture<'a, Result<Value, WorkflowError>> {
        async move {
            self.bridge.set_current(wait.name);
            let id = self.waits.fetch_add(1, Ordering::Relaxed);
            self.bridge
                .lock()
                .waits
                .insert(id, (wait.name.to_owned(), (wait.schema)()));
            let _open = OpenWait {
                bridge: &self.bridge,
                id,
            };
            loop {
                let request = Request::Wait {
                    name: wait.name.to_owned(),
                    timeout: wait.timeout,
                };
                return match self.bridge.request(request).await {
                    // The MCP server cannot check a payload against the
                    // wait's type: the run drops one that does not fit and
                    // waits on.
                    Reply::Value(payload) => match (wait.check)(&payload) {
                        Ok(()) => Ok(payload),
                        Err(message) => {
                            tracing::warn!(run = %self.run_id, wait = wait.name, "a payload that does not fit is dropped: {message}");
                            continue;
                        }
                    },
                    Reply::TimedOut => Err(WorkflowError::TimedOut {
                        name: wait.name.to_owned(),
                        timeout: wait.timeout.unwrap_or(Duration::MAX),
                    }),
                    Reply::Failed(message) => Err(refused(message)),
                    _ => Err(cancelled()),
                };
            }
        }
        .boxed()
    }

    fn now(&self, _op: u32) -> BoxFuture<'_, Result<SystemTime, WorkflowError>> {
        async move {
            match self.bridge.request(Request::Now).await {
                Reply::Time(time) => Ok(time),
                Reply::Failed(message) => Err(refused(message)),
                _ => Err(cancelled()),
            }
        }
        .boxed()
    }

    fn random_u64(&self) -> u64 {
        mix(self.seed, self.draws.fetch_add(1, Ordering::Relaxed))
    }
}
