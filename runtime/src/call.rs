//! Agents calling agents in-process, through the stubs `#[agent]` generates.

use std::future::Future;

use crate::budget::{Budget, BudgetExceeded};
use crate::context::AgentContext;
use crate::definition::AgentDefinition;
use crate::execution::{Interrupted, guarded};
use crate::telemetry::spans;
use tracing::Instrument;

/// Why a call to another agent returned no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The called agent returned an error; `message` is its `Display` text.
    #[error("agent `{agent}` failed: {message}")]
    Agent {
        agent: &'static str,
        message: String,
    },
    /// The called agent panicked.
    #[error("agent `{agent}` panicked: {message}")]
    Panicked {
        agent: &'static str,
        message: String,
    },
    /// The caller's request was cancelled while the call was running.
    #[error("the call to agent `{agent}` was cancelled")]
    Cancelled { agent: &'static str },
    /// A budget ran out, before the call or during it.
    #[error("the call to agent `{agent}` stopped: {exceeded}")]
    BudgetExceeded {
        agent: &'static str,
        exceeded: BudgetExceeded,
    },
    /// The remote agent's server could not be reached or answered nonsense.
    #[error("remote agent `{agent}` on server `{server}` failed: {message}")]
    Remote {
        agent: &'static str,
        server: &'static str,
        message: String,
    },
}

impl CallError {
    /// The `error.type` of this failure on spans and metrics.
    pub fn error_type(&self) -> &'static str {
        match self {
            CallError::Agent { .. } => "tool_error",
            CallError::Panicked { .. } => "panic",
            CallError::Cancelled { .. } => "cancelled",
            CallError::BudgetExceeded { .. } => "budget_exceeded",
            CallError::Remote { .. } => "remote_error",
        }
    }

    /// The budget that ran out, if that is why the call failed.
    pub fn budget_exceeded(&self) -> Option<&BudgetExceeded> {
        match self {
            CallError::BudgetExceeded { exceeded, .. } => Some(exceeded),
            _ => None,
        }
    }
}

/// Runs `callee` as a child of `caller`, within the caller's remaining budget
/// narrowed by the callee's policy and `narrowing`: `run` receives the child
/// context and produces the callee's result.
pub async fn call_local<T, F, Fut>(
    caller: &AgentContext,
    callee: &'static AgentDefinition,
    narrowing: Budget,
    run: F,
) -> Result<T, CallError>
where
    F: FnOnce(AgentContext) -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let agent = callee.name;
    let span = (callee.span)();
    let child = match caller.child(callee, narrowing) {
        Ok(child) => child,
        Err(exceeded) => {
            spans::record_used(
                &span,
                &Default::default(),
                Some("budget_exceeded"),
                Some(exceeded.dimension.as_str()),
            );
            return Err(CallError::BudgetExceeded { agent, exceeded });
        }
    };
    spans::record_granted(&span, child.depth(), &child.scope().granted());
    let outcome = guarded(&child, run(child.clone()))
        .instrument(span.clone())
        .await;
    let result = match outcome {
        Ok(Ok(value)) => Ok(value),
        // An error caused by a budget running out below stays a budget error.
        Ok(Err(message)) => match child.scope().exceeded() {
            Some((exceeded, _)) => Err(CallError::BudgetExceeded { agent, exceeded }),
            None => Err(CallError::Agent { agent, message }),
        },
        Err(Interrupted::Panicked(message)) => Err(CallError::Panicked { agent, message }),
        Err(Interrupted::Cancelled) => Err(CallError::Cancelled { agent }),
        Err(Interrupted::OutOfTime(exceeded)) => Err(CallError::BudgetExceeded { agent, exceeded }),
    };
    let error_type = result.as_ref().err().map(CallError::error_type);
    let exceeded = result
        .as_ref()
        .err()
        .and_then(CallError::budget_exceeded)
        .map(|e| e.dimension.as_str());
    spans::record_used(&span, &child.usage(), error_type, exceeded);
    result
}
