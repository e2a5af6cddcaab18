//! Running an agent's future so that a panic or a cancellation becomes a
//! value instead of taking the server down or leaving work running.

use std::any::Any;
use std::future::Future;
use std::future::poll_fn;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::task::Poll;

use futures::FutureExt;
use tokio::time::Sleep;
use tracing::Instrument;

use rmcp::model::{CallToolResult, JsonObject};

use crate::agent::context::AgentContext;
use crate::agent::definition::AgentDefinition;
use crate::agent::error::{Failure, Interrupted, Subject};
use crate::agent::output::{error_result, tool_result};
use crate::budget::BudgetExceeded;
use crate::mcp::meta::USAGE_KEY;
use crate::telemetry::ErrorType;
use crate::telemetry::spans;

/// Polls `work` until it finishes, the context is cancelled or its deadline
/// passes (then `work` is dropped, which cancels everything it was awaiting,
/// sub-agents included), or it panics.
pub async fn guarded<T>(
    ctx: &AgentContext,
    work: impl Future<Output = T>,
) -> Result<T, Interrupted> {
    let scope = ctx.scope();
    let mut cancelled = pin!(ctx.cancelled());
    let mut work = pin!(AssertUnwindSafe(work).catch_unwind());
    // The deadline timer is armed only once the work has to wait: arming a
    // tokio timer wakes the time driver (a syscall), which would otherwise
    // be most of the cost of an agent that answers on its first poll.
    let mut timer = pin!(None::<Sleep>);
    poll_fn(|cx| {
        if cancelled.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(Interrupted::Cancelled));
        }
        if let Some(timer) = timer.as_mut().as_pin_mut()
            && timer.poll(cx).is_ready()
        {
            return Poll::Ready(Err(Interrupted::OutOfTime(scope.record_time_exceeded())));
        }
        if let Poll::Ready(outcome) = work.as_mut().poll(cx) {
            return Poll::Ready(
                outcome.map_err(|panic| Interrupted::Panicked(panic_message(panic.as_ref()))),
            );
        }
        if timer.is_none()
            && let Some(deadline) = scope.deadline()
        {
            timer.set(Some(tokio::time::sleep_until(deadline.into())));
            if let Some(timer) = timer.as_mut().as_pin_mut()
                && timer.poll(cx).is_ready()
            {
                return Poll::Ready(Err(Interrupted::OutOfTime(scope.record_time_exceeded())));
            }
        }
        Poll::Pending
    })
    .await
}

/// The text of a caught panic.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-text payload".to_owned())
}

/// Runs the agent `definition` on JSON `arguments` and answers as an MCP tool:
/// every failure, a panic included, is an `isError` result. The result's
/// `_meta` reports the usage, and the budget error if a budget ran out.
pub(crate) async fn invoke(
    definition: &'static AgentDefinition,
    ctx: AgentContext,
    arguments: JsonObject,
) -> CallToolResult {
    let agent = definition.name;
    let span = (definition.span)();
    spans::record_granted(&span, ctx.depth(), &ctx.scope().granted());
    let (mut result, error_type) = run_invocation(definition, &ctx, arguments)
        .instrument(span.clone())
        .await;
    let used = ctx.usage();
    let exceeded = ctx.scope().exceeded().map(|(e, _)| e.dimension.as_str());
    spans::record_used(&span, &used, error_type, exceeded);
    // One line per request is for debugging, not for a server's default log.
    tracing::debug!(
        agent,
        granted = %ctx.scope().granted(),
        used = %used,
        error = error_type.map(ErrorType::as_str),
        "tools/call finished"
    );
    let usage = serde_json::to_value(used).unwrap_or_default();
    result
        .meta
        .get_or_insert_with(Default::default)
        .insert(USAGE_KEY.into(), usage);
    result
}

/// Why `arguments` are refused by an agent with `deny_unknown_arguments`:
/// the first argument it does not take, and the ones it does.
fn unknown_argument(definition: &AgentDefinition, arguments: &JsonObject) -> Option<String> {
    if !definition.deny_unknown_arguments {
        return None;
    }
    let unknown = arguments
        .keys()
        .find(|key| !definition.params.iter().any(|p| p.name == key.as_str()))?;
    let known: Vec<String> = definition
        .params
        .iter()
        .map(|p| format!("`{}`", p.name))
        .collect();
    let known = if known.is_empty() {
        "none".to_owned()
    } else {
        known.join(", ")
    };
    Some(format!(
        "the call to `{}` has an unknown argument `{unknown}`; its arguments are {known}",
        definition.name
    ))
}

/// The tool result of running `definition`, with the `error.type` of a failure.
async fn run_invocation(
    definition: &'static AgentDefinition,
    ctx: &AgentContext,
    arguments: JsonObject,
) -> (CallToolResult, Option<ErrorType>) {
    let agent = definition.name;
    let Some(invoke) = definition.local_invoke() else {
        let message = format!("`{agent}` is a remote agent and cannot run here");
        return (error_result(message), Some(ErrorType::RemoteAgent));
    };
    if let Some(message) = unknown_argument(definition, &arguments) {
        return (error_result(message), Some(ErrorType::InvalidArguments));
    }
    let outcome = guarded(ctx, invoke(ctx.clone(), arguments)).await;
    match Failure::check(Subject::agent(agent), outcome, || exceeded_below(ctx)) {
        Ok(output) => (tool_result(output), None),
        Err(failure) => {
            let error_type = failure.error_type();
            (failure.into_tool_result(), Some(error_type))
        }
    }
}

/// The budget that ran out under `ctx`, and whose limit it was.
pub(crate) fn exceeded_below(ctx: &AgentContext) -> Option<(BudgetExceeded, String)> {
    ctx.scope()
        .exceeded()
        .map(|(exceeded, at)| (exceeded, at.to_owned()))
}
