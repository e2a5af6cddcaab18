//! The Anthropic Messages API (`POST {base}/v1/messages`): requests,
//! answers, tool use, and the streamed form (`message_start`,
//! `content_block_*`, `message_delta` with the usage, `message_stop`).
//!
//! Structured output has no switch of its own in this API: the schema is
//! offered as a tool the model must call, and its input is the answer.

use futures::StreamExt;
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::DEFAULT_MAX_TOKENS;
use super::http::{Endpoint, SseEvents};
use super::message::{
    ChatRequest, ChatResponse, FinishReason, Message, Part, Role, TokenUsage, ToolCall, ToolChoice,
};
use super::provider::{
    Assembler, CallOptions, EventStream, Provider, ProviderError, ProviderErrorKind, StreamEvent,
};
use super::retry::ProviderRetry;
use super::secret::Secret;

/// The default base URL, Anthropic's own.
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// The API version sent in `anthropic-version`.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// A server speaking the Anthropic Messages API.
#[derive(Debug, Clone)]
pub struct Anthropic {
    endpoint: Endpoint,
}

impl Anthropic {
    /// Other limits on what the provider may send back.
    pub(crate) fn with_limits(mut self, limits: super::http::ResponseLimits) -> Self {
        self.endpoint = self.endpoint.with_limits(limits);
        self
    }

    /// A provider for the API at `base_url` (without `/v1`), authenticated
    /// with `api_key` (`x-api-key`) when given.
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        api_key: Option<&Secret>,
        retry: ProviderRetry,
    ) -> Result<Self, String> {
        let base = base_url.trim_end_matches('/');
        let base = base.strip_suffix("/v1").unwrap_or(base);
        let mut endpoint = Endpoint::new(client, format!("{base}/v1/messages"), retry)
            .header("anthropic-version", ANTHROPIC_VERSION)?;
        if let Some(key) = api_key {
            endpoint = endpoint.secret_header("x-api-key", "", key)?;
        }
        Ok(Anthropic { endpoint })
    }

    fn body(&self, request: &ChatRequest, stream: bool) -> Value {
        let mut body = Map::new();
        body.insert("model".into(), json!(request.model));
        body.insert(
            "max_tokens".into(),
            json!(request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)),
        );
        if let Some(system) = &request.system {
            body.insert("system".into(), json!(system));
        }
        let messages: Vec<Value> = request.messages.iter().map(wire_message).collect();
        body.insert("messages".into(), Value::Array(messages));
        let mut tools: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| {
                let mut wire = Map::new();
                wire.insert("name".into(), json!(tool.name));
                if let Some(description) = &tool.description {
                    wire.insert("description".into(), json!(description));
                }
                wire.insert(
                    "input_schema".into(),
                    Value::Object(tool.parameters.clone()),
                );
                Value::Object(wire)
            })
            .collect();
        let mut choice = match &request.tool_choice {
            ToolChoice::Auto => json!({"type": "auto"}),
            ToolChoice::None => json!({"type": "none"}),
            ToolChoice::Required => json!({"type": "any"}),
            ToolChoice::Tool(name) => json!({"type": "tool", "name": name}),
        };
        if let Some(schema) = &request.output_schema {
            tools.push(json!({
                "name": schema.name,
                "description": "Give your final answer by calling this tool; its input is the answer.",
                "input_schema": schema.schema,
            }));
            choice = if request.tools.is_empty() {
                json!({"type": "tool", "name": schema.name})
            } else {
                json!({"type": "any"})
            };
        }
        if !tools.is_empty() {
            body.insert("tools".into(), Value::Array(tools));
            body.insert("tool_choice".into(), choice);
        }
        if let Some(temperature) = request.temperature {
            body.insert("temperature".into(), json!(temperature));
        }
        if !request.stop.is_empty() {
            body.insert("stop_sequences".into(), json!(request.stop));
        }
        if stream {
            body.insert("stream".into(), json!(true));
        }
        Value::Object(body)
    }
}

fn wire_message(message: &Message) -> Value {
    let role = match message.role {
        Role::User => "user",
        Role::Assistant => "assistant",
    };
    let content: Vec<Value> = message
        .parts
        .iter()
        .map(|part| match part {
            Part::Text { text } => json!({"type": "text", "text": text}),
            Part::ToolCall(call) => {
                let input = match &call.arguments {
                    Value::Object(_) => call.arguments.clone(),
                    // The model wrote no object; send back what it wrote.
                    other => json!({"_raw": other}),
                };
                json!({"type": "tool_use", "id": call.id, "name": call.name, "input": input})
            }
            Part::ToolResult(result) => json!({
                "type": "tool_result",
                "tool_use_id": result.call_id,
                "content": result.content,
                "is_error": result.is_error,
            }),
        })
        .collect();
    json!({"role": role, "content": content})
}

#[derive(Debug, Deserialize)]
struct WireResponse {
    id: Option<String>,
    #[serde(default)]
    model: String,
    #[serde(default)]
    content: Vec<WireBlock>,
    stop_reason: Option<String>,
    usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireBlock {
    Text {
        #[serde(default)]
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Later reports (`message_delta`) replace what they repeat.
    fn merge(&mut self, later: &WireUsage) {
        let take = |mine: &mut Option<u64>, theirs: Option<u64>| {
            if theirs.is_some() {
                *mine = theirs;
            }
        };
        take(&mut self.input_tokens, later.input_tokens);
        take(&mut self.output_tokens, later.output_tokens);
        take(
            &mut self.cache_creation_input_tokens,
            later.cache_creation_input_tokens,
        );
        take(
            &mut self.cache_read_input_tokens,
            later.cache_read_input_tokens,
        );
    }

    /// Anthropic's `input_tokens` leaves out cached tokens; ours counts them.
    fn to_usage(self) -> TokenUsage {
        let read = self.cache_read_input_tokens.unwrap_or(0);
        let written = self.cache_creation_input_tokens.unwrap_or(0);
        TokenUsage {
            input_tokens: self.input_tokens.unwrap_or(0) + read + written,
            output_tokens: self.output_tokens.unwrap_or(0),
            cache_read_tokens: read,
            cache_write_tokens: written,
            reported_cost_micros: None,
            estimated: false,
        }
    }
}

fn finish_reason(reason: Option<&str>) -> FinishReason {
    match reason {
        Some("end_turn") | Some("stop_sequence") | None => FinishReason::Stop,
        Some("max_tokens") => FinishReason::Length,
        Some("tool_use") => FinishReason::ToolCalls,
        Some("refusal") => FinishReason::ContentFilter,
        Some(other) => FinishReason::Other(other.to_owned()),
    }
}

/// The answer, with a call of the output-schema tool turned into the text of
/// a final answer.
fn finish(request: &ChatRequest, mut response: ChatResponse) -> ChatResponse {
    let Some(schema) = &request.output_schema else {
        return response;
    };
    let answer = response.message.parts.iter().find_map(|part| match part {
        Part::ToolCall(call) if call.name == schema.name => Some(call.arguments.to_string()),
        _ => None,
    });
    if let Some(answer) = answer {
        response.message.parts = vec![Part::Text { text: answer }];
        response.finish_reason = FinishReason::Stop;
    }
    response
}

impl Provider for Anthropic {
    fn name(&self) -> &str {
        "anthropic"
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
        options: &'a CallOptions,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(async move {
            let body = self.body(request, false);
            let wire: WireResponse = self.endpoint.post_json(&body, options.deadline).await?;
            let usage = wire
                .usage
                .ok_or_else(|| ProviderError::malformed("it has no `usage`"))?;
            let mut parts = Vec::new();
            for block in wire.content {
                match block {
                    WireBlock::Text { text } if !text.is_empty() => {
                        parts.push(Part::Text { text });
                    }
                    WireBlock::ToolUse { id, name, input } => {
                        parts.push(Part::ToolCall(ToolCall {
                            id,
                            name,
                            arguments: input,
                        }));
                    }
                    _ => {}
                }
            }
            Ok(finish(
                request,
                ChatResponse {
                    model: wire.model,
                    id: wire.id,
                    message: Message {
                        role: Role::Assistant,
                        parts,
                    },
                    finish_reason: finish_reason(wire.stop_reason.as_deref()),
                    usage: usage.to_usage(),
                },
            ))
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
            Ok(decode_stream(events, request.clone()))
        })
    }
}

#[derive(Default)]
struct StreamState {
    assembler: Assembler,
    model: String,
    id: Option<String>,
    stop_reason: Option<String>,
    usage: WireUsage,
    /// Content block index → tool call index, for tool-use blocks.
    tool_blocks: Vec<(usize, usize)>,
    done: bool,
}

fn stream_error(message: String) -> ProviderError {
    ProviderError::new(ProviderErrorKind::Stream, message)
}

fn decode_stream(events: SseEvents, request: ChatRequest) -> EventStream {
    let stream = futures::stream::unfold(
        (events, StreamState::default(), request),
        |(mut events, mut state, request)| async move {
            if state.done {
                return None;
            }
            loop {
                let item = match events.next().await {
                    Some(item) => item,
                    None => {
                        state.done = true;
                        let error =
                            stream_error("the event stream ended before `message_stop`".to_owned());
                        return Some((vec![Err(error)], (events, state, request)));
                    }
                };
                let result = item.and_then(|event| handle_event(&event.data, &mut state));
                match result {
                    Ok(Step::Events(out)) if out.is_empty() => continue,
                    Ok(Step::Events(out)) => {
                        return Some((out.into_iter().map(Ok).collect(), (events, state, request)));
                    }
                    Ok(Step::Stop) => {
                        state.done = true;
                        let assembler = std::mem::take(&mut state.assembler);
                        let response = assembler.finish(
                            std::mem::take(&mut state.model),
                            state.id.take(),
                            finish_reason(state.stop_reason.as_deref()),
                            state.usage.to_usage(),
                        );
                        let done = StreamEvent::Done(finish(&request, response));
                        return Some((vec![Ok(done)], (events, state, request)));
                    }
                    Err(error) => {
                        state.done = true;
                        return Some((vec![Err(error)], (events, state, request)));
                    }
                }
            }
        },
    )
    .flat_map(futures::stream::iter);
    Box::pin(stream)
}

enum Step {
    Events(Vec<StreamEvent>),
    Stop,
}

/// Folds one server-sent event into `state`: the events it yields (also fed
/// to the assembler of the final response), or [`Step::Stop`] at the end.
fn handle_event(data: &str, state: &mut StreamState) -> Result<Step, ProviderError> {
    let value: Value = serde_json::from_str(data)
        .map_err(|e| stream_error(format!("a stream event is not JSON: {e}")))?;
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let out: Vec<StreamEvent> = match kind {
        "message_start" => {
            state.message_start(&value)?;
            Vec::new()
        }
        "content_block_start" => state.content_block_start(&value).into_iter().collect(),
        "content_block_delta" => state.content_block_delta(&value)?.into_iter().collect(),
        "message_delta" => {
            state.message_delta(&value)?;
            Vec::new()
        }
        "message_stop" => return Ok(Step::Stop),
        "error" => return Err(reported_error(&value)),
        // `ping`, `content_block_stop` and events added later.
        _ => Vec::new(),
    };
    for event in &out {
        state.assembler.push(event);
    }
    Ok(Step::Events(out))
}

impl StreamState {
    /// `message_start` names the model and the message, and brings the
    /// input side of the usage, which the final response reports.
    fn message_start(&mut self, value: &Value) -> Result<(), ProviderError> {
        let message = value.get("message").cloned().unwrap_or_default();
        self.model = str_field(&message, "model").to_owned();
        self.id = message.get("id").and_then(Value::as_str).map(str::to_owned);
        self.merge_usage(message.get("usage"), "message_start")
    }

    /// A tool-use block opens a tool call, numbered in the order calls come
    /// (block indexes count text blocks too); a text block may open with text.
    fn content_block_start(&mut self, value: &Value) -> Option<StreamEvent> {
        let index = block_index(value);
        let block = value.get("content_block").cloned().unwrap_or_default();
        match block.get("type").and_then(Value::as_str) {
            Some("tool_use") => {
                let call = self.tool_blocks.len();
                self.tool_blocks.push((index, call));
                Some(StreamEvent::ToolCallStart {
                    index: call,
                    id: str_field(&block, "id").to_owned(),
                    name: str_field(&block, "name").to_owned(),
                })
            }
            Some("text") => {
                let text = str_field(&block, "text");
                (!text.is_empty()).then(|| StreamEvent::Text(text.to_owned()))
            }
            _ => None,
        }
    }

    /// Text deltas pass through; argument deltas go to the tool call that
    /// their block opened.
    fn content_block_delta(&self, value: &Value) -> Result<Option<StreamEvent>, ProviderError> {
        let index = block_index(value);
        let delta = value.get("delta").cloned().unwrap_or_default();
        let event = match delta.get("type").and_then(Value::as_str) {
            Some("text_delta") => {
                let text = str_field(&delta, "text");
                (!text.is_empty()).then(|| StreamEvent::Text(text.to_owned()))
            }
            Some("input_json_delta") => {
                let call = self.tool_call(index)?;
                let partial = str_field(&delta, "partial_json");
                (!partial.is_empty()).then(|| StreamEvent::ToolCallArguments {
                    index: call,
                    delta: partial.to_owned(),
                })
            }
            _ => None,
        };
        Ok(event)
    }

    /// The tool call opened by content block `block`.
    fn tool_call(&self, block: usize) -> Result<usize, ProviderError> {
        self.tool_blocks
            .iter()
            .find(|(index, _)| *index == block)
            .map(|(_, call)| *call)
            .ok_or_else(|| stream_error(format!("input for block {block}, which is no tool use")))
    }

    /// `message_delta` brings the stop reason and the output side of the
    /// usage.
    fn message_delta(&mut self, value: &Value) -> Result<(), ProviderError> {
        if let Some(reason) = value
            .get("delta")
            .and_then(|d| d.get("stop_reason"))
            .and_then(Value::as_str)
        {
            self.stop_reason = Some(reason.to_owned());
        }
        self.merge_usage(value.get("usage"), "message_delta")
    }

    /// Adds the usage an `event` reported, if it did: the counts come in
    /// parts, at the start and at the end of the message.
    fn merge_usage(&mut self, usage: Option<&Value>, event: &str) -> Result<(), ProviderError> {
        if let Some(usage) = usage {
            let usage: WireUsage = serde_json::from_value(usage.clone())
                .map_err(|e| stream_error(format!("`{event}` usage: {e}")))?;
            self.usage.merge(&usage);
        }
        Ok(())
    }
}

/// The content block an event is about.
fn block_index(value: &Value) -> usize {
    value.get("index").and_then(Value::as_u64).unwrap_or(0) as usize
}

/// The text at `key`, empty when it is missing or not text.
fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// An `error` event, described as the same error in an HTTP response body
/// would be, less the status, which a stream does not have.
fn reported_error(value: &Value) -> ProviderError {
    let body = json!({"error": value.get("error").cloned().unwrap_or_default()});
    let detail = ProviderError::from_status(500, None, &body.to_string()).message;
    stream_error(format!(
        "the stream reported an error: {}",
        detail.trim_start_matches("HTTP 500: ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::message::{OutputSchema, ToolResult};

    #[test]
    fn a_conversation_with_tools_becomes_anthropic_messages() {
        let provider = Anthropic::new(
            reqwest::Client::new(),
            "http://h/v1",
            None,
            ProviderRetry::default(),
        )
        .unwrap();
        assert_eq!(provider.endpoint.url(), "http://h/v1/messages");
        let mut request = ChatRequest::new()
            .with_system("Be brief.")
            .user("Double 21.")
            .message(Message {
                role: Role::Assistant,
                parts: vec![Part::ToolCall(ToolCall {
                    id: "toolu_1".into(),
                    name: "double".into(),
                    arguments: json!({"n": 21}),
                })],
            })
            .message(Message {
                role: Role::User,
                parts: vec![Part::ToolResult(ToolResult {
                    call_id: "toolu_1".into(),
                    content: "no".into(),
                    is_error: true,
                })],
            })
            .with_output_schema(OutputSchema {
                name: "answer".into(),
                schema: json!({"type": "object"}).as_object().cloned().unwrap(),
            });
        request.model = "claude".into();
        assert_eq!(
            provider.body(&request, false),
            json!({
                "model": "claude",
                "max_tokens": DEFAULT_MAX_TOKENS,
                "system": "Be brief.",
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "Double 21."}]},
                    {"role": "assistant", "content": [
                        {"type": "tool_use", "id": "toolu_1", "name": "double", "input": {"n": 21}}]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "no", "is_error": true}]},
                ],
                "tools": [{"name": "answer",
                    "description": "Give your final answer by calling this tool; its input is the answer.",
                    "input_schema": {"type": "object"}}],
                "tool_choice": {"type": "tool", "name": "answer"},
            })
        );
    }

    #[test]
    fn cached_prompt_tokens_count_as_input() {
        let usage = WireUsage {
            input_tokens: Some(10),
            output_tokens: Some(5),
            cache_creation_input_tokens: Some(100),
            cache_read_input_tokens: Some(1000),
        }
        .to_usage();
        assert_eq!(usage.input_tokens, 1110);
        assert_eq!(
            (usage.cache_read_tokens, usage.cache_write_tokens),
            (1000, 100)
        );
    }
}
