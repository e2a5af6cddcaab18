//! Calling any agent by its definition with JSON arguments, wherever it
//! runs: in this process or on another MCP server.

use rmcp::model::JsonObject;
use serde_json::Value;

use crate::agent::{AgentContext, AgentDefinition, AgentKind, CallError, InvokeError, call_local};
use crate::budget::Budget;

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
        AgentKind::Workflow(_) => {
            return Err(CallError::InvalidArguments {
                agent,
                message: "invalid call: this is a durable workflow, which agents do not call; \
                          clients start it (its tool, or `workflows-run`)"
                    .to_owned(),
            });
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
