//! The one Temporal workflow type of agentwire, `agentwire`: it looks the
//! run's `#[workflow]` up by name, polls its code, and turns what the code
//! asks its driver for into Temporal commands (agent calls become the
//! activity `agentwire.agent`, steps the activity `agentwire.step`); and
//! the activity `agentwire.record` that keeps the outcome of each step of
//! runs started before steps became activities.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::sync::{Arc, RwLock};
use std::task::Poll;
use std::time::Duration;

use futures::future::{Either, LocalBoxFuture};
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use serde_json::Value;
use temporalio_macros::{activities, workflow, workflow_methods};
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use temporalio_sdk::{
    ActivityOptions, SyncWorkflowContext, TimerResult, WorkflowContext, WorkflowContextView,
    WorkflowResult, WorkflowTermination,
};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::agent_call::{self, AgentCalls, AgentDone, AgentFailed};
use super::driver::{Bridge, Reply, Request, Steps, TemporalRun};
use super::step_run::{STEP_INPUT_LIMIT, StepRuns, StepTask};
use super::{CallAgent, Ending, Progress, Resume, RunInput, STEPS_AS_ACTIVITIES, step_window};
use crate::agent::context::AgentContext;
use crate::agent::execution::{exceeded_below, guarded};
use crate::agent::host::Host;
use crate::agent::{AgentDefinition, Failure, Interrupted, InvokeError, InvokeFuture, Subject};
use crate::budget::{BudgetExceeded, Dimension, Scope, Usage};
use crate::mcp::meta::{BUDGET_KEY, read_grant};
use crate::telemetry::set_parent_from;
use crate::workflow::context::WorkflowContext as RunContext;
use crate::workflow::definition::WorkflowDefinition;
use crate::workflow::policy::StepPolicy;
use crate::workflow::record::{RunError, RunStatus};

/// What the worker of this process runs: its workflows, the agents they
/// call (local or remote), how to call one, and its host.
pub(super) struct WorkerSetup {
    pub workflows: BTreeMap<&'static str, (&'static AgentDefinition, &'static WorkflowDefinition)>,
    pub agents: BTreeMap<&'static str, &'static AgentDefinition>,
    pub call: CallAgent,
    pub host: Arc<Host>,
    /// The workflow task timeout of this worker's settings, for runs whose
    /// input does not say.
    pub task_timeout: Duration,
}

/// The SDK creates workflow instances itself (`Default`), so the
/// dispatcher finds the registry of its process here.
static SETUP: RwLock<Option<Arc<WorkerSetup>>> = RwLock::new(None);

pub(super) fn install(setup: WorkerSetup) {
    *SETUP.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(setup));
}

pub(super) fn setup() -> Option<Arc<WorkerSetup>> {
    SETUP.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The state of one run's workflow execution: the signals not taken yet,
/// and what `progress` shows.
#[workflow]
#[derive(Default)]
pub struct Dispatcher {
    signals: Vec<Resume>,
    progress: Progress,
}

#[workflow_methods]
impl Dispatcher {
    #[run(name = "agentwire")]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: Value) -> WorkflowResult<Value> {
        let ending = dispatch(ctx.clone(), input).await?;
        Ok(serde_json::to_value(ending).unwrap_or(Value::Null))
    }

    /// `workflows-resume`: a payload for the wait of its name.
    #[signal(name = "resume")]
    pub fn resume(&mut self, _ctx: &mut SyncWorkflowContext<Self>, signal: Value) {
        match serde_json::from_value::<Resume>(signal) {
            Ok(resume) => self.signals.push(resume),
            Err(error) => tracing::warn!(
                "a `resume` signal that is not {{name, payload}} is dropped: {error}"
            ),
        }
    }

    /// The step the run is in, its open waits, and what it used.
    #[query(name = "progress")]
    pub fn progress(&self, _ctx: &WorkflowContextView) -> Value {
        serde_json::to_value(&self.progress).unwrap_or(Value::Null)
    }
}

/// The activity that records outcomes: it returns its input, which the
/// history keeps as the activity's result.
pub struct Recorder;

#[activities]
impl Recorder {
    #[activity(name = "agentwire.record")]
    pub async fn record(_ctx: ActivityContext, outcome: Value) -> Result<Value, ActivityError> {
        Ok(outcome)
    }
}

/// A run that broke (its input or its history do not fit the code).
pub(super) fn broke(message: impl Into<String>) -> Ending {
    Ending {
        status: RunStatus::Failed,
        output: None,
        error: Some(RunError::broke(message)),
        usage: Usage::default(),
    }
}

fn from_failure(failure: Failure, usage: Usage) -> Ending {
    Ending {
        status: RunStatus::Failed,
        output: None,
        error: Some(RunError::from_failure(&failure)),
        usage,
    }
}

/// A run's code, ready to be polled, and what it runs under.
pub(super) struct Code {
    pub definition: &'static AgentDefinition,
    pub agent: AgentContext,
    pub cancel: CancellationToken,
    pub bridge: Arc<Bridge>,
    /// The workflow's code (not yet guarded by the run's cancellation and
    /// time).
    pub future: InvokeFuture,
}

/// Sets a run's code up from its input as of `now_ms` (ms since the
/// epoch): its workflow, its budget (the time counted from the run's
/// creation), its agent context and its driver. The dispatcher does it with
/// workflow time; the step activity, which re-runs the code up to a step,
/// the same way with the worker's clock. `Err` is how the run ends instead.
pub(super) fn start_code(
    setup: &WorkerSetup,
    input: &RunInput,
    run_id: &str,
    now_ms: u64,
    steps: Steps,
) -> Result<Code, Box<Ending>> {
    let Some(&(definition, workflow)) = setup.workflows.get(input.workflow.as_str()) else {
        return Err(Box::new(broke(format!(
            "`{}` is not a workflow of this worker",
            input.workflow
        ))));
    };
    let mut meta = serde_json::Map::new();
    meta.insert(BUDGET_KEY.into(), input.limits.clone());
    let mut limits = match read_grant(&meta) {
        Ok(limits) => limits.unwrap_or_default(),
        Err(error) => {
            let message = format!("the run's budget cannot be read: {error}");
            return Err(Box::new(broke(message)));
        }
    };
    // The time limit counts from the run's creation.
    if let Some(time) = limits.time {
        let elapsed = Duration::from_millis(now_ms.saturating_sub(input.created_ms));
        match time.checked_sub(elapsed) {
            Some(left) if !left.is_zero() => limits.time = Some(left),
            _ => {
                let exceeded = BudgetExceeded {
                    dimension: Dimension::Time,
                    limit: time.as_millis() as u64,
                    used: elapsed.as_millis() as u64,
                };
                let failure = Failure::out_of_budget(
                    Subject::new("workflow", definition.name),
                    "the run ran out of time".to_owned(),
                    exceeded,
                    definition.name.to_owned(),
                );
                return Err(Box::new(from_failure(failure, Usage::default())));
            }
        }
    }
    let scope = match Scope::root(definition.name, limits) {
        Ok(scope) => scope,
        Err(exceeded) => {
            let failure = Failure::out_of_budget(
                Subject::new("workflow", definition.name),
                "the run cannot go on".to_owned(),
                exceeded,
                definition.name.to_owned(),
            );
            return Err(Box::new(from_failure(failure, Usage::default())));
        }
    };
    let cancel = CancellationToken::new();
    let agent = AgentContext::root(
        definition.name,
        cancel.clone(),
        None,
        scope,
        setup.host.clone(),
        input.owner.clone().map(Arc::new),
    );
    let bridge = Arc::new(Bridge::default());
    let driver = Arc::new(TemporalRun {
        bridge: bridge.clone(),
        run_id: run_id.to_owned(),
        workflow: definition.name,
        seed: input.seed,
        policy: workflow.step_policy(),
        steps,
        agent: agent.clone(),
        next_op: AtomicU32::new(0),
        draws: AtomicU64::new(0),
        waits: AtomicU64::new(0),
    });
    let future = (workflow.run)(RunContext::new(driver), input.arguments.clone());
    Ok(Code {
        definition,
        agent,
        cancel,
        bridge,
        future,
    })
}

/// What the dispatcher delivered to the code in one turn of its loop: the
/// replies, by request id. The step activity delivers them again, turn by
/// turn, to bring a re-run of the code to the step it runs.
pub(super) type Batch = Vec<(u64, Reply)>;

/// Runs the agentwire workflow the input names to its end.
async fn dispatch(
    ctx: WorkflowContext<Dispatcher>,
    input: Value,
) -> Result<Ending, WorkflowTermination> {
    let input: RunInput = match serde_json::from_value(input) {
        Ok(input) => input,
        Err(error) => return Ok(broke(format!("the run's input cannot be read: {error}"))),
    };
    let Some(setup) = setup() else {
        return Ok(broke("this process runs no agentwire worker"));
    };
    // Runs started before steps became activities keep running them in the
    // workflow task, so that their histories still replay.
    let steps = if ctx.patched(STEPS_AS_ACTIVITIES) {
        Steps::Activities
    } else {
        Steps::InTask {
            window: step_window(
                input
                    .task_timeout_ms
                    .map_or(setup.task_timeout, Duration::from_millis),
            ),
        }
    };
    let now_ms = ctx
        .workflow_time()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64)
        .unwrap_or(input.created_ms);
    let run_id = ctx.workflow_id().to_owned();
    let Code {
        definition,
        agent,
        cancel,
        bridge,
        future,
    } = match start_code(&setup, &input, &run_id, now_ms, steps) {
        Ok(code) => code,
        Err(ending) => return Ok(*ending),
    };
    let span = tracing::info_span!("workflow run", run = %run_id, workflow = definition.name);
    set_parent_from(&span, &input.trace);
    let mut code = Box::pin(guarded(&agent, future).instrument(span));

    let mut commands: FuturesUnordered<LocalBoxFuture<'static, (u64, Reply)>> =
        FuturesUnordered::new();
    let mut log: Vec<Batch> = Vec::new();
    let mut cancelled = Box::pin(cancelled_future(ctx.clone()));
    let mut cancel_seen = false;
    let outcome = std::future::poll_fn(|cx| {
        loop {
            if !cancel_seen && cancelled.poll_unpin(cx).is_ready() {
                cancel_seen = true;
                cancel.cancel();
            }
            bridge.set_replaying(ctx.is_replaying());
            if let Poll::Ready(outcome) = code.poll_unpin(cx) {
                return Poll::Ready(outcome);
            }
            let mut progressed = false;
            for (id, request) in bridge.take_requests() {
                let step = match &request {
                    Request::Step { summary, .. } => {
                        Some(step_task(&input, &run_id, &log, id, summary))
                    }
                    _ => None,
                };
                commands.push(command(ctx.clone(), id, request, step));
                progressed = true;
            }
            let mut batch = Batch::new();
            while let Poll::Ready(Some((id, reply))) = commands.poll_next_unpin(cx) {
                batch.push((id, reply.clone()));
                bridge.reply(id, reply);
                progressed = true;
            }
            // A turn that delivered nothing is not logged: polling the code
            // again with nothing new makes it ask nothing new.
            if !batch.is_empty() {
                log.push(batch);
            }
            show_progress(&ctx, &bridge, &agent);
            if !progressed {
                return Poll::Pending;
            }
        }
    })
    .await;
    drop(code);
    let usage = agent.usage();
    if cancel_seen {
        return Err(WorkflowTermination::cancelled());
    }
    let ending = ending(outcome, &agent, definition, usage);
    if !ctx.is_replaying() {
        tracing::info!(run = %run_id, workflow = definition.name, status = %ending.status, used = %usage, "workflow run finished");
    }
    Ok(ending)
}

/// The input of the step activity for the request `id`, or why it cannot
/// be sent: larger than [`STEP_INPUT_LIMIT`].
fn step_task(
    input: &RunInput,
    run_id: &str,
    log: &[Batch],
    id: u64,
    summary: &str,
) -> Result<Value, String> {
    let task = StepTask {
        run: Cow::Borrowed(input),
        run_id: run_id.to_owned(),
        log: Cow::Borrowed(log),
        target: id,
        summary: summary.to_owned(),
    };
    let bytes = serde_json::to_vec(&task)
        .map_err(|e| format!("`{summary}` cannot be sent to a worker: {e}"))?;
    if bytes.len() > STEP_INPUT_LIMIT {
        return Err(format!(
            "`{summary}` cannot run: its activity's input (the run's arguments and the log of \
             what the run received so far) would be {} bytes, more than the {STEP_INPUT_LIMIT} \
             bytes a Temporal payload may safely have; give the run smaller arguments, or \
             smaller step values and payloads, or split it into several runs",
            bytes.len()
        ));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| format!("`{summary}` cannot be sent to a worker: {e}"))
}

fn ending(
    outcome: Result<Result<Value, InvokeError>, Interrupted>,
    agent: &AgentContext,
    definition: &'static AgentDefinition,
    usage: Usage,
) -> Ending {
    let subject = Subject::new("workflow", definition.name);
    match Failure::check(subject, outcome, || exceeded_below(agent)) {
        Ok(output) => Ending {
            status: RunStatus::Completed,
            output: Some(output),
            error: None,
            usage,
        },
        Err(failure) => from_failure(failure, usage),
    }
}

async fn cancelled_future(ctx: WorkflowContext<Dispatcher>) {
    ctx.cancelled().await;
}

/// Keeps the state `progress` answers from up to date (only when it
/// changed: each change wakes the workflow's conditions).
fn show_progress(ctx: &WorkflowContext<Dispatcher>, bridge: &Bridge, agent: &AgentContext) {
    let (current, waits) = bridge.progress();
    let usage = Usage {
        elapsed_ms: 0,
        ..agent.usage()
    };
    let changed = ctx.state(|s| {
        s.progress.current != current || s.progress.waits != waits || s.progress.usage != usage
    });
    if changed {
        ctx.state_mut(|s| {
            s.progress = Progress {
                current,
                waits,
                usage,
            }
        });
    }
}

/// The Temporal command for one request of the workflow's code.
fn command(
    ctx: WorkflowContext<Dispatcher>,
    id: u64,
    request: Request,
    step: Option<Result<Value, String>>,
) -> LocalBoxFuture<'static, (u64, Reply)> {
    async move {
        let reply = match request {
            Request::Record { name, outcome } => {
                // An activity rather than a local one: its scheduling ends
                // the workflow task, so the outcome is in the history at
                // once, whatever happens to this worker next.
                let mut options = ActivityOptions::start_to_close_timeout(Duration::from_secs(30));
                options.summary = Some(name);
                match ctx
                    .execute_activity(Recorder::record, outcome.unwrap_or(Value::Null), options)
                    .await
                {
                    Ok(value) => Reply::Value(value),
                    Err(error) => Reply::Failed(format!("the record could not be kept: {error}")),
                }
            }
            Request::Agent {
                summary,
                task,
                policy,
                time_left,
            } => {
                let mut options = agent_call::options(policy, time_left);
                options.summary = Some(summary);
                let result = ctx.execute_activity(AgentCalls::agent, task, options).await;
                called(result, policy)
            }
            Request::Step {
                summary,
                policy,
                time_left,
            } => match step {
                Some(Ok(task)) => {
                    let mut options = agent_call::options(policy, time_left);
                    options.summary = Some(summary);
                    let result = ctx.execute_activity(StepRuns::step, task, options).await;
                    called(result, policy)
                }
                // Its input is too large: the step fails for good, the
                // same way on every replay.
                Some(Err(message)) => Reply::Called(Err(AgentFailed {
                    message,
                    attempt: 1,
                    call: None,
                    usage: Usage::default(),
                })),
                None => Reply::Failed("a step without its activity's input".to_owned()),
            },
            Request::Sleep(duration) => match ctx.timer(duration).await {
                TimerResult::Fired => Reply::Done,
                TimerResult::Cancelled => Reply::Cancelled,
            },
            Request::Now => match ctx.workflow_time() {
                Some(time) => Reply::Time(time),
                None => Reply::Failed("the workflow has no time yet".to_owned()),
            },
            Request::Wait { name, timeout } => wait(&ctx, &name, timeout).await,
        };
        (id, reply)
    }
    .boxed_local()
}

/// The reply to a call's or a step's activity.
fn called(
    result: Result<Value, temporalio_sdk::ActivityExecutionError>,
    policy: StepPolicy,
) -> Reply {
    match result {
        Ok(value) => match serde_json::from_value::<AgentDone>(value) {
            Ok(done) => Reply::Called(Ok(done)),
            Err(error) => Reply::Failed(format!("the activity's result cannot be read: {error}")),
        },
        Err(temporalio_sdk::ActivityExecutionError::Cancelled(_)) => Reply::Cancelled,
        Err(error) => Reply::Called(Err(agent_call::failure_of(&error, policy))),
    }
}

/// The next signal for the wait `name`, in arrival order.
async fn wait(ctx: &WorkflowContext<Dispatcher>, name: &str, timeout: Option<Duration>) -> Reply {
    let arrived = ctx.wait_condition(|s| s.signals.iter().any(|r| r.name == name));
    let arrived = match timeout {
        None => arrived.await.is_ok(),
        Some(timeout) => {
            let timer = ctx.timer(timeout);
            match futures::future::select(Box::pin(arrived), Box::pin(timer)).await {
                Either::Left((result, _)) => result.is_ok(),
                Either::Right((TimerResult::Fired, _)) => return Reply::TimedOut,
                Either::Right((TimerResult::Cancelled, _)) => return Reply::Cancelled,
            }
        }
    };
    if !arrived {
        return Reply::Cancelled;
    }
    ctx.state_mut(|s| match s.signals.iter().position(|r| r.name == name) {
        Some(at) => Reply::Value(s.signals.remove(at).payload),
        None => Reply::Cancelled,
    })
}
