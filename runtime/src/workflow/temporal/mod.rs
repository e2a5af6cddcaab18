//! Workflows on a Temporal cluster (cargo feature `temporal`,
//! `--workflow-backend temporal`): the same `#[workflow]` code, run by
//! `worker` processes that any number of machines can share.
//!
//! * [`TemporalBackend`] (the control plane of `serve`): a run is a Temporal
//!   workflow execution of the one workflow type `agentwire`, whose workflow
//!   id is the run id and whose input names the agentwire workflow, its
//!   arguments, its budget, its owner and the W3C trace context of the
//!   `tools/call` that started it. Status is `DescribeWorkflowExecution`
//!   plus the query `progress`; listing is Temporal's visibility;
//!   `workflows-resume` is the signal `resume` carrying the wait's name;
//!   cancellation is Temporal's.
//! * [`run_worker`]: a Temporal worker whose dispatcher workflow looks the
//!   agentwire workflow up by name and polls its code (a `Send` future)
//!   inside the SDK's workflow task. The workflow's
//!   [`RunDriver`](super::RunDriver) requests (timers, waits, time, the
//!   record of a step or agent call) go through a queue that the dispatcher
//!   turns into Temporal commands: deterministic, because the polling is.
//! * Agent calls are the activity `agentwire.agent` (any worker runs them,
//!   several at once; Temporal retries them and times them out as the
//!   workflow's `retry(...)` and `step_timeout` say, within the run's time
//!   budget). Steps, and agent calls whose arguments are not JSON, are the
//!   activity `agentwire.step`, with the same policy: their closures borrow
//!   the workflow's locals, so the activity re-runs the workflow's code up
//!   to the step, answering every request from the log of what the
//!   dispatcher delivered to the code (its input), and runs the step there
//!   (`step_run.rs`). The code between steps therefore runs again in each
//!   step's activity: it must be deterministic and free of side effects,
//!   as the determinism rules already say.
//! * Runs started before steps became activities (no marker of the patch
//!   `agentwire-steps-as-activities` in their history) keep running steps
//!   in the workflow task, within 4/5 of its timeout, each outcome recorded
//!   by the activity `agentwire.record`, so that their histories still
//!   replay.
//!
//! See docs/workflows.md ("Temporal") for the guide and the determinism
//! rules.

mod agent_call;
mod client;
mod connection;
mod dispatcher;
mod driver;
mod step_run;
mod worker;

pub use agent_call::AGENT_ACTIVITY;
pub use client::{TemporalBackend, history};
pub use step_run::{STEP_ACTIVITY, STEP_INPUT_LIMIT};
pub use worker::{replay, run_worker};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use futures::future::BoxFuture;
use rmcp::model::JsonObject;

use super::record::{Failure, RunError};
use crate::agent::context::AgentContext;
use crate::agent::{AgentDefinition, CallError, Principal};
use crate::budget::{Budget, Usage};

/// How a worker calls an agent with JSON arguments as a child of `caller`,
/// narrowed by the budget given, wherever the agent runs (here or on
/// another MCP server): `agentwire::remote::call_agent_json` in a binary.
/// A parameter because the workflow layer sits below the remote one.
pub type CallAgent = fn(
    AgentContext,
    &'static AgentDefinition,
    JsonObject,
    Budget,
) -> BoxFuture<'static, Result<Value, CallError>>;

/// The Temporal workflow type of every agentwire run.
pub const WORKFLOW_TYPE: &str = "agentwire";

/// The input of a run's Temporal workflow execution.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RunInput {
    /// The agentwire workflow's tool name.
    pub workflow: String,
    /// Its arguments.
    pub arguments: Map<String, Value>,
    /// The run's budget, as `_meta["dev.agentwire/budget"]` writes it.
    pub limits: Value,
    /// The seed of `ctx.random_u64()`.
    pub seed: u64,
    /// When the run was created (ms since the epoch).
    pub created_ms: u64,
    /// Who started it.
    #[serde(default)]
    pub owner: Option<Principal>,
    /// The W3C trace context (`traceparent`, `tracestate`) of the call that
    /// started it.
    #[serde(default)]
    pub trace: Map<String, Value>,
    /// The workflow task timeout the run was started with (ms): the steps
    /// of runs started before steps became activities run inside workflow
    /// tasks, so they must end well within it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_timeout_ms: Option<u64>,
}

/// The Temporal patch (`ctx.patched`) of runs whose steps are the activity
/// `agentwire.step`: runs started before it (without its marker in their
/// history) keep running steps in the workflow task, so their histories
/// still replay.
pub(crate) const STEPS_AS_ACTIVITIES: &str = "agentwire-steps-as-activities";

/// For runs started before steps became activities: how long a step (all
/// its attempts and the waits between them) may take on Temporal, four
/// fifths of the workflow task timeout, the rest kept for the task's own
/// work. A step that takes longer would time the task out, and Temporal
/// would give the run to a worker that runs the step again.
pub(crate) fn step_window(task_timeout: std::time::Duration) -> std::time::Duration {
    task_timeout.saturating_sub(task_timeout / 5)
}

/// What the query `progress` answers about a running run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Progress {
    /// The step, agent call, timer or wait the run is in, or was last in.
    pub current: Option<String>,
    /// The waits it is blocked in, with their payloads' JSON Schemas.
    pub waits: Vec<(String, Value)>,
    /// What the run used so far.
    pub usage: Usage,
}

/// How a run ended: the result of its Temporal workflow execution (a run
/// that failed completes its execution too, with the error here, so that
/// the error keeps its budget details).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Ending {
    /// `completed` or `failed`.
    pub status: super::RunStatus,
    pub output: Option<Value>,
    pub error: Option<RunError>,
    pub usage: Usage,
}

/// A step's or agent call's outcome as the activity `agentwire.record` keeps it
/// in the history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Recorded {
    /// The value, when it succeeded.
    #[serde(default)]
    pub value: Option<Value>,
    /// Why it failed for good.
    #[serde(default)]
    pub failure: Option<Failure>,
    /// For agent calls: what the run had used once the call was over.
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// A signal for a wait: the payload goes to the wait named `name` only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Resume {
    pub name: String,
    pub payload: Value,
}
