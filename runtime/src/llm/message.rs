//! The conversation a model sees and the answer it gives, independent of any
//! provider's wire format: each provider module translates these.

use rmcp::model::JsonObject;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who wrote a message: the same [`Role`] as MCP's prompts and sampling.
/// The system prompt is not a message: it is [`ChatRequest::system`]; tool
/// results come back in a user message.
pub use crate::mcp::Role;

/// One piece of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// The model asks for a tool to be called (assistant messages only).
    ToolCall(ToolCall),
    /// The outcome of a tool call (user messages only).
    ToolResult(ToolResult),
}

/// A tool call the model asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's id for the call; the result must quote it.
    pub id: String,
    /// The tool's name, as offered in [`ChatRequest::tools`].
    pub name: String,
    /// The arguments, a JSON object when the model wrote valid JSON. A model
    /// that wrote something else gets its text here as a JSON string, so
    /// the tool can answer with an error the model can read.
    pub arguments: Value,
}

/// What a tool call produced, sent back to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResult {
    /// The id of the [`ToolCall`] this answers.
    pub call_id: String,
    /// The result as text (JSON text for structured results).
    pub content: String,
    /// Whether the call failed; the content then says why.
    pub is_error: bool,
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who speaks.
    pub role: Role,
    /// What is said: text, tool calls, tool results.
    pub parts: Vec<Part>,
}

impl Message {
    /// A user message of plain text.
    pub fn user(text: impl Into<String>) -> Self {
        Message {
            role: Role::User,
            parts: vec![Part::Text { text: text.into() }],
        }
    }

    /// An assistant message of plain text.
    pub fn assistant(text: impl Into<String>) -> Self {
        Message {
            role: Role::Assistant,
            parts: vec![Part::Text { text: text.into() }],
        }
    }

    /// The text parts of the message, joined.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for part in &self.parts {
            if let Part::Text { text: t } = part {
                text.push_str(t);
            }
        }
        text
    }

    /// The tool calls the message asks for.
    pub fn tool_calls(&self) -> impl Iterator<Item = &ToolCall> {
        self.parts.iter().filter_map(|part| match part {
            Part::ToolCall(call) => Some(call),
            _ => None,
        })
    }
}

/// A tool offered to the model: a name, what it does, and the JSON Schema of
/// its arguments (an object schema).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// The tool's name, as the model calls it.
    pub name: String,
    /// What the tool does, for the model.
    pub description: Option<String>,
    /// The JSON Schema of its arguments.
    pub parameters: JsonObject,
}

/// Whether and which tool the model must call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides.
    #[default]
    Auto,
    /// No tool calls.
    None,
    /// At least one tool call.
    Required,
    /// This tool.
    Tool(String),
}

/// A JSON Schema the answer must follow: the model answers with JSON text
/// that matches it (see [`Model::structured`](super::Model::structured)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputSchema {
    /// A name for the schema (`[a-zA-Z0-9_-]`), shown to the model.
    pub name: String,
    /// An object schema.
    pub schema: JsonObject,
}

/// Everything one model call is asked. Build it with the `with_*` and
/// message methods:
///
/// ```
/// use agentwire::llm::ChatRequest;
/// let request = ChatRequest::new()
///     .with_system("Answer in one word.")
///     .user("What colour is the sky?")
///     .with_max_tokens(5);
/// assert_eq!(request.messages.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The model's name at its provider; [`Model`](super::Model) fills it in.
    pub model: String,
    /// The system prompt.
    pub system: Option<String>,
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// The tools the model may call.
    pub tools: Vec<ToolSpec>,
    /// Whether and which tool the model must call.
    pub tool_choice: ToolChoice,
    /// The most tokens the answer may have. The budget may lower it (see
    /// docs/llm.md); `None` means the configured default.
    pub max_tokens: Option<u32>,
    /// Sampling temperature; the provider's default when unset.
    pub temperature: Option<f32>,
    /// Sequences that end the answer.
    pub stop: Vec<String>,
    /// Answer with JSON matching this schema.
    pub output_schema: Option<OutputSchema>,
}

impl ChatRequest {
    /// An empty request.
    pub fn new() -> Self {
        ChatRequest::default()
    }

    /// This request with a system prompt.
    pub fn with_system(mut self, system: impl Into<String>) -> Self {
        self.system = Some(system.into());
        self
    }

    /// This request with a user message added.
    pub fn user(mut self, text: impl Into<String>) -> Self {
        self.messages.push(Message::user(text));
        self
    }

    /// This request with an assistant message added.
    pub fn assistant(mut self, text: impl Into<String>) -> Self {
        self.messages.push(Message::assistant(text));
        self
    }

    /// This request with a message added.
    pub fn message(mut self, message: Message) -> Self {
        self.messages.push(message);
        self
    }

    /// This request offering `tools` to the model.
    pub fn with_tools(mut self, tools: Vec<ToolSpec>) -> Self {
        self.tools = tools;
        self
    }

    /// This request with a tool choice.
    pub fn with_tool_choice(mut self, choice: ToolChoice) -> Self {
        self.tool_choice = choice;
        self
    }

    /// This request with a limit on the answer's tokens.
    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// This request with a sampling temperature.
    pub fn with_temperature(mut self, temperature: f32) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// This request asking for JSON that matches `schema`.
    pub fn with_output_schema(mut self, schema: OutputSchema) -> Self {
        self.output_schema = Some(schema);
        self
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// It finished its answer (or hit a stop sequence).
    Stop,
    /// It reached `max_tokens`.
    Length,
    /// It asks for tool calls.
    ToolCalls,
    /// The provider filtered the answer.
    ContentFilter,
    /// Anything else, as the provider said it.
    Other(String),
}

impl FinishReason {
    /// The name recorded in `gen_ai.response.finish_reasons`.
    pub fn as_str(&self) -> &str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::Other(other) => other,
        }
    }
}

/// The tokens one model call used, as its provider reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Every token of the prompt, cached ones included.
    pub input_tokens: u64,
    /// Tokens of the answer (reasoning tokens included).
    pub output_tokens: u64,
    /// Of `input_tokens`, those read from the provider's prompt cache.
    pub cache_read_tokens: u64,
    /// Of `input_tokens`, those written to the provider's prompt cache.
    pub cache_write_tokens: u64,
    /// The cost the provider itself reported, in micro-USD, when it does
    /// (OpenRouter's `usage.cost`); it is charged instead of the price table's.
    pub reported_cost_micros: Option<u64>,
    /// True when the provider reported nothing and these are estimates
    /// (MCP sampling, or a stream dropped before its end).
    pub estimated: bool,
}

/// A model's answer to one [`ChatRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The model that answered, as the provider names it.
    pub model: String,
    /// The provider's id of the response, when it gives one.
    pub id: Option<String>,
    /// The answer: text and tool calls.
    pub message: Message,
    /// Why the answer ended.
    pub finish_reason: FinishReason,
    /// The tokens (and cost) the provider reported.
    pub usage: TokenUsage,
}

impl ChatResponse {
    /// The answer's text.
    pub fn text(&self) -> String {
        self.message.text()
    }
}
