//! The [`Provider`] trait: one model API (OpenAI-compatible, Anthropic, MCP
//! sampling, or your own) answering a [`ChatRequest`], whole or streamed,
//! with the usage it reports.

use std::fmt;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream};
use serde_json::Value;

use super::message::{
    ChatRequest, ChatResponse, FinishReason, Message, Part, Role, TokenUsage, ToolCall,
};

/// What a provider needs to know about the call beyond the request.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CallOptions {
    /// When the calling agent's time budget runs out: requests time out and
    /// retries stop before it.
    pub deadline: Option<Instant>,
}

impl CallOptions {
    /// Options with this deadline.
    pub fn with_deadline(deadline: Option<Instant>) -> Self {
        CallOptions { deadline }
    }
}

/// One piece of a streamed answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// More text of the answer.
    Text(String),
    /// The model starts a tool call; its arguments follow.
    ToolCallStart {
        /// The call's position among the answer's tool calls.
        index: usize,
        /// The call's id, to answer it with its result.
        id: String,
        /// The tool called.
        name: String,
    },
    /// More JSON text of a tool call's arguments.
    ToolCallArguments {
        /// The call's position among the answer's tool calls.
        index: usize,
        /// The next piece of the arguments' JSON text.
        delta: String,
    },
    /// The end: the whole answer, assembled, with the usage the provider
    /// reported. Always the last event of a stream that did not fail.
    Done(ChatResponse),
}

/// A streamed answer: events, then [`StreamEvent::Done`], or an error.
pub type EventStream = BoxStream<'static, Result<StreamEvent, ProviderError>>;

/// A model API. Implement it to bring another provider; agentwire wraps
/// every call with budgets, retries' deadlines and tracing (see
/// [`Model`](super::Model)).
///
/// The futures are boxed so that the trait can be used as `dyn Provider`.
pub trait Provider: Send + Sync + 'static {
    /// The provider's name as OpenTelemetry knows it
    /// (`gen_ai.provider.name`): `openai`, `anthropic`, `mcp.sampling`...
    fn name(&self) -> &str;

    /// Answers `request` in one piece.
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
        options: &'a CallOptions,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>>;

    /// Answers `request` as a stream of events ending with
    /// [`StreamEvent::Done`]. The default calls [`complete`](Self::complete)
    /// and replays its answer as events.
    fn stream<'a>(
        &'a self,
        request: &'a ChatRequest,
        options: &'a CallOptions,
    ) -> BoxFuture<'a, Result<EventStream, ProviderError>> {
        Box::pin(async move {
            let response = self.complete(request, options).await?;
            Ok(replay(response))
        })
    }
}

/// A complete answer as the events a stream would have given.
pub(crate) fn replay(response: ChatResponse) -> EventStream {
    let mut events = Vec::new();
    let mut index = 0;
    for part in &response.message.parts {
        match part {
            Part::Text { text } => events.push(Ok(StreamEvent::Text(text.clone()))),
            Part::ToolCall(call) => {
                events.push(Ok(StreamEvent::ToolCallStart {
                    index,
                    id: call.id.clone(),
                    name: call.name.clone(),
                }));
                events.push(Ok(StreamEvent::ToolCallArguments {
                    index,
                    delta: call.arguments.to_string(),
                }));
                index += 1;
            }
            Part::ToolResult(_) => {}
        }
    }
    events.push(Ok(StreamEvent::Done(response)));
    Box::pin(stream::iter(events))
}

/// What kind of failure a provider call had, which decides whether it is
/// retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProviderErrorKind {
    /// 429: too many requests. Retried, after `retry-after` when given.
    RateLimited,
    /// 5xx (529 "overloaded" included). Retried.
    Server,
    /// No answer in time. Retried while the budget has time.
    Timeout,
    /// The connection failed. Retried.
    Connection,
    /// The answer was not the JSON the provider's API promises. Retried.
    Malformed,
    /// The answer, or a line of its stream, was larger than the provider's
    /// limit. Not retried (the same request would get the same answer).
    TooLarge,
    /// 401 or 403: the key is missing, wrong or not allowed. Not retried.
    Auth,
    /// Another 4xx: the request itself is wrong. Not retried.
    Request,
    /// The provider cannot do this (a capability is missing). Not retried.
    Unsupported,
    /// A stream broke after it had started. Not retried (part of the answer
    /// was already delivered).
    Stream,
}

impl ProviderErrorKind {
    /// Whether another attempt may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ProviderErrorKind::RateLimited
                | ProviderErrorKind::Server
                | ProviderErrorKind::Timeout
                | ProviderErrorKind::Connection
                | ProviderErrorKind::Malformed
        )
    }
}

/// A provider call that failed. Its message never contains the API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ProviderError {
    /// What kind of failure, which decides whether it is retried.
    pub kind: ProviderErrorKind,
    /// The HTTP status, when there was a response.
    pub status: Option<u16>,
    /// What went wrong, with the provider's own error message when it sent one.
    pub message: String,
    /// How long the provider asked to wait before trying again.
    pub retry_after: Option<Duration>,
    /// How many attempts were made (1 when not retried).
    pub attempts: u32,
}

impl ProviderError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: ProviderErrorKind, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            status: None,
            message: message.into(),
            retry_after: None,
            attempts: 1,
        }
    }

    /// The error for an HTTP response with a failure status and this body.
    pub fn from_status(status: u16, retry_after: Option<Duration>, body: &str) -> Self {
        let kind = match status {
            429 => ProviderErrorKind::RateLimited,
            401 | 403 => ProviderErrorKind::Auth,
            408 => ProviderErrorKind::Timeout,
            500..=599 => ProviderErrorKind::Server,
            _ => ProviderErrorKind::Request,
        };
        let detail = error_detail(body);
        let mut message = format!("HTTP {status}");
        if !detail.is_empty() {
            message.push_str(": ");
            message.push_str(&detail);
        }
        ProviderError {
            kind,
            status: Some(status),
            message,
            retry_after,
            attempts: 1,
        }
    }

    /// A response that is not what the API promises.
    pub fn malformed(what: impl fmt::Display) -> Self {
        ProviderError::new(
            ProviderErrorKind::Malformed,
            format!("the provider's answer is malformed: {what}"),
        )
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

/// The provider's own words from an error body (`{"error": {"message": ...}}`
/// in both APIs' formats), else the start of the body.
fn error_detail(body: &str) -> String {
    if let Ok(value) = serde_json::from_str::<Value>(body) {
        let error = value.get("error").unwrap_or(&value);
        let message = error.get("message").and_then(Value::as_str);
        let kind = error.get("type").and_then(Value::as_str);
        match (kind, message) {
            (Some(kind), Some(message)) => return format!("{kind}: {message}"),
            (None, Some(message)) => return message.to_owned(),
            _ => {}
        }
    }
    let body = body.trim();
    let mut end = body.len().min(300);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body[..end].to_owned()
}

/// Puts a streamed answer back together: text, and tool calls by index.
#[derive(Debug, Default)]
pub(crate) struct Assembler {
    text: String,
    calls: Vec<PendingCall>,
}

#[derive(Debug, Default)]
struct PendingCall {
    index: usize,
    id: String,
    name: String,
    arguments: String,
}

impl Assembler {
    /// Takes in one event (before `Done`).
    pub fn push(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::Text(text) => self.text.push_str(text),
            StreamEvent::ToolCallStart { index, id, name } => {
                let call = self.call(*index);
                if !id.is_empty() {
                    call.id.clone_from(id);
                }
                if !name.is_empty() {
                    call.name.clone_from(name);
                }
            }
            StreamEvent::ToolCallArguments { index, delta } => {
                self.call(*index).arguments.push_str(delta);
            }
            StreamEvent::Done(_) => {}
        }
    }

    fn call(&mut self, index: usize) -> &mut PendingCall {
        let position = match self.calls.iter().position(|c| c.index == index) {
            Some(position) => position,
            None => {
                self.calls.push(PendingCall {
                    index,
                    ..PendingCall::default()
                });
                self.calls.len() - 1
            }
        };
        &mut self.calls[position]
    }

    /// The assembled answer.
    pub fn finish(
        self,
        model: String,
        id: Option<String>,
        finish_reason: FinishReason,
        usage: TokenUsage,
    ) -> ChatResponse {
        let mut parts = Vec::new();
        if !self.text.is_empty() {
            parts.push(Part::Text { text: self.text });
        }
        for call in self.calls {
            parts.push(Part::ToolCall(ToolCall {
                id: call.id,
                name: call.name,
                arguments: parse_arguments(&call.arguments),
            }));
        }
        ChatResponse {
            model,
            id,
            message: Message {
                role: Role::Assistant,
                parts,
            },
            finish_reason,
            usage,
        }
    }
}

/// A tool call's arguments as the model wrote them: JSON when it is JSON
/// (an empty text is `{}`), else the text itself as a JSON string.
pub(crate) fn parse_arguments(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::Object(Default::default());
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_error_bodies_give_the_providers_own_words() {
        let openai = ProviderError::from_status(
            429,
            None,
            r#"{"error":{"message":"Rate limit reached","type":"requests"}}"#,
        );
        assert_eq!(openai.kind, ProviderErrorKind::RateLimited);
        assert_eq!(openai.message, "HTTP 429: requests: Rate limit reached");
        let anthropic = ProviderError::from_status(
            529,
            None,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        );
        assert!(anthropic.kind.is_retryable());
        assert_eq!(anthropic.message, "HTTP 529: overloaded_error: Overloaded");
        let auth = ProviderError::from_status(401, None, "nope");
        assert!(!auth.kind.is_retryable());
        assert_eq!(auth.message, "HTTP 401: nope");
    }

    #[test]
    fn streamed_tool_calls_are_assembled_by_index() {
        let mut assembler = Assembler::default();
        for event in [
            StreamEvent::Text("Let me ".into()),
            StreamEvent::Text("check.".into()),
            StreamEvent::ToolCallStart {
                index: 0,
                id: "a".into(),
                name: "f".into(),
            },
            StreamEvent::ToolCallStart {
                index: 1,
                id: "b".into(),
                name: "g".into(),
            },
            StreamEvent::ToolCallArguments {
                index: 0,
                delta: "{\"x\":".into(),
            },
            StreamEvent::ToolCallArguments {
                index: 1,
                delta: "not json".into(),
            },
            StreamEvent::ToolCallArguments {
                index: 0,
                delta: "1}".into(),
            },
        ] {
            assembler.push(&event);
        }
        let response = assembler.finish(
            "m".into(),
            None,
            FinishReason::ToolCalls,
            TokenUsage::default(),
        );
        assert_eq!(response.text(), "Let me check.");
        let calls: Vec<_> = response.message.tool_calls().collect();
        assert_eq!(calls[0].arguments, serde_json::json!({"x": 1}));
        assert_eq!(calls[1].arguments, serde_json::json!("not json"));
    }
}
