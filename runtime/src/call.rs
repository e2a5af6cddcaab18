//! Agents calling agents in-process, through the stubs `#[agent]` generates.

use std::future::Future;

use crate::context::AgentContext;
use crate::definition::AgentDefinition;
use crate::execution::{Interrupted, guarded};

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
}

/// Runs `callee` as a child of `caller`: `run` receives the child context
/// and produces the callee's result.
pub async fn call_local<T, F, Fut>(
    caller: &AgentContext,
    callee: &'static AgentDefinition,
    run: F,
) -> Result<T, CallError>
where
    F: FnOnce(AgentContext) -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let child = caller.child(callee);
    let agent = callee.name;
    match guarded(&child, run(child.clone())).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(message)) => Err(CallError::Agent { agent, message }),
        Err(Interrupted::Panicked(message)) => Err(CallError::Panicked { agent, message }),
        Err(Interrupted::Cancelled) => Err(CallError::Cancelled { agent }),
    }
}
