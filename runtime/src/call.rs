//! Agents calling agents in-process, through the stubs `#[agent]` generates.

use std::future::Future;

use rmcp::model::JsonObject;
use serde_json::Value;

use crate::budget::{Budget, BudgetExceeded};
use crate::context::AgentContext;
use crate::definition::{AgentDefinition, AgentKind, InvokeError};
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
    /// The arguments do not fit the agent's input schema (from a call with
    /// JSON arguments, such as a model's tool call).
    #[error("the call to agent `{agent}` has an {message}")]
    InvalidArguments {
        agent: &'static str,
        message: String,
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
            CallError::InvalidArguments { .. } => "invalid_arguments",
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

/// Calls the agent `callee` with JSON `arguments` as a child of `caller`,
/// exactly as its stub would (budget checked before any work, cancelled
/// with the caller, panics caught, traced), and returns its output as JSON.
/// A local agent runs in this process; a remote one is called on its
/// server.
///
/// This is how a model's tool calls reach agents (see
/// [`Toolbox`](crate::llm::Toolbox)). Unlike a stub it does not check at
/// compile time that the caller declares `callee`: the depth budget still
/// bounds any recursion it makes.
pub async fn call_agent_json(
    caller: &AgentContext,
    callee: &'static AgentDefinition,
    arguments: JsonObject,
    narrowing: Budget,
) -> Result<Value, CallError> {
    let agent = callee.name;
    let invoke = match callee.kind {
        AgentKind::Local(invoke) => invoke,
        AgentKind::Remote { server } => {
            return crate::remote::call_remote::<Value>(
                caller, callee, server, arguments, narrowing,
            )
            .await;
        }
    };
    // Arguments that do not fit come back as the inner error.
    let outcome = call_local(caller, callee, narrowing, move |child| async move {
        match invoke(child, arguments).await {
            Ok(value) => Ok(Ok(value)),
            Err(InvokeError::Arguments(error)) => Ok(Err(error.to_string())),
            Err(InvokeError::Agent(message)) => Err(message),
        }
    })
    .await?;
    outcome.map_err(|message| CallError::InvalidArguments { agent, message })
}
