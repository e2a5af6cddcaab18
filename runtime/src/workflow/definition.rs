//! What `#[workflow]` records about a workflow beyond what every tool has.

use std::time::Duration;

use rmcp::model::JsonObject;

use super::context::WorkflowContext;
use super::policy::{RetryPolicy, StepPolicy};
use crate::agent::{AgentDefinition, AgentKind, InvokeFuture};
use crate::schema::ArgumentError;

/// A workflow, as declared by `#[workflow]`: the part of its
/// [`AgentDefinition`](crate::AgentDefinition) (kind
/// [`AgentKind::Workflow`](crate::AgentKind::Workflow)) only workflows have.
pub struct WorkflowDefinition {
    /// Runs (or replays) the workflow's body on JSON arguments.
    pub run: fn(WorkflowContext, JsonObject) -> InvokeFuture,
    /// Checks the arguments before a run is created, so a bad call fails at once.
    pub check: fn(&JsonObject) -> Result<(), ArgumentError>,
    /// The retries of its steps and agent calls, unless a step says otherwise.
    pub retry: RetryPolicy,
    /// How long one attempt of a step or agent call may take.
    pub step_timeout: Option<Duration>,
}

impl WorkflowDefinition {
    /// The policy steps and agent calls of this workflow get by default.
    pub fn step_policy(&self) -> StepPolicy {
        StepPolicy {
            retry: self.retry,
            timeout: self.step_timeout,
        }
    }
}

impl AgentDefinition {
    /// What only a workflow has, when this is one.
    pub fn workflow(&self) -> Option<&'static WorkflowDefinition> {
        match self.kind {
            AgentKind::Workflow(workflow) => workflow.downcast_ref(),
            _ => None,
        }
    }
}
