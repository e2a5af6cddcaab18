//! A local stand-in for model APIs, for tests and demos: it speaks the
//! OpenAI Chat Completions wire format on `POST /v1/chat/completions` and
//! the Anthropic Messages one on `POST /v1/messages`, as plain JSON or as
//! server-sent events when the request asks for `stream: true`, tool calls
//! included. It listens on 127.0.0.1 only.
//!
//! Answers come from a script of [`Reply`]s, one per request in order; when
//! the script is empty it plays a simple model: asked for JSON (a response
//! format or a forced tool), it answers with a value of the schema; offered
//! tools, it calls the first one once; otherwise it echoes the question and
//! goes on for `answer_words` words, cut at `max_tokens`. Usage is reported
//! as the script says, or counted (one token per word, plus framing).
//! Every request is recorded for assertions.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Text, with the usage to report (`None`: counted).
    Text {
        text: String,
        usage: Option<(u64, u64)>,
        finish: Option<String>,
    },
    /// Tool calls: (name, arguments).
    ToolCalls {
        calls: Vec<(String, Value)>,
        usage: Option<(u64, u64)>,
    },
    /// An HTTP error with a `retry-after` header when given.
    Error {
        status: u16,
        retry_after: Option<String>,
        body: String,
    },
    /// `200 OK` whose body is not JSON.
    Malformed,
    /// Waits, then answers.
    Delay(Duration, Box<Reply>),
    /// The default behaviour for this one request.
    Default,
}

impl Reply {
    /// Text with the usage counted.
    pub fn text(text: impl Into<String>) -> Self {
        Reply::Text {
            text: text.into(),
            usage: None,
            finish: None,
        }
    }

    /// Text reporting `input` and `output` tokens.
    pub fn text_with_usage(text: impl Into<String>, input: u64, output: u64) -> Self {
        Reply::Text {
            text: text.into(),
            usage: Some((input, output)),
            finish: None,
        }
    }

    /// One tool call reporting `input` and `output` tokens.
    pub fn tool_call(name: impl Into<String>, arguments: Value, input: u64, output: u64) -> Self {
        Reply::ToolCalls {
            calls: vec![(name.into(), arguments)],
            usage: Some((input, output)),
        }
    }

    /// An HTTP error.
    pub fn error(status: u16, body: impl Into<String>) -> Self {
        Reply::Error {
            status,
            retry_after: None,
            body: body.into(),
        }
    }

    /// A 429 asking to retry after `seconds`.
    pub fn rate_limited(seconds: &str) -> Self {
        Reply::Error {
            status: 429,
            retry_after: Some(seconds.to_owned()),
            body: json!({"error": {"message": "Rate limit reached", "type": "rate_limit_error"}})
                .to_string(),
        }
    }
}

/// How the unscripted model behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many words an unscripted answer has (before `max_tokens`).
    pub answer_words: usize,
    /// Log each request to stderr (no prompt text).
    pub log: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            answer_words: 120,
            log: false,
        }
    }
}

/// A request the mock received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

struct Shared {
    script: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Recorded>>,
    options: Options,
}

/// A running mock server.
pub struct MockLlm {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl MockLlm {
    /// Starts on a free port of 127.0.0.1 with `script`.
    pub async fn start(script: Vec<Reply>) -> MockLlm {
        Self::start_on(0, script, Options::default())
            .await
            .expect("a free port on 127.0.0.1")
    }

    /// Starts on `port` (0: any free one) of 127.0.0.1.
    pub async fn start_on(
        port: u16,
        script: Vec<Reply>,
        options: Options,
    ) -> std::io::Result<MockLlm> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            requests: Mutex::new(Vec::new()),
            options,
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(MockLlm {
            addr,
            shared,
            stop: Some(stop),
            task,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The OpenAI-style base URL (`http://127.0.0.1:P/v1`).
    pub fn openai_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The Anthropic-style base URL (`http://127.0.0.1:P`).
    pub fn anthropic_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds replies to the end of the script.
    pub fn push(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.script.lock().unwrap().extend(replies);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for MockLlm {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    OpenAi,
    Anthropic,
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let flavor = if path.ends_with("/chat/completions") {
        Flavor::OpenAi
    } else if path.ends_with("/messages") {
        Flavor::Anthropic
    } else {
        return plain(
            StatusCode::NOT_FOUND,
            "application/json",
            json!({"error": {"message": format!("no route {path}")}}).to_string(),
        );
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "application/json",
            json!({"error": {"message": "the body is not JSON"}}).to_string(),
        );
    };
    shared.requests.lock().unwrap().push(Recorded {
        path: path.clone(),
        headers,
        body: request.clone(),
    });
    let mut reply = shared
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Reply::Default);
    loop {
        match reply {
            Reply::Delay(wait, next) => {
                tokio::time::sleep(wait).await;
                reply = *next;
            }
            Reply::Default => {
                reply = default_reply(&request, flavor, &shared.options);
            }
            _ => break,
        }
    }
    let response = respond(&request, flavor, reply);
    if shared.options.log {
        eprintln!(
            "mock-llm: POST {path} model={} max_tokens={} stream={} -> {}",
            request.get("model").unwrap_or(&Value::Null),
            request
                .get("max_tokens")
                .or_else(|| request.get("max_completion_tokens"))
                .unwrap_or(&Value::Null),
            request
                .get("stream")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            response.status()
        );
    }
    response
}

fn plain(status: StatusCode, content_type: &str, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap()
}

/// The mock's token count of a request: one per word, plus five per message
/// and the tool schemas at four characters a token.
fn count_input(request: &Value) -> u64 {
    fn words(value: &Value) -> u64 {
        match value {
            Value::String(s) => s.split_whitespace().count() as u64,
            Value::Array(items) => items.iter().map(words).sum(),
            Value::Object(map) => map
                .iter()
                .filter(|(k, _)| matches!(k.as_str(), "content" | "text" | "arguments" | "input"))
                .map(|(_, v)| words(v))
                .sum(),
            _ => 0,
        }
    }
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let system = request.get("system").map_or(0, words);
    let tools = request
        .get("tools")
        .map_or(0, |t| t.to_string().len() as u64 / 4);
    messages.iter().map(|m| words(m) + 5).sum::<u64>() + system + tools + 3
}

fn max_tokens(request: &Value) -> Option<u64> {
    request
        .get("max_tokens")
        .or_else(|| request.get("max_completion_tokens"))
        .and_then(Value::as_u64)
}

fn last_user_text(request: &Value) -> String {
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for message in messages.iter().rev() {
        if message.get("role") != Some(&json!("user")) {
            continue;
        }
        match message.get("content") {
            Some(Value::String(text)) => return text.clone(),
            Some(Value::Array(blocks)) => {
                let text: Vec<String> = blocks
                    .iter()
                    .filter_map(|b| b.get("text").and_then(Value::as_str).map(str::to_owned))
                    .collect();
                if !text.is_empty() {
                    return text.join(" ");
                }
            }
            _ => {}
        }
    }
    String::new()
}

fn has_tool_results(request: &Value) -> Option<String> {
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let last = messages.last()?;
    if last.get("role") == Some(&json!("tool")) {
        return last
            .get("content")
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    let blocks = last.get("content").and_then(Value::as_array)?;
    blocks.iter().find_map(|b| {
        (b.get("type") == Some(&json!("tool_result")))
            .then(|| {
                b.get("content").map(|c| match c {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
            })
            .flatten()
    })
}

/// What the unscripted model says.
fn default_reply(request: &Value, flavor: Flavor, options: &Options) -> Reply {
    // Structured output: OpenAI's response_format, or Anthropic's forced tool.
    if let Some(schema) = request.pointer("/response_format/json_schema/schema") {
        return Reply::text(instance(schema, schema, 0).to_string());
    }
    let tools = request
        .get("tools")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if flavor == Flavor::Anthropic
        && let Some(name) = request.pointer("/tool_choice/name").and_then(Value::as_str)
        && let Some(tool) = tools.iter().find(|t| t.get("name") == Some(&json!(name)))
    {
        let schema = tool.get("input_schema").cloned().unwrap_or_default();
        return Reply::ToolCalls {
            calls: vec![(name.to_owned(), instance(&schema, &schema, 0))],
            usage: None,
        };
    }
    if let Some(result) = has_tool_results(request) {
        return Reply::text(format!("The tool answered: {result}"));
    }
    if let Some(first) = tools.first() {
        let (name, schema) = match flavor {
            Flavor::OpenAi => (
                first.pointer("/function/name").cloned().unwrap_or_default(),
                first
                    .pointer("/function/parameters")
                    .cloned()
                    .unwrap_or_default(),
            ),
            Flavor::Anthropic => (
                first.get("name").cloned().unwrap_or_default(),
                first.get("input_schema").cloned().unwrap_or_default(),
            ),
        };
        let name = name.as_str().unwrap_or_default().to_owned();
        return Reply::ToolCalls {
            calls: vec![(name, instance(&schema, &schema, 0))],
            usage: None,
        };
    }
    let mut words: Vec<String> = format!("You asked: {}", last_user_text(request))
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    const FILLER: &[&str] = &[
        "the", "answer", "is", "that", "it", "depends", "on", "what", "you", "mean",
    ];
    let mut i = 0;
    while words.len() < options.answer_words {
        words.push(FILLER[i % FILLER.len()].to_owned());
        i += 1;
    }
    Reply::text(words.join(" "))
}

/// A value of `schema` (a small subset of JSON Schema, enough for typed
/// answers): objects with their required properties, the first enum value,
/// one array item, `"mock"`, `1`, `true`.
fn instance(schema: &Value, root: &Value, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .cloned()
            .unwrap_or_default();
        return instance(&target, root, depth + 1);
    }
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|v| v.first())
    {
        return first.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|v| v.first())
        {
            return instance(first, root, depth + 1);
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null")
            .unwrap_or("null")
            .to_owned(),
        _ => "object".to_owned(),
    };
    match kind.as_str() {
        "object" => {
            let mut object = Map::new();
            let properties = schema.get("properties").and_then(Value::as_object);
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(properties) = properties {
                for (name, property) in properties {
                    if required.contains(&name.as_str()) {
                        object.insert(name.clone(), instance(property, root, depth + 1));
                    }
                }
            }
            Value::Object(object)
        }
        "array" => {
            let item = schema
                .get("items")
                .map_or(json!("mock"), |i| instance(i, root, depth + 1));
            json!([item])
        }
        "string" => json!("mock"),
        "integer" | "number" => json!(1),
        "boolean" => json!(true),
        _ => Value::Null,
    }
}

/// The answer in the endpoint's format.
fn respond(request: &Value, flavor: Flavor, reply: Reply) -> Response {
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("mock")
        .to_owned();
    let stream = request
        .get("stream")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let (text, calls, usage, finish) = match reply {
        Reply::Error {
            status,
            retry_after,
            body,
        } => {
            let mut response = plain(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "application/json",
                body,
            );
            if let Some(wait) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", wait.parse().unwrap());
            }
            return response;
        }
        Reply::Malformed => {
            return plain(
                StatusCode::OK,
                "application/json",
                "{\"choices\": [oops".into(),
            );
        }
        Reply::Text {
            text,
            usage,
            finish,
        } => {
            let words: Vec<&str> = text.split_whitespace().collect();
            let (text, cut) = match max_tokens(request) {
                Some(max) if (words.len() as u64) > max => (words[..max as usize].join(" "), true),
                _ => (text.clone(), false),
            };
            let output = text.split_whitespace().count() as u64;
            let usage = usage.unwrap_or((count_input(request), output));
            let finish = finish.unwrap_or_else(|| if cut { "length" } else { "stop" }.to_owned());
            (text, Vec::new(), usage, finish)
        }
        Reply::ToolCalls { calls, usage } => {
            let output: u64 = calls
                .iter()
                .map(|(n, a)| 1 + n.len() as u64 / 4 + a.to_string().len() as u64 / 4)
                .sum();
            let usage = usage.unwrap_or((count_input(request), output));
            (String::new(), calls, usage, "tool_calls".to_owned())
        }
        Reply::Delay(..) | Reply::Default => unreachable!("resolved before"),
    };
    match (flavor, stream) {
        (Flavor::OpenAi, false) => openai_json(&model, &text, &calls, usage, &finish),
        (Flavor::OpenAi, true) => {
            let include_usage =
                request.pointer("/stream_options/include_usage") == Some(&json!(true));
            openai_sse(
                &model,
                &text,
                &calls,
                include_usage.then_some(usage),
                &finish,
            )
        }
        (Flavor::Anthropic, false) => anthropic_json(&model, &text, &calls, usage, &finish),
        (Flavor::Anthropic, true) => anthropic_sse(&model, &text, &calls, usage, &finish),
    }
}

fn openai_usage((input, output): (u64, u64)) -> Value {
    json!({"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output})
}

fn openai_calls(calls: &[(String, Value)]) -> Vec<Value> {
    calls
        .iter()
        .enumerate()
        .map(|(i, (name, args))| {
            json!({"id": format!("call_{i}"), "type": "function",
                   "function": {"name": name, "arguments": args.to_string()}})
        })
        .collect()
}

fn openai_json(
    model: &str,
    text: &str,
    calls: &[(String, Value)],
    usage: (u64, u64),
    finish: &str,
) -> Response {
    let mut message = json!({"role": "assistant", "content": if text.is_empty() { Value::Null } else { json!(text) }});
    if !calls.is_empty() {
        message["tool_calls"] = Value::Array(openai_calls(calls));
    }
    let body = json!({
        "id": "chatcmpl-mock", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": openai_usage(usage),
    });
    plain(StatusCode::OK, "application/json", body.to_string())
}

/// Splits `text` in up to three pieces, as a stream would deliver it.
fn pieces(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() < 3 {
        return vec![text.to_owned()];
    }
    let third = chars.len() / 3;
    vec![
        chars[..third].iter().collect(),
        chars[third..2 * third].iter().collect(),
        chars[2 * third..].iter().collect(),
    ]
}

fn sse_body(frames: Vec<String>) -> Response {
    // Each frame is sent in two chunks, split mid-line, so that clients must
    // reassemble events across reads.
    let chunks: Vec<Result<Bytes, std::io::Error>> = frames
        .into_iter()
        .flat_map(|frame| {
            let mid = frame.len() / 2;
            let mid = (0..=mid)
                .rev()
                .find(|i| frame.is_char_boundary(*i))
                .unwrap_or(0);
            vec![
                Ok(Bytes::from(frame[..mid].to_owned())),
                Ok(Bytes::from(frame[mid..].to_owned())),
            ]
        })
        .collect();
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap()
}

fn openai_sse(
    model: &str,
    text: &str,
    calls: &[(String, Value)],
    usage: Option<(u64, u64)>,
    finish: &str,
) -> Response {
    let chunk = |delta: Value, finish: Value| {
        format!(
            "data: {}\n\n",
            json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0, "model": model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        )
    };
    let mut frames = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    for piece in pieces(text).into_iter().filter(|p| !p.is_empty()) {
        frames.push(chunk(json!({"content": piece}), Value::Null));
    }
    for (i, (name, args)) in calls.iter().enumerate() {
        frames.push(chunk(
            json!({"tool_calls": [{"index": i, "id": format!("call_{i}"), "type": "function",
                                   "function": {"name": name, "arguments": ""}}]}),
            Value::Null,
        ));
        for piece in pieces(&args.to_string()) {
            frames.push(chunk(
                json!({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}),
                Value::Null,
            ));
        }
    }
    frames.push(chunk(json!({}), json!(finish)));
    if let Some(usage) = usage {
        frames.push(format!(
            "data: {}\n\n",
            json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0, "model": model,
                   "choices": [], "usage": openai_usage(usage)})
        ));
    }
    frames.push("data: [DONE]\n\n".to_owned());
    sse_body(frames)
}

fn anthropic_stop(finish: &str) -> &'static str {
    match finish {
        "length" => "max_tokens",
        "tool_calls" => "tool_use",
        _ => "end_turn",
    }
}

fn anthropic_json(
    model: &str,
    text: &str,
    calls: &[(String, Value)],
    (input, output): (u64, u64),
    finish: &str,
) -> Response {
    let mut content = Vec::new();
    if !text.is_empty() {
        content.push(json!({"type": "text", "text": text}));
    }
    for (i, (name, args)) in calls.iter().enumerate() {
        content.push(
            json!({"type": "tool_use", "id": format!("toolu_{i}"), "name": name, "input": args}),
        );
    }
    let body = json!({
        "id": "msg_mock", "type": "message", "role": "assistant", "model": model, "content": content,
        "stop_reason": anthropic_stop(finish), "stop_sequence": null,
        "usage": {"input_tokens": input, "output_tokens": output,
                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
    });
    plain(StatusCode::OK, "application/json", body.to_string())
}

fn anthropic_sse(
    model: &str,
    text: &str,
    calls: &[(String, Value)],
    (input, output): (u64, u64),
    finish: &str,
) -> Response {
    let event = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    let mut frames = vec![event(
        "message_start",
        json!({"type": "message_start", "message": {
            "id": "msg_mock", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": input, "output_tokens": 1,
                      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}}),
    )];
    let mut index = 0;
    if !text.is_empty() {
        frames.push(event("content_block_start", json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}})));
        frames.push(event("ping", json!({"type": "ping"})));
        for piece in pieces(text) {
            frames.push(event("content_block_delta", json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}})));
        }
        frames.push(event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
        index += 1;
    }
    for (i, (name, args)) in calls.iter().enumerate() {
        frames.push(event("content_block_start", json!({"type": "content_block_start", "index": index,
            "content_block": {"type": "tool_use", "id": format!("toolu_{i}"), "name": name, "input": {}}})));
        for piece in pieces(&args.to_string()) {
            frames.push(event("content_block_delta", json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": piece}})));
        }
        frames.push(event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
        index += 1;
    }
    frames.push(event(
        "message_delta",
        json!({"type": "message_delta",
        "delta": {"stop_reason": anthropic_stop(finish), "stop_sequence": null},
        "usage": {"output_tokens": output}}),
    ));
    frames.push(event("message_stop", json!({"type": "message_stop"})));
    sse_body(frames)
}
