//! The OpenAI Chat Completions API (`POST {base}/chat/completions`), which
//! OpenAI, vLLM, llama.cpp's server, Ollama, LM Studio and many proxies
//! speak: requests, answers, tool calls, and the streamed form
//! (`stream: true` with `stream_options.include_usage`, so that the last
//! chunk reports the usage).

use futures::StreamExt;
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::http::{Endpoint, SseEvents};
use super::message::{
    ChatRequest, ChatResponse, FinishReason, Message, Part, Role, TokenUsage, ToolCall, ToolChoice,
};
use super::provider::{
    Assembler, CallOptions, EventStream, Provider, ProviderError, ProviderErrorKind, StreamEvent,
    parse_arguments,
};
use super::retry::ProviderRetry;
use super::secret::Secret;

/// Which request field carries the answer's token limit. OpenAI's own API
/// wants `max_completion_tokens` (its reasoning models refuse `max_tokens`);
/// most compatible servers know only `max_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxTokensField {
    /// `max_tokens`: what most compatible servers know.
    MaxTokens,
    /// `max_completion_tokens`: what OpenAI's own API wants.
    MaxCompletionTokens,
}

impl MaxTokensField {
    fn as_str(self) -> &'static str {
        match self {
            MaxTokensField::MaxTokens => "max_tokens",
            MaxTokensField::MaxCompletionTokens => "max_completion_tokens",
        }
    }
}

/// A server speaking the OpenAI Chat Completions API.
#[derive(Debug, Clone)]
pub struct OpenAi {
    endpoint: Endpoint,
    max_tokens_field: MaxTokensField,
}

/// The default base URL, OpenAI's own.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

impl OpenAi {
    /// Other limits on what the provider may send back.
    pub(crate) fn with_limits(mut self, limits: super::http::ResponseLimits) -> Self {
        self.endpoint = self.endpoint.with_limits(limits);
        self
    }

    /// A provider for the API at `base_url` (ending in `/v1` as a rule),
    /// authenticated with `api_key` when given (local servers need none).
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        api_key: Option<&Secret>,
        retry: ProviderRetry,
    ) -> Result<Self, String> {
        let url = format!("{}/chat/completions", base_url.trim_end_matches('/'));
        let mut endpoint = Endpoint::new(client, url, retry);
        if let Some(key) = api_key {
            endpoint = endpoint.secret_header("authorization", "Bearer ", key)?;
        }
        let max_tokens_field = if base_url.contains("api.openai.com") {
            MaxTokensField::MaxCompletionTokens
        } else {
            MaxTokensField::MaxTokens
        };
        Ok(OpenAi {
            endpoint,
            max_tokens_field,
        })
    }

    /// This provider sending the token limit in `field`.
    pub fn with_max_tokens_field(mut self, field: MaxTokensField) -> Self {
        self.max_tokens_field = field;
        self
    }

    /// The request body for `request`.
    fn body(&self, request: &ChatRequest, stream: bool) -> Value {
        let mut messages = Vec::new();
        if let Some(system) = &request.system {
            messages.push(json!({"role": "system", "content": system}));
        }
        for message in &request.messages {
            wire_messages(message, &mut messages);
        }
        let mut body = Map::new();
        body.insert("model".into(), json!(request.model));
        body.insert("messages".into(), Value::Array(messages));
        if !request.tools.is_empty() {
            let tools: Vec<Value> = request
                .tools
                .iter()
                .map(|tool| {
                    let mut function = Map::new();
                    function.insert("name".into(), json!(tool.name));
                    if let Some(description) = &tool.description {
                        function.insert("description".into(), json!(description));
                    }
                    function.insert("parameters".into(), Value::Object(tool.parameters.clone()));
                    json!({"type": "function", "function": function})
                })
                .collect();
            body.insert("tools".into(), Value::Array(tools));
            let choice = match &request.tool_choice {
                ToolChoice::Auto => json!("auto"),
                ToolChoice::None => json!("none"),
                ToolChoice::Required => json!("required"),
                ToolChoice::Tool(name) => json!({"type": "function", "function": {"name": name}}),
            };
            body.insert("tool_choice".into(), choice);
        }
        if let Some(max_tokens) = request.max_tokens {
            body.insert(self.max_tokens_field.as_str().into(), json!(max_tokens));
        }
        if let Some(temperature) = request.temperature {
            body.insert("temperature".into(), json!(temperature));
        }
        if !request.stop.is_empty() {
            body.insert("stop".into(), json!(request.stop));
        }
        if let Some(schema) = &request.output_schema {
            body.insert(
                "response_format".into(),
                json!({
                    "type": "json_schema",
                    "json_schema": {"name": schema.name, "schema": schema.schema, "strict": false},
                }),
            );
        }
        if stream {
            body.insert("stream".into(), json!(true));
            body.insert("stream_options".into(), json!({"include_usage": true}));
        }
        Value::Object(body)
    }
}

/// One of our messages as OpenAI messages: tool results become `tool`
/// messages, tool calls an assistant message's `tool_calls`.
fn wire_messages(message: &Message, out: &mut Vec<Value>) {
    match message.role {
        Role::User => {
            let mut text = String::new();
            for part in &message.parts {
                match part {
                    Part::Text { text: t } => text.push_str(t),
                    Part::ToolResult(result) => {
                        let content = if result.is_error && !result.content.starts_with("error") {
                            format!("error: {}", result.content)
                        } else {
                            result.content.clone()
                        };
                        out.push(json!({
                            "role": "tool",
                            "tool_call_id": result.call_id,
                            "content": content,
                        }));
                    }
                    Part::ToolCall(_) => {}
                }
            }
            if !text.is_empty() {
                out.push(json!({"role": "user", "content": text}));
            }
        }
        Role::Assistant => {
            let text = message.text();
            let calls: Vec<Value> = message
                .tool_calls()
                .map(|call| {
                    let arguments = match &call.arguments {
                        Value::String(raw) => raw.clone(),
                        other => other.to_string(),
                    };
                    json!({
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": arguments},
                    })
                })
                .collect();
            let mut wire = Map::new();
            wire.insert("role".into(), json!("assistant"));
            wire.insert(
                "content".into(),
                if text.is_empty() {
                    Value::Null
                } else {
                    json!(text)
                },
            );
            if !calls.is_empty() {
                wire.insert("tool_calls".into(), Value::Array(calls));
            }
            out.push(Value::Object(wire));
        }
    }
}

#[derive(Debug, Deserialize)]
struct WireResponse {
    id: Option<String>,
    #[serde(default)]
    model: String,
    #[serde(default)]
    choices: Vec<WireChoice>,
    usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
struct WireChoice {
    message: Option<WireMessage>,
    delta: Option<WireMessage>,
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct WireMessage {
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<WireToolCall>,
    /// Some servers (older vLLM, Ollama) put a refusal here.
    refusal: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireToolCall {
    #[serde(default)]
    index: Option<usize>,
    id: Option<String>,
    function: Option<WireFunction>,
}

#[derive(Debug, Deserialize)]
struct WireFunction {
    name: Option<String>,
    arguments: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    prompt_tokens_details: Option<WirePromptDetails>,
    /// OpenRouter reports the call's cost in USD.
    cost: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct WirePromptDetails {
    #[serde(default)]
    cached_tokens: u64,
}

impl WireUsage {
    fn to_usage(&self) -> TokenUsage {
        TokenUsage {
            input_tokens: self.prompt_tokens,
            output_tokens: self.completion_tokens,
            cache_read_tokens: self
                .prompt_tokens_details
                .as_ref()
                .map_or(0, |d| d.cached_tokens),
            cache_write_tokens: 0,
            reported_cost_micros: self
                .cost
                .filter(|c| c.is_finite() && *c >= 0.0)
                .map(|c| (c * 1e6).ceil() as u64),
            estimated: false,
        }
    }
}

fn finish_reason(reason: Option<&str>) -> FinishReason {
    match reason {
        Some("stop") | None => FinishReason::Stop,
        Some("length") => FinishReason::Length,
        Some("tool_calls") | Some("function_call") => FinishReason::ToolCalls,
        Some("content_filter") => FinishReason::ContentFilter,
        Some(other) => FinishReason::Other(other.to_owned()),
    }
}

/// A server that reports no usage: [`Model`](super::Model) estimates it.
const UNREPORTED: TokenUsage = TokenUsage {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reported_cost_micros: None,
    estimated: true,
};

impl WireResponse {
    fn into_response(self) -> Result<ChatResponse, ProviderError> {
        let usage = self.usage.as_ref().map_or(UNREPORTED, WireUsage::to_usage);
        let choice = self
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| ProviderError::malformed("it has no `choices`"))?;
        let message = choice
            .message
            .ok_or_else(|| ProviderError::malformed("its choice has no `message`"))?;
        let mut parts = Vec::new();
        if let Some(text) = message
            .content
            .or(message.refusal)
            .filter(|t| !t.is_empty())
        {
            parts.push(Part::Text { text });
        }
        for call in message.tool_calls {
            let function = call
                .function
                .ok_or_else(|| ProviderError::malformed("a tool call has no `function`"))?;
            parts.push(Part::ToolCall(ToolCall {
                id: call.id.unwrap_or_default(),
                name: function.name.unwrap_or_default(),
                arguments: parse_arguments(function.arguments.as_deref().unwrap_or("")),
            }));
        }
        Ok(ChatResponse {
            model: self.model,
            id: self.id,
            message: Message {
                role: Role::Assistant,
                parts,
            },
            finish_reason: finish_reason(choice.finish_reason.as_deref()),
            usage,
        })
    }
}

impl Provider for OpenAi {
    fn name(&self) -> &str {
        "openai"
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
        options: &'a CallOptions,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(async move {
            let body = self.body(request, false);
            let wire: WireResponse = self.endpoint.post_json(&body, options.deadline).await?;
            wire.into_response()
        })
    }

    fn stream<'a>(
        &'a self,
        request: &'a ChatRequest,
        options: &'a CallOptions,
    ) -> BoxFuture<'a, Result<EventStream, ProviderError>> {
        Box::pin(async move {
            let body = self.body(request, true);
            let events = self.endpoint.post_sse(&body, options.deadline).await?;
            Ok(decode_stream(events))
        })
    }
}

/// The state of one streamed answer.
#[derive(Default)]
struct StreamState {
    assembler: Assembler,
    model: String,
    id: Option<String>,
    finish: Option<String>,
    usage: Option<TokenUsage>,
    done: bool,
}

/// Chat completion chunks to events; `[DONE]` (or the end of the body)
/// yields the assembled answer.
fn decode_stream(events: SseEvents) -> EventStream {
    let stream = futures::stream::unfold(
        (events, StreamState::default()),
        |(mut events, mut state)| async move {
            if state.done {
                return None;
            }
            loop {
                let Some(item) = events.next().await else {
                    // Some servers end the body without `[DONE]`.
                    state.done = true;
                    let result = finish_stream(&mut state);
                    return Some((vec![result], (events, state)));
                };
                let event = match item {
                    Ok(event) => event,
                    Err(error) => {
                        state.done = true;
                        return Some((vec![Err(error)], (events, state)));
                    }
                };
                if event.data.trim() == "[DONE]" {
                    state.done = true;
                    let result = finish_stream(&mut state);
                    return Some((vec![result], (events, state)));
                }
                match chunk_events(&event.data, &mut state) {
                    Ok(out) if out.is_empty() => continue,
                    Ok(out) => return Some((out.into_iter().map(Ok).collect(), (events, state))),
                    Err(error) => {
                        state.done = true;
                        return Some((vec![Err(error)], (events, state)));
                    }
                }
            }
        },
    )
    .flat_map(futures::stream::iter);
    Box::pin(stream)
}

fn chunk_events(data: &str, state: &mut StreamState) -> Result<Vec<StreamEvent>, ProviderError> {
    let value: Value = serde_json::from_str(data).map_err(|e| {
        let mut error = ProviderError::malformed(format!("a stream chunk is not JSON: {e}"));
        error.kind = ProviderErrorKind::Stream;
        error
    })?;
    if let Some(error) = value.get("error") {
        let mut error = ProviderError::from_status(500, None, &json!({"error": error}).to_string());
        error.kind = ProviderErrorKind::Stream;
        error.status = None;
        error.message = format!(
            "the stream reported an error: {}",
            error.message.trim_start_matches("HTTP 500: ")
        );
        return Err(error);
    }
    let chunk: WireResponse = serde_json::from_value(value).map_err(|e| {
        let mut error = ProviderError::malformed(format!("a stream chunk: {e}"));
        error.kind = ProviderErrorKind::Stream;
        error
    })?;
    if !chunk.model.is_empty() {
        state.model = chunk.model;
    }
    if state.id.is_none() {
        state.id = chunk.id;
    }
    if let Some(usage) = &chunk.usage {
        state.usage = Some(usage.to_usage());
    }
    let mut out = Vec::new();
    for choice in chunk.choices {
        if let Some(reason) = choice.finish_reason {
            state.finish = Some(reason);
        }
        let Some(delta) = choice.delta else { continue };
        if let Some(text) = delta.content.or(delta.refusal).filter(|t| !t.is_empty()) {
            out.push(StreamEvent::Text(text));
        }
        for (position, call) in delta.tool_calls.into_iter().enumerate() {
            let index = call.index.unwrap_or(position);
            let (name, arguments) = match call.function {
                Some(f) => (f.name, f.arguments),
                None => (None, None),
            };
            if call.id.is_some() || name.is_some() {
                out.push(StreamEvent::ToolCallStart {
                    index,
                    id: call.id.unwrap_or_default(),
                    name: name.unwrap_or_default(),
                });
            }
            if let Some(arguments) = arguments.filter(|a| !a.is_empty()) {
                out.push(StreamEvent::ToolCallArguments {
                    index,
                    delta: arguments,
                });
            }
        }
    }
    for event in &out {
        state.assembler.push(event);
    }
    Ok(out)
}

fn finish_stream(state: &mut StreamState) -> Result<StreamEvent, ProviderError> {
    let usage = state.usage.unwrap_or(UNREPORTED);
    let assembler = std::mem::take(&mut state.assembler);
    Ok(StreamEvent::Done(assembler.finish(
        std::mem::take(&mut state.model),
        state.id.take(),
        finish_reason(state.finish.as_deref()),
        usage,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::message::{ToolResult, ToolSpec};

    fn provider(base: &str) -> OpenAi {
        OpenAi::new(reqwest::Client::new(), base, None, ProviderRetry::default()).unwrap()
    }

    #[test]
    fn a_conversation_with_tools_becomes_openai_messages() {
        let request = ChatRequest::new()
            .with_system("Be brief.")
            .user("Double 21.")
            .message(Message {
                role: Role::Assistant,
                parts: vec![Part::ToolCall(ToolCall {
                    id: "call_1".into(),
                    name: "double".into(),
                    arguments: json!({"n": 21}),
                })],
            })
            .message(Message {
                role: Role::User,
                parts: vec![Part::ToolResult(ToolResult {
                    call_id: "call_1".into(),
                    content: "42".into(),
                    is_error: false,
                })],
            })
            .with_tools(vec![ToolSpec {
                name: "double".into(),
                description: Some("Doubles.".into()),
                parameters: json!({"type": "object"}).as_object().cloned().unwrap(),
            }])
            .with_max_tokens(50);
        let mut request = request;
        request.model = "m".into();
        let body = provider("http://h/v1/").body(&request, true);
        assert_eq!(
            body,
            json!({
                "model": "m",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Double 21."},
                    {"role": "assistant", "content": null, "tool_calls": [
                        {"id": "call_1", "type": "function",
                         "function": {"name": "double", "arguments": "{\"n\":21}"}}]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "42"},
                ],
                "tools": [{"type": "function", "function": {
                    "name": "double", "description": "Doubles.", "parameters": {"type": "object"}}}],
                "tool_choice": "auto",
                "max_tokens": 50,
                "stream": true,
                "stream_options": {"include_usage": true},
            })
        );
        let official = provider("https://api.openai.com/v1").body(&request, false);
        assert_eq!(official["max_completion_tokens"], 50);
        assert!(official.get("max_tokens").is_none());
    }

    #[test]
    fn an_answer_without_usage_is_marked_for_estimation() {
        let wire: WireResponse = serde_json::from_value(json!({
            "id": "x", "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]
        }))
        .unwrap();
        let response = wire.into_response().unwrap();
        assert!(response.usage.estimated);
        assert_eq!(response.text(), "hi");
    }
}
