//! Running an agent's future so that a panic or a cancellation becomes a
//! value instead of taking the server down or leaving work running.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;

use rmcp::model::{CallToolResult, JsonObject};

use crate::context::AgentContext;
use crate::definition::{AgentDefinition, InvokeError};
use crate::output::{error_result, tool_result};

/// Why an agent's future did not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interrupted {
    /// The request was cancelled; the future was dropped.
    Cancelled,
    /// The agent panicked; the text is the panic message.
    Panicked(String),
}

/// Polls `work` until it finishes, the context is cancelled (then `work` is
/// dropped, which cancels everything it was awaiting), or it panics.
pub async fn guarded<T>(
    ctx: &AgentContext,
    work: impl Future<Output = T>,
) -> Result<T, Interrupted> {
    tokio::select! {
        biased;
        () = ctx.cancelled() => Err(Interrupted::Cancelled),
        outcome = AssertUnwindSafe(work).catch_unwind() => outcome.map_err(|panic| {
            Interrupted::Panicked(panic_message(panic.as_ref()))
        }),
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-text payload".to_owned())
}

/// Runs the agent `definition` on JSON `arguments` and answers as an MCP tool:
/// every failure, a panic included, is an `isError` result.
pub(crate) async fn invoke(
    definition: &'static AgentDefinition,
    ctx: AgentContext,
    arguments: JsonObject,
) -> CallToolResult {
    let agent = definition.name;
    if definition.deny_unknown_arguments
        && let Some(unknown) = arguments
            .keys()
            .find(|key| !definition.params.iter().any(|p| p.name == key.as_str()))
    {
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
        return error_result(format!(
            "the call to `{agent}` has an unknown argument `{unknown}`; its arguments are {known}"
        ));
    }
    match guarded(&ctx, (definition.invoke)(ctx.clone(), arguments)).await {
        Ok(Ok(output)) => tool_result(output),
        Ok(Err(InvokeError::Arguments(error))) => {
            error_result(format!("the call to `{agent}` has an {error}"))
        }
        Ok(Err(InvokeError::Agent(message))) => error_result(message),
        Err(Interrupted::Panicked(message)) => {
            tracing::error!(agent, "the agent panicked: {message}");
            error_result(format!("agent `{agent}` panicked: {message}"))
        }
        Err(Interrupted::Cancelled) => error_result(format!("the call to `{agent}` was cancelled")),
    }
}
