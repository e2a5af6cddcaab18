//! What a tool call answered, read the way a test asserts on it: the typed
//! result, the usage, the error and the budget dimension that ran out.

use rmcp::model::CallToolResult;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::budget::{BudgetExceeded, Dimension, Usage};
use crate::mcp::meta::{read_budget_error, read_usage};

/// The answer to one `tools/call`, as the MCP client received it.
#[derive(Debug, Clone)]
pub struct ToolOutcome {
    result: CallToolResult,
}

/// A tool call that answered with an error (`isError: true`), or whose
/// result is not of the type asked for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ToolError {
    /// The error's text, as the client (or a model) reads it.
    pub message: String,
    /// The budget that ran out, when that is why
    /// (`_meta["dev.agentwire/error"]`).
    pub budget: Option<BudgetExceeded>,
    /// The agent whose budget ran out, when the server says.
    pub at: Option<String>,
}

impl ToolError {
    /// The budget dimension that ran out, when that is why.
    pub fn dimension(&self) -> Option<Dimension> {
        self.budget.map(|exceeded| exceeded.dimension)
    }
}

impl ToolOutcome {
    pub(crate) fn new(result: CallToolResult) -> Self {
        ToolOutcome { result }
    }

    /// The result as the client received it.
    pub fn result(&self) -> &CallToolResult {
        &self.result
    }

    /// Whether the tool answered with an error.
    pub fn is_error(&self) -> bool {
        self.result.is_error == Some(true)
    }

    /// The text blocks of the answer, joined by newlines.
    pub fn text(&self) -> String {
        self.result
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The structured content, for agents that return an object.
    pub fn structured(&self) -> Option<&Value> {
        self.result.structured_content.as_ref()
    }

    /// The result read as `T`: the structured content, else the text (a
    /// `String` as it is, other types as JSON). An error result is the
    /// [`ToolError`].
    pub fn output<T: DeserializeOwned>(&self) -> Result<T, ToolError> {
        if let Some(error) = self.error() {
            return Err(error);
        }
        let decoded = match self.structured() {
            Some(value) => serde_json::from_value(value.clone()),
            None => {
                let text = self.text();
                serde_json::from_value(Value::String(text.clone()))
                    .or_else(|_| serde_json::from_str(&text))
            }
        };
        decoded.map_err(|e| ToolError {
            message: format!(
                "the result does not match the type asked for: {e}; it was: {}",
                self.text()
            ),
            budget: None,
            at: None,
        })
    }

    /// What the call used, as the server reported it in
    /// `_meta["dev.agentwire/usage"]` (zero when it reported nothing).
    pub fn usage(&self) -> Usage {
        self.meta().and_then(read_usage).unwrap_or_default()
    }

    /// The error, when the tool answered with one.
    pub fn error(&self) -> Option<ToolError> {
        if !self.is_error() {
            return None;
        }
        let (budget, at) = match self.meta().and_then(read_budget_error) {
            Some((exceeded, at)) => (Some(exceeded), at),
            None => (None, None),
        };
        Some(ToolError {
            message: self.text(),
            budget,
            at,
        })
    }

    /// The budget that ran out, when that is why the call failed.
    pub fn budget_exceeded(&self) -> Option<BudgetExceeded> {
        self.error().and_then(|error| error.budget)
    }

    fn meta(&self) -> Option<&serde_json::Map<String, Value>> {
        self.result.meta.as_deref()
    }
}
