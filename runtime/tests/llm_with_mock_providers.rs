//! The LLM layer against local mock servers speaking the OpenAI and
//! Anthropic wire formats (JSON and SSE, tool calls, errors): what the
//! provider reports is exactly what is charged, budgets clamp and refuse
//! model calls and stop loops mid-way with the right dimension, provider
//! errors are retried within the deadline. (Spans: llm_spans.rs.)

use std::time::{Duration, Instant};

use agentwire::config::Config;
use agentwire::llm::{ChatRequest, StreamEvent, ToolSpec, Toolbox};
use agentwire::prelude::*;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use futures::StreamExt;
use mock_llm::{MockLlm, Reply};
use rmcp::model::CallToolResult;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const KEY: &str = "sk-test-never-shown";

/// One model call.
#[agent]
async fn chat_once(ctx: &AgentContext, question: String) -> Result<String, LlmError> {
    ctx.model()?.ask(question).await
}

/// What a streamed call delivered.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Streamed {
    streamed_text: String,
    final_text: String,
    calls: Vec<(String, Value)>,
}

/// One streamed model call, offered the `double` tool when `tools`.
#[agent]
async fn stream_once(
    ctx: &AgentContext,
    question: String,
    tools: bool,
) -> Result<Streamed, LlmError> {
    let mut request = ChatRequest::new().user(question);
    if tools {
        request = request.with_tools(vec![ToolSpec {
            name: "double".into(),
            description: Some("Doubles n.".into()),
            parameters: json!({"type": "object", "properties": {"n": {"type": "integer"}}})
                .as_object()
                .cloned()
                .unwrap(),
        }]);
    }
    let mut stream = ctx.model()?.stream(request).await?;
    let mut streamed_text = String::new();
    let mut done = None;
    while let Some(event) = stream.next().await {
        match event? {
            StreamEvent::Text(text) => streamed_text.push_str(&text),
            StreamEvent::Done(response) => done = Some(response),
            _ => {}
        }
    }
    let done = done.ok_or_else(|| LlmError::Config("the stream had no end".into()))?;
    Ok(Streamed {
        streamed_text,
        final_text: done.text(),
        calls: done
            .message
            .tool_calls()
            .map(|c| (c.name.clone(), c.arguments.clone()))
            .collect(),
    })
}

/// Doubles a number.
#[agent]
async fn double(n: i64) -> i64 {
    n * 2
}

/// Spends 40 tokens and doubles a number (a tool of the far server in
/// the parallel-calls test).
#[agent]
async fn costly_double(ctx: &AgentContext, n: i64) -> Result<i64, BudgetExceeded> {
    ctx.charge(Usage::model(30, 10, 0))?;
    Ok(n * 2)
}

/// Answers with the help of `double`.
#[agent(calls = [double])]
async fn doubler(ctx: &AgentContext, question: String) -> Result<String, LlmError> {
    let outcome = ctx
        .model()?
        .agent_loop()
        .tools(Toolbox::new().agent::<double>(ctx))
        .max_turns(5)
        .run(question)
        .await?;
    Ok(outcome.answer)
}

/// Answers with the help of every tool of the server `far`.
#[agent]
async fn far_user(ctx: &AgentContext, question: String) -> Result<String, LlmError> {
    let outcome = ctx
        .model()?
        .agent_loop()
        .tools(Toolbox::new().mcp_server("far"))
        .max_turns(3)
        .run(question)
        .await?;
    Ok(outcome.answer)
}

/// A judgement.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Verdict {
    positive: bool,
    reason: String,
}

/// Judges a text.
#[agent]
async fn judge(ctx: &AgentContext, text: String) -> Result<Verdict, LlmError> {
    ctx.model()?.structured(text).await
}

const FLAVORS: [&str; 2] = ["openai", "anthropic"];

/// A key file, written once for all tests of this process.
fn key_file() -> String {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let path =
            std::env::temp_dir().join(format!("agentwire-llm-test-key-{}", std::process::id()));
        std::fs::write(&path, format!("{KEY}\n")).unwrap();
        path.display().to_string()
    })
    .clone()
}

/// A server whose default model is `mock-model` ($1 per million input
/// tokens, $2 per million output) on `mock`, of kind `flavor`.
fn server(mock: &MockLlm, flavor: &str, extra: &str) -> AgentServer {
    let url = match flavor {
        "openai" => mock.openai_url(),
        _ => mock.anthropic_url(),
    };
    let config = Config::parse(&format!(
        r#"
        [llm]
        provider = "mock"
        model = "mock-model"
        [llm.prices."mock-model"]
        input = "$1"
        output = "$2"
        [providers.mock]
        kind = "{flavor}"
        base_url = "{url}"
        api_key_file = "{key}"
        retries = 3
        {extra}
        "#,
        key = key_file(),
    ))
    .unwrap();
    AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("llm-test", "0"),
        &config,
    )
}

async fn call(
    server: &AgentServer,
    tool: &str,
    args: Value,
    grant: Option<Budget>,
) -> CallToolResult {
    server
        .call(
            tool,
            args.as_object().cloned().unwrap(),
            grant,
            CancellationToken::new(),
        )
        .await
        .unwrap()
}

fn usage(result: &CallToolResult) -> Usage {
    serde_json::from_value(result.meta.as_ref().unwrap()["dev.agentwire/usage"].clone()).unwrap()
}

fn text(result: &CallToolResult) -> String {
    result.content[0].as_text().unwrap().text.clone()
}

fn budget_error(result: &CallToolResult) -> Value {
    assert_eq!(result.is_error, Some(true), "{result:?}");
    result.meta.as_ref().unwrap()["dev.agentwire/error"].clone()
}

#[tokio::test]
async fn each_provider_answers_and_the_reported_usage_is_exactly_what_is_charged() {
    for flavor in FLAVORS {
        let mock = MockLlm::start(vec![Reply::text_with_usage("Hello there", 12, 3)]).await;
        let server = server(&mock, flavor, "");
        let result = call(&server, "chat_once", json!({"question": "Hi?"}), None).await;
        assert_eq!(result.is_error, Some(false), "{flavor}: {result:?}");
        assert_eq!(text(&result), "Hello there");
        let used = usage(&result);
        assert_eq!((used.input_tokens, used.output_tokens), (12, 3), "{flavor}");
        assert_eq!(used.cost_micros, 12 + 3 * 2, "{flavor}");

        let requests = mock.requests();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.body["model"], "mock-model");
        match flavor {
            "openai" => {
                assert_eq!(request.path, "/v1/chat/completions");
                assert_eq!(request.headers["authorization"], format!("Bearer {KEY}"));
            }
            _ => {
                assert_eq!(request.path, "/v1/messages");
                assert_eq!(request.headers["x-api-key"], KEY);
                assert_eq!(request.headers["anthropic-version"], "2023-06-01");
                assert_eq!(request.body["max_tokens"], 4096);
            }
        }
    }
}

#[tokio::test]
async fn streams_deliver_text_and_tool_calls_in_each_wire_format() {
    for flavor in FLAVORS {
        let mock = MockLlm::start(vec![
            Reply::text_with_usage("The quick brown fox jumps", 7, 4),
            Reply::tool_call("double", json!({"n": 21}), 9, 5),
        ])
        .await;
        let server = server(&mock, flavor, "");
        let result = call(
            &server,
            "stream_once",
            json!({"question": "Go", "tools": false}),
            None,
        )
        .await;
        assert_eq!(result.is_error, Some(false), "{flavor}: {result:?}");
        let streamed: Streamed =
            serde_json::from_value(result.structured_content.clone().unwrap()).unwrap();
        assert_eq!(
            streamed.streamed_text, "The quick brown fox jumps",
            "{flavor}"
        );
        assert_eq!(streamed.final_text, "The quick brown fox jumps", "{flavor}");
        assert_eq!(
            (usage(&result).input_tokens, usage(&result).output_tokens),
            (7, 4)
        );

        let result = call(
            &server,
            "stream_once",
            json!({"question": "Double 21", "tools": true}),
            None,
        )
        .await;
        let streamed: Streamed =
            serde_json::from_value(result.structured_content.clone().unwrap()).unwrap();
        assert_eq!(
            streamed.calls,
            vec![("double".to_owned(), json!({"n": 21}))],
            "{flavor}"
        );
        assert_eq!(
            (usage(&result).input_tokens, usage(&result).output_tokens),
            (9, 5)
        );

        let request = &mock.requests()[0].body;
        assert_eq!(request["stream"], true);
        if flavor == "openai" {
            assert_eq!(request["stream_options"], json!({"include_usage": true}));
        }
    }
}

#[tokio::test]
async fn a_loop_calls_a_local_agent_and_answers() {
    for flavor in FLAVORS {
        let mock = MockLlm::start(vec![
            Reply::tool_call("double", json!({"n": 21}), 50, 10),
            Reply::text_with_usage("It is 42.", 80, 5),
        ])
        .await;
        let server = server(&mock, flavor, "");
        let result = call(
            &server,
            "doubler",
            json!({"question": "What is 21 doubled?"}),
            None,
        )
        .await;
        assert_eq!(result.is_error, Some(false), "{flavor}: {result:?}");
        assert_eq!(text(&result), "It is 42.");
        let used = usage(&result);
        assert_eq!(
            (used.input_tokens, used.output_tokens),
            (130, 15),
            "{flavor}"
        );
        assert_eq!(used.cost_micros, 130 + 15 * 2);
        assert_eq!(used.calls, 2, "the loop and one call of `double`");

        let second = mock.requests()[1].body.to_string();
        match flavor {
            "openai" => assert!(
                second.contains(r#"{"content":"42","role":"tool","tool_call_id":"call_0"}"#),
                "{second}"
            ),
            _ => assert!(
                second.contains(r#""content":"42","is_error":false,"tool_use_id":"toolu_0""#),
                "{second}"
            ),
        }
    }
}

#[tokio::test]
async fn a_token_budget_refuses_the_next_turn_before_it_is_sent() {
    for flavor in FLAVORS {
        let mock = MockLlm::start(vec![
            Reply::tool_call("double", json!({"n": 21}), 50, 10),
            Reply::text_with_usage("never sent", 1, 1),
        ])
        .await;
        let server = server(&mock, flavor, "");
        let grant = Budget::default().with_tokens(90);
        let result = call(
            &server,
            "doubler",
            json!({"question": "What is 21 doubled?"}),
            Some(grant),
        )
        .await;
        let error = budget_error(&result);
        assert_eq!(error["dimension"], "tokens", "{flavor}: {result:?}");
        assert_eq!(error["limit"], 90);
        assert!(text(&result).contains("tokens"), "{}", text(&result));
        assert_eq!(
            mock.requests().len(),
            1,
            "{flavor}: the second turn was refused before it was sent"
        );
        let used = usage(&result);
        assert_eq!(
            (used.input_tokens, used.output_tokens),
            (50, 10),
            "{flavor}"
        );
        // The first call's answer limit was clamped to what the budget left.
        let first = &mock.requests()[0].body;
        let limit = first["max_tokens"].as_u64().unwrap();
        assert!(limit < 90, "{flavor}: max_tokens {limit}");
    }
}

#[tokio::test]
async fn a_cost_budget_stops_a_loop_mid_way() {
    for flavor in FLAVORS {
        let mock = MockLlm::start(vec![
            Reply::tool_call("double", json!({"n": 21}), 50, 10),
            Reply::text_with_usage("never sent", 1, 1),
        ])
        .await;
        let server = server(&mock, flavor, "");
        let grant = Budget::default().with_cost_micros(80);
        let result = call(
            &server,
            "doubler",
            json!({"question": "What is 21 doubled?"}),
            Some(grant),
        )
        .await;
        let error = budget_error(&result);
        assert_eq!(error["dimension"], "cost", "{flavor}: {result:?}");
        assert_eq!(error["limit"], 80);
        assert_eq!(mock.requests().len(), 1, "{flavor}");
        assert_eq!(usage(&result).cost_micros, 50 + 10 * 2, "{flavor}");
    }
}

#[tokio::test]
async fn usage_past_the_reservation_is_clamped_to_it_and_fails_the_call() {
    let mock = MockLlm::start(vec![Reply::text_with_usage("long", 900, 300)]).await;
    let server = server(&mock, "openai", "");
    let result = call(
        &server,
        "chat_once",
        json!({"question": "Hi"}),
        Some(Budget::default().with_tokens(1000)),
    )
    .await;
    let error = budget_error(&result);
    assert_eq!(
        (
            error["dimension"].as_str(),
            error["limit"].as_u64(),
            error["used"].as_u64()
        ),
        (Some("tokens"), Some(1000), Some(1200))
    );
    // Only what was reserved (the whole limit here) is charged: a report
    // is untrusted, and the rest is the budget error.
    let used = usage(&result);
    assert_eq!((used.input_tokens, used.output_tokens), (900, 100));
}

#[tokio::test]
async fn absurd_usage_reports_in_a_loop_saturate_instead_of_wrapping() {
    // Each report alone fits in a u64 (the mock adds them up too); two
    // inputs together do not.
    let (input, output) = (1 << 63, (1 << 63) - 2);
    let mock = MockLlm::start(vec![
        Reply::tool_call("double", json!({"n": 21}), input, output),
        Reply::text_with_usage("It is 42.", input, output),
    ])
    .await;
    let server = server(&mock, "openai", "");
    let result = call(&server, "doubler", json!({"question": "21 doubled?"}), None).await;
    assert_eq!(result.is_error, Some(false), "{result:?}");
    assert_eq!(text(&result), "It is 42.");
    let used = usage(&result);
    assert_eq!(
        (used.input_tokens, used.output_tokens, used.cost_micros),
        (u64::MAX, 2 * output, u64::MAX),
        "the totals stop at the largest number instead of wrapping"
    );
}

#[tokio::test]
async fn a_malformed_answer_the_provider_bills_is_charged_the_prompts_estimate() {
    let mock = MockLlm::start(vec![Reply::Malformed]).await;
    let config = Config::parse(&format!(
        r#"
        [llm]
        provider = "mock"
        model = "mock-model"
        [llm.prices."mock-model"]
        input = "$1"
        output = "$2"
        [providers.mock]
        kind = "openai"
        base_url = "{url}"
        api_key_file = "{key}"
        retries = 0
        "#,
        url = mock.openai_url(),
        key = key_file(),
    ))
    .unwrap();
    let server = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("llm-test", "0"),
        &config,
    );
    let question = "Please answer this question of about forty characters.";
    let result = call(&server, "chat_once", json!({"question": question}), None).await;
    assert_eq!(result.is_error, Some(true), "{result:?}");
    assert!(text(&result).contains("malformed"), "{}", text(&result));
    let used = usage(&result);
    assert!(
        used.input_tokens >= (question.len() as u64) / 4,
        "the prompt is charged: {used:?}"
    );
    assert_eq!(used.output_tokens, 0);
    assert_eq!(
        used.cost_micros, used.input_tokens,
        "$1 per million input tokens"
    );
}

#[tokio::test]
async fn an_answer_the_budget_cut_short_is_a_budget_error_and_one_that_fits_is_not() {
    let mock = MockLlm::start(vec![
        Reply::Text {
            text: "cut".into(),
            usage: Some((30, 150)),
            finish: Some("length".into()),
        },
        Reply::text_with_usage("fits", 30, 20),
    ])
    .await;
    let server = server(&mock, "openai", "");
    let grant = Some(Budget::default().with_tokens(200));
    let result = call(
        &server,
        "chat_once",
        json!({"question": "Tell me everything"}),
        grant,
    )
    .await;
    let error = budget_error(&result);
    assert_eq!(error["dimension"], "tokens");
    let sent = mock.requests()[0].body["max_tokens"].as_u64().unwrap();
    assert!(
        (150..200).contains(&sent),
        "max_tokens was clamped to {sent}"
    );

    let result = call(
        &server,
        "chat_once",
        json!({"question": "Tell me a little"}),
        grant,
    )
    .await;
    assert_eq!(result.is_error, Some(false), "{result:?}");
    assert_eq!(text(&result), "fits");
}

#[tokio::test]
async fn provider_errors_are_retried_with_backoff_then_succeed() {
    let mock = MockLlm::start(vec![
        Reply::rate_limited("0"),
        Reply::error(503, "upstream down"),
        Reply::Malformed,
        Reply::text_with_usage("finally", 5, 1),
    ])
    .await;
    let server = server(&mock, "openai", "");
    let result = call(&server, "chat_once", json!({"question": "Hi"}), None).await;
    assert_eq!(result.is_error, Some(false), "{result:?}");
    assert_eq!(text(&result), "finally");
    assert_eq!(mock.requests().len(), 4);
    assert_eq!(
        (usage(&result).input_tokens, usage(&result).output_tokens),
        (5, 1),
        "only the answer is charged"
    );

    let overloaded =
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
    let mock = MockLlm::start(vec![
        Reply::error(529, overloaded.to_string()),
        Reply::text_with_usage("ok", 2, 1),
    ])
    .await;
    let server = self::server(&mock, "anthropic", "");
    let result = call(&server, "chat_once", json!({"question": "Hi"}), None).await;
    assert_eq!(text(&result), "ok");
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn a_slow_provider_times_out_and_is_retried() {
    let mock = MockLlm::start(vec![
        Reply::Delay(Duration::from_secs(3), Box::new(Reply::text("too late"))),
        Reply::text_with_usage("in time", 3, 2),
    ])
    .await;
    let server = server(&mock, "openai", "timeout = \"300ms\"");
    let started = Instant::now();
    let result = call(&server, "chat_once", json!({"question": "Hi"}), None).await;
    assert_eq!(text(&result), "in time", "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn exhausted_retries_and_request_errors_give_a_clear_error_without_the_key() {
    let mock = MockLlm::start(vec![Reply::error(503, "down"); 4]).await;
    let server = server(&mock, "openai", "");
    let result = call(&server, "chat_once", json!({"question": "Hi"}), None).await;
    assert_eq!(result.is_error, Some(true));
    let message = text(&result);
    assert!(
        message.contains("mock-model")
            && message.contains("HTTP 503: down")
            && message.contains("after 4 attempts"),
        "{message}"
    );
    assert_eq!(
        usage(&result).input_tokens,
        0,
        "a failed call charges nothing"
    );

    let bad_key = json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}});
    let mock = MockLlm::start(vec![Reply::error(401, bad_key.to_string())]).await;
    let server = self::server(&mock, "openai", "");
    let result = call(&server, "chat_once", json!({"question": "Hi"}), None).await;
    let message = text(&result);
    assert!(
        message.contains("HTTP 401") && message.contains("Incorrect API key"),
        "{message}"
    );
    assert!(!message.contains(KEY), "{message}");
    assert_eq!(mock.requests().len(), 1, "a 401 is not retried");
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_fails_at_once() {
    let mock = MockLlm::start(vec![Reply::rate_limited("30")]).await;
    let server = server(&mock, "openai", "");
    let started = Instant::now();
    let grant = Some(Budget::default().with_time(Duration::from_secs(5)));
    let result = call(&server, "chat_once", json!({"question": "Hi"}), grant).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    let message = text(&result);
    assert!(
        message.contains("HTTP 429") && message.contains("deadline"),
        "{message}"
    );
}

#[tokio::test]
async fn structured_output_follows_the_schema_and_a_wrong_answer_is_corrected() {
    let mock = MockLlm::start(vec![
        Reply::text_with_usage(r#"{"positive": "yes"}"#, 5, 5),
        Reply::text_with_usage(r#"{"positive": true, "reason": "fun"}"#, 6, 6),
    ])
    .await;
    let server = server(&mock, "openai", "");
    let result = call(&server, "judge", json!({"text": "great film"}), None).await;
    assert_eq!(
        result.structured_content,
        Some(json!({"positive": true, "reason": "fun"})),
        "{result:?}"
    );
    let requests = mock.requests();
    assert_eq!(
        requests[0].body["response_format"]["json_schema"]["name"],
        "Verdict"
    );
    assert!(
        requests[1].body.to_string().contains("cannot be used"),
        "the error went back to the model"
    );
    assert_eq!(usage(&result).input_tokens, 11);

    let mock = MockLlm::start(vec![Reply::tool_call(
        "Verdict",
        json!({"positive": false, "reason": "dull"}),
        5,
        5,
    )])
    .await;
    let server = self::server(&mock, "anthropic", "");
    let result = call(&server, "judge", json!({"text": "dull film"}), None).await;
    assert_eq!(
        result.structured_content,
        Some(json!({"positive": false, "reason": "dull"})),
        "{result:?}"
    );
    assert_eq!(
        mock.requests()[0].body["tool_choice"],
        json!({"type": "tool", "name": "Verdict"})
    );
}

#[tokio::test]
async fn a_loop_calls_the_tools_of_a_configured_mcp_server() {
    let far = HttpServer::bind(
        AgentServer::new(
            Registry::collect().unwrap(),
            ServerIdentity::new("far", "0"),
        ),
        "127.0.0.1:0".parse().unwrap(),
        HttpOptions::default(),
    )
    .await
    .unwrap();
    let mock = MockLlm::start(vec![
        Reply::tool_call("far__double", json!({"n": 4}), 20, 5),
        Reply::text_with_usage("Eight.", 30, 2),
    ])
    .await;
    let server = server(
        &mock,
        "openai",
        &format!("[servers.far]\nurl = \"http://{}/mcp\"", far.local_addr()),
    );
    let result = call(&server, "far_user", json!({"question": "Double 4"}), None).await;
    assert_eq!(text(&result), "Eight.", "{result:?}");
    let offered = mock.requests()[0].body["tools"].to_string();
    assert!(
        offered.contains("far__double") && offered.contains("far__chat_once"),
        "{offered}"
    );
    assert!(
        mock.requests()[1]
            .body
            .to_string()
            .contains(r#""content":"8""#)
    );
    assert_eq!(usage(&result).calls, 2, "the loop and the remote tool");
    far.shutdown().await.unwrap();
}

#[tokio::test]
async fn parallel_remote_tool_calls_share_a_token_budget_instead_of_the_first_taking_it_all() {
    let far = HttpServer::bind(
        AgentServer::new(
            Registry::collect().unwrap(),
            ServerIdentity::new("far", "0"),
        ),
        "127.0.0.1:0".parse().unwrap(),
        HttpOptions::default(),
    )
    .await
    .unwrap();
    let mock = MockLlm::start(vec![
        Reply::ToolCalls {
            calls: vec![
                ("far__costly_double".into(), json!({"n": 21})),
                ("far__costly_double".into(), json!({"n": 42})),
            ],
            usage: Some((50, 10)),
        },
        Reply::text_with_usage("42 and 84.", 80, 5),
    ])
    .await;
    let server = server(
        &mock,
        "openai",
        &format!("[servers.far]\nurl = \"http://{}/mcp\"", far.local_addr()),
    );
    // 60 tokens for the first turn leave 940: each remote call is granted
    // half, and spends 40 of it.
    let grant = Some(Budget::default().with_tokens(1_000));
    let result = call(
        &server,
        "far_user",
        json!({"question": "Double both"}),
        grant,
    )
    .await;
    assert_eq!(result.is_error, Some(false), "{result:?}");
    assert_eq!(text(&result), "42 and 84.");
    let second_turn = mock.requests()[1].body.to_string();
    assert!(
        second_turn.contains(r#""content":"42""#) && second_turn.contains(r#""content":"84""#),
        "both calls answered: {second_turn}"
    );
    let used = usage(&result);
    assert_eq!(used.input_tokens + used.output_tokens, 60 + 2 * 40 + 85);
    assert_eq!(used.calls, 3, "the loop and two remote calls");
    far.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_provider_redirect_is_not_followed_so_the_key_stays_home() {
    let mock = MockLlm::start(vec![Reply::text_with_usage("followed", 1, 1)]).await;
    // A "provider" that sends every request on to the mock, on another port.
    let target = format!("{}/chat/completions", mock.openai_url());
    let redirect = axum::Router::new().fallback(move || {
        let target = target.clone();
        async move {
            (
                axum::http::StatusCode::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, target)],
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirector = format!("http://{}/v1", listener.local_addr().unwrap());
    let serving = tokio::spawn(async move { axum::serve(listener, redirect).await });
    let config = Config::parse(&format!(
        r#"
        [llm]
        provider = "mock"
        model = "mock-model"
        [providers.mock]
        kind = "openai"
        base_url = "{redirector}"
        api_key_file = "{key}"
        retries = 0
        "#,
        key = key_file(),
    ))
    .unwrap();
    let server = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("llm-test", "0"),
        &config,
    );
    let result = call(&server, "chat_once", json!({"question": "Hi"}), None).await;
    assert_eq!(result.is_error, Some(true), "{result:?}");
    assert!(text(&result).contains("HTTP 307"), "{}", text(&result));
    assert!(
        mock.requests().is_empty(),
        "the request reached the redirect's target"
    );
    serving.abort();
}

#[tokio::test]
async fn a_provider_answer_or_stream_line_past_its_limit_is_a_clear_error() {
    // A stream delivers the text in three events of 3,000 bytes.
    let long = "x".repeat(9_000);
    let limits = "max_response_bytes = 2000\nmax_sse_line_bytes = 2000";
    for flavor in FLAVORS {
        let mock = MockLlm::start(vec![
            Reply::text_with_usage(long.clone(), 1, 1),
            Reply::text_with_usage(long.clone(), 1, 1),
        ])
        .await;
        let server = server(&mock, flavor, limits);
        let whole = call(&server, "chat_once", json!({"question": "Hi"}), None).await;
        assert_eq!(whole.is_error, Some(true), "{flavor}");
        assert!(
            text(&whole).contains("larger than 2000 bytes"),
            "{flavor}: {}",
            text(&whole)
        );
        let streamed = call(
            &server,
            "stream_once",
            json!({"question": "Hi", "tools": false}),
            None,
        )
        .await;
        assert_eq!(streamed.is_error, Some(true), "{flavor}");
        assert!(
            text(&streamed).contains("longer than 2000 bytes"),
            "{flavor}: {}",
            text(&streamed)
        );
    }
}
