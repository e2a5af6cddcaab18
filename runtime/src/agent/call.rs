//! Agents calling agents in-process, through the stubs `#[agent]` generates.

use std::future::Future;

use tracing::Instrument;

use crate::agent::context::AgentContext;
use crate::agent::definition::AgentDefinition;
use crate::agent::error::{CallError, Failure, InvokeError, Subject};
use crate::agent::execution::{exceeded_below, guarded};
use crate::budget::Budget;
use crate::telemetry::{ErrorType, spans};

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
                Some(ErrorType::BudgetExceeded),
                Some(exceeded.dimension.as_str()),
            );
            return Err(CallError::BudgetExceeded { agent, exceeded });
        }
    };
    spans::record_granted(&span, child.depth(), &child.scope().granted());
    let outcome = guarded(&child, run(child.clone()))
        .instrument(span.clone())
        .await
        .map(|result| result.map_err(InvokeError::Agent));
    let result = Failure::check(Subject::agent(agent), outcome, || exceeded_below(&child))
        .map_err(Failure::into_call_error);
    let error_type = result.as_ref().err().map(CallError::error_type);
    let exceeded = result
        .as_ref()
        .err()
        .and_then(CallError::budget_exceeded)
        .map(|e| e.dimension.as_str());
    spans::record_used(&span, &child.usage(), error_type, exceeded);
    result
}
