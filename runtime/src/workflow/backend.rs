//! The two traits a workflow backend implements, and how a Temporal backend
//! fits them.
//!
//! * [`WorkflowBackend`] is the control plane the server uses: start a run,
//!   read its status, list runs, resume, cancel, wait for it to settle,
//!   recover after a restart.
//! * [`RunDriver`] is what a running workflow's [`WorkflowContext`] talks to:
//!   every step, agent call, timer, wait, clock reading and random number of
//!   the workflow's code goes through it.
//!
//! The workflow's code only ever sees [`WorkflowContext`], so a backend can
//! change without changing it. agentwire ships one implementation of both,
//! the journal engine, over a [`JournalStore`](super::store::JournalStore):
//! `memory` (nothing persisted) and `embedded` (SQLite).
//!
//! ## Mapping to Temporal
//!
//! | agentwire | Temporal |
//! |---|---|
//! | a run (`run_id`) | a workflow execution (workflow id = run id) |
//! | the workflow's body | a workflow definition, replayed by the Temporal worker |
//! | `ctx.step(name, ...)`, an agent call without JSON arguments | the activity `agentwire.step`: its closure borrows the workflow's locals, so the activity re-runs the workflow's code up to the step, answering from the log of what the run received, and runs the step there (runs started before this ran steps in the workflow task, recorded by the activity `agentwire.record`, and still do) |
//! | an agent call through its stub | the activity `agentwire.agent`, input = the agent's name, the arguments' JSON ([`AgentCall`]), the budget share, the trace context and the principal |
//! | [`RetryPolicy`](super::RetryPolicy), step timeout | the activity's `RetryPolicy`, `start_to_close_timeout` |
//! | `ctx.sleep(d)` | a durable timer |
//! | `ctx.wait_for(name, timeout)` | a signal channel `name`, awaited with a timer |
//! | `ctx.now()`, `ctx.random_u64()` | workflow time, the workflow's deterministic random seed |
//! | `workflows-resume`, `tasks/update` | `SignalWorkflowExecution` |
//! | `workflows-cancel`, `tasks/cancel` | `RequestCancelWorkflowExecution` |
//! | `workflows-get_status`, `tasks/get` | `DescribeWorkflowExecution` plus a query for the current step |
//! | `workflows-runs-list` | `ListWorkflowExecutions` (visibility) |
//! | [`WorkflowBackend::recover`] | nothing: the Temporal server owns recovery |
//! | the budget scope of the run | kept in the workflow; each agent call's activity gets what the run may still use and returns what it used, which the workflow charges |
//! | the run's time budget | the execution timeout, and each agent call's `schedule_to_close_timeout` |

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use rmcp::model::JsonObject;
use serde_json::Value;

use super::WorkflowError;
use super::context::WorkflowContext;
use super::policy::StepPolicy;
use super::record::{CallFailure, Damaged, Failure, RunRecord, RunStatus};
use super::store::{ListedRun, RunQuery, StoreError};
use crate::agent::Principal;
use crate::agent::context::AgentContext;
use crate::agent::definition::AgentDefinition;
use crate::budget::{Budget, BudgetExceeded, Usage};
use crate::schema::arguments::ArgumentError;

/// What a running workflow asks of its backend. One driver serves one run.
///
/// Operations take a position (`op`) from [`next_op`](Self::next_op), taken
/// when the workflow's code creates the operation, so that the positions
/// follow the code's order even when operations run concurrently. On replay
/// the same code meets the same positions.
pub trait RunDriver: Send + Sync + 'static {
    /// The run's id.
    fn run_id(&self) -> &str;
    /// The workflow's tool name.
    fn workflow(&self) -> &'static str;
    /// The next operation's position.
    fn next_op(&self) -> u32;
    /// The policy of steps and agent calls that do not set their own.
    fn default_policy(&self) -> StepPolicy;
    /// The agent context agent calls run under: the run's budget,
    /// cancellation and host.
    fn agent_context(&self) -> &AgentContext;
    /// Runs a step or an agent call, or returns its journaled outcome.
    fn activity<'a>(
        &'a self,
        activity: Activity<'a>,
    ) -> BoxFuture<'a, Result<Value, ActivityError>>;
    /// A durable timer.
    fn sleep(&self, op: u32, duration: Duration) -> BoxFuture<'_, Result<(), WorkflowError>>;
    /// Waits for a signal named `wait.name`, or gives up after its timeout.
    fn wait_for<'a>(
        &'a self,
        op: u32,
        wait: Wait<'a>,
    ) -> BoxFuture<'a, Result<Value, WorkflowError>>;
    /// The time, read once and journaled.
    fn now(&self, op: u32) -> BoxFuture<'_, Result<SystemTime, WorkflowError>>;
    /// A random number, the same on every replay.
    fn random_u64(&self) -> u64;
}

/// What an operation of the workflow is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    /// `ctx.step(...)`.
    Step,
    /// A call to an agent through its stub.
    AgentCall,
}

/// One attempt of an activity: given the attempt's number (from 1), its value
/// as JSON, or why it failed.
pub type Attempt<'a> =
    Box<dyn FnMut(u32) -> BoxFuture<'a, Result<Value, AttemptError>> + Send + 'a>;

/// A step or agent call for [`RunDriver::activity`].
pub struct Activity<'a> {
    /// The operation's position in the run.
    pub op: u32,
    /// A step or an agent call.
    pub kind: ActivityKind,
    /// The step's name, or the agent's.
    pub name: Cow<'a, str>,
    /// Its retries and timeout.
    pub policy: StepPolicy,
    /// Runs one attempt.
    pub attempt: Attempt<'a>,
    /// For an agent call whose arguments are JSON: the call as data, for a
    /// backend that runs it in another process (`None` for steps, which
    /// only run here).
    pub call: Option<AgentCall>,
}

/// An agent call as data: which agent, its arguments as the JSON object a
/// tool call takes, and what the caller narrows its budget to.
#[derive(Clone)]
pub struct AgentCall {
    /// The agent.
    pub agent: &'static AgentDefinition,
    /// Its arguments.
    pub arguments: JsonObject,
    /// What the call is narrowed to (`call_with_budget`), beyond what the
    /// run may still use and the agent's own policy.
    pub narrowing: Budget,
}

/// Why one attempt failed.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptError {
    /// Why it failed.
    pub message: String,
    /// Whether another attempt may succeed (a budget that ran out will not).
    pub retryable: bool,
    /// For agent calls: the call's error.
    pub call: Option<CallFailure>,
}

/// Why an activity gave no value.
#[derive(Debug, Clone, PartialEq)]
pub enum ActivityError {
    /// It failed for good (journaled, so a replay fails the same way).
    Failed(Failure),
    /// The run cannot go on here; see [`WorkflowError::Interrupted`].
    Interrupted(WorkflowError),
}

/// A wait for [`RunDriver::wait_for`].
pub struct Wait<'a> {
    /// The wait's name, which signals are addressed to.
    pub name: &'a str,
    /// `None` waits for ever.
    pub timeout: Option<Duration>,
    /// Whether a payload fits the type the workflow waits for.
    pub check: fn(&Value) -> Result<(), String>,
    /// The JSON Schema of that type, shown to clients.
    pub schema: fn() -> Value,
}

/// A wait a run is blocked in, as shown to clients.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitInfo {
    /// The wait's name.
    pub name: String,
    /// The JSON Schema of the payload it takes.
    pub schema: Value,
}

/// A run as the control plane shows it: its record, plus what only the
/// process running it knows.
#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    /// The run's record, as stored.
    pub record: RunRecord,
    /// The step, agent call, timer or wait the run is in, or was last in.
    pub current_step: Option<String>,
    /// What the run used so far (everything, once it is over).
    pub usage: Usage,
    /// The waits it is blocked in, when `input_required`.
    pub waits: Vec<WaitInfo>,
}

/// What [`WorkflowBackend::resume`] did with a payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Resumed {
    /// The wait the payload went to, when the run was waiting for it; `None`
    /// when it was kept for a wait the run has not reached yet.
    pub delivered_to: Option<String>,
}

/// What [`WorkflowBackend::recover`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recovery {
    /// The unfinished runs that were started again.
    pub resumed: usize,
    /// Unfinished runs of workflows this server does not have; left as they are.
    pub unknown_workflow: Vec<String>,
    /// Runs whose records cannot be read; left as they are.
    pub damaged: Vec<Damaged>,
}

/// Why the control plane refused a request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ControlError {
    #[error("there is no workflow run `{0}`")]
    /// No run has this id.
    NotFound(String),
    #[error("workflow run `{run_id}` is already {status}")]
    /// The run is over; it takes no more signals and cannot be cancelled.
    Finished {
        /// The run.
        run_id: String,
        /// How it ended.
        status: RunStatus,
    },
    #[error("`{0}` is not a workflow of this server")]
    /// The server has no workflow of this name.
    UnknownWorkflow(String),
    #[error("the workflow cannot start: {0}")]
    /// The arguments do not fit the workflow's parameters.
    Arguments(ArgumentError),
    #[error("the payload for `{name}` does not fit: {message}")]
    /// A signal's payload does not fit the type its wait takes.
    Payload {
        /// The wait.
        name: String,
        /// Why it does not fit.
        message: String,
    },
    #[error("{}", unnamed_signal(run_id, waiting_for))]
    /// A signal without the name of the wait it is for.
    UnnamedSignal {
        /// The run.
        run_id: String,
        /// The waits the run is in.
        waiting_for: Vec<String>,
    },
    #[error("the workflow cannot start: {0}")]
    /// The budget does not allow the run to start.
    Budget(BudgetExceeded),
    #[error(
        "the server already has {limit} workflow runs not finished, its limit \
         ([workflows] max_live_runs); try again when some have finished"
    )]
    /// Starting a run would pass the limit of runs not finished at once.
    TooManyRuns {
        /// The limit.
        limit: usize,
    },
    #[error(
        "workflow run `{run_id}` already holds {limit} signals no wait has taken, its limit \
         ([workflows] max_signals_per_run)"
    )]
    /// The run holds as many signals as it may.
    TooManySignals {
        /// The run.
        run_id: String,
        /// The limit.
        limit: usize,
    },
    #[error(transparent)]
    /// The store failed.
    Store(#[from] StoreError),
}

fn unnamed_signal(run_id: &str, waiting_for: &[String]) -> String {
    let waits = match waiting_for {
        [] => "it is in no wait now".to_owned(),
        names => format!(
            "it waits for {}",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!(
        "a signal needs the name of the wait it is for (`signal_name`); workflow run \
         `{run_id}`: {waits}"
    )
}

/// The control plane of a workflow backend. Every answer is read from the
/// backend's store, so it survives restarts.
pub trait WorkflowBackend: Send + Sync + 'static {
    /// Where runs are kept, for messages: "memory", a file path, a cluster.
    fn location(&self) -> String;
    /// Creates a run of `workflow` (durably) owned by `owner`, and starts it.
    fn start_for(
        &self,
        workflow: &'static AgentDefinition,
        arguments: JsonObject,
        grant: Option<Budget>,
        owner: Option<Principal>,
    ) -> BoxFuture<'_, Result<RunRecord, ControlError>>;
    /// Creates a run of `workflow` that no principal owns, and starts it.
    fn start(
        &self,
        workflow: &'static AgentDefinition,
        arguments: JsonObject,
        grant: Option<Budget>,
    ) -> BoxFuture<'_, Result<RunRecord, ControlError>> {
        self.start_for(workflow, arguments, grant, None)
    }
    /// The run `run_id`.
    fn status(&self, run_id: &str) -> BoxFuture<'_, Result<RunView, ControlError>>;
    /// The runs `query` selects, newest first.
    fn runs(&self, query: RunQuery) -> BoxFuture<'_, Result<Vec<ListedRun>, ControlError>>;
    /// Sends `payload` to the run's wait `name`: taken by the wait of that
    /// name the run is in, or kept for one it has not reached yet. It never
    /// goes to a wait of another name.
    fn resume(
        &self,
        run_id: &str,
        name: String,
        payload: Value,
    ) -> BoxFuture<'_, Result<Resumed, ControlError>>;
    /// Cancels the run.
    fn cancel(&self, run_id: &str) -> BoxFuture<'_, Result<RunView, ControlError>>;
    /// Waits until the run is over or waits for input, at most `within`.
    fn settle(
        &self,
        run_id: &str,
        within: Option<Duration>,
    ) -> BoxFuture<'_, Result<RunView, ControlError>>;
    /// Starts every unfinished run again; called once at start-up.
    fn recover(&self) -> BoxFuture<'_, Result<Recovery, ControlError>>;
    /// Stops running runs in this process, without changing their records.
    fn shutdown(&self);
}

/// Keeps a [`WorkflowContext`] constructor reachable for backends.
pub fn context_for(driver: std::sync::Arc<dyn RunDriver>) -> WorkflowContext {
    WorkflowContext::new(driver)
}
