//! From an agent's return value to an MCP tool result.

use std::fmt::Display;

use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;
use serde_json::Value;

use crate::agent::InvokeError;

/// An agent's return type seen as a `Result`. `#[agent]` wraps plain return
/// values in `Ok`, so this is implemented for `Result` alone.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a result type an agent can return",
    label = "an agent returns `T` or `Result<T, E>` where `E: Display`",
    note = "the error type's `Display` text becomes the tool's error message"
)]
pub trait IntoAgentResult {
    /// What the agent produces on success.
    type Output;
    /// Splits the value into its output or its error message.
    fn into_agent_result(self) -> Result<Self::Output, String>;
}

/// An agent's error type: its `Display` text is the tool's error message.
#[diagnostic::on_unimplemented(
    message = "the error type `{Self}` of an agent must implement `Display`",
    label = "its `Display` text becomes the tool's error message",
    note = "implement `std::fmt::Display` for it (thiserror's `#[error(...)]` does), or \
            return `anyhow::Error` or `String`"
)]
pub trait AgentError: Display {}
impl<E: Display> AgentError for E {}

impl<T, E: AgentError> IntoAgentResult for Result<T, E> {
    type Output = T;

    fn into_agent_result(self) -> Result<T, String> {
        // `{:#}` shows the cause chain for error types that support it (anyhow).
        self.map_err(|e| format!("{e:#}"))
    }
}

/// Serializes an agent's result for the wire.
pub fn finish_invocation<R>(result: R) -> Result<Value, InvokeError>
where
    R: IntoAgentResult,
    R::Output: Serialize,
{
    let output = result.into_agent_result().map_err(InvokeError::Agent)?;
    serde_json::to_value(output)
        .map_err(|e| InvokeError::Agent(format!("the agent's result could not be serialized: {e}")))
}

/// The tool result for an agent's JSON output: [`Content`](crate::Content)
/// (one or a list) is those content blocks; a string is plain text; an
/// object is structured content plus its JSON as text; anything else is JSON
/// text; nothing (`()`) is an empty result.
pub fn tool_result(output: Value) -> CallToolResult {
    if let Some(blocks) = crate::mcp::content::content_blocks(&output) {
        return CallToolResult::success(blocks);
    }
    match output {
        Value::Null => CallToolResult::success(Vec::new()),
        Value::String(text) => CallToolResult::success(vec![ContentBlock::text(text)]),
        Value::Object(_) => {
            let text = output.to_string();
            let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
            result.structured_content = Some(output);
            result
        }
        other => CallToolResult::success(vec![ContentBlock::text(other.to_string())]),
    }
}

/// An `isError: true` tool result whose text a model or person can read.
pub fn error_result(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_are_plain_text_and_objects_are_structured() {
        let text = tool_result(json!("hello"));
        assert_eq!(text.content[0].as_text().unwrap().text, "hello");
        assert!(text.structured_content.is_none());

        let object = tool_result(json!({"words": 2}));
        assert_eq!(object.structured_content, Some(json!({"words": 2})));
        assert_eq!(object.content[0].as_text().unwrap().text, r#"{"words":2}"#);
        assert_eq!(object.is_error, Some(false));
    }

    #[test]
    fn an_error_keeps_the_whole_cause_chain_in_its_message() {
        let r: Result<(), std::io::Error> = Err(std::io::Error::other("disk full"));
        assert_eq!(r.into_agent_result(), Err("disk full".to_owned()));
    }
}
