//! The built `llm` binary, started by rmcp's client over stdio with only
//! `OPENAI_BASE_URL` set (no config file, no key), against a mock
//! OpenAI-compatible server: `ask` answers with the model, its result
//! carries what it used, and a grant of 100 tokens stops it on tokens.

use mock_llm::MockLlm;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, RequestMetaObject, object};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
use serde_json::{Value, json};

const LLM: &str = env!("CARGO_BIN_EXE_llm");

async fn start(mock: &MockLlm) -> RunningService<RoleClient, ()> {
    // A directory without agentwire.toml, and no LLM variables but one.
    let empty = std::env::temp_dir().join(format!("agentwire-llm-example-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let command = tokio::process::Command::new(LLM).configure(|c| {
        c.args(["serve", "--stdio"])
            .current_dir(&empty)
            .env("OPENAI_BASE_URL", mock.openai_url());
        for var in [
            "OPENAI_API_KEY",
            "ANTHROPIC_BASE_URL",
            "ANTHROPIC_API_KEY",
            "AGENTWIRE_CONFIG",
            "AGENTWIRE_LLM_MODEL",
        ] {
            c.env_remove(var);
        }
    });
    ().serve(TokioChildProcess::new(command).unwrap())
        .await
        .expect("the llm server starts")
}

async fn ask(client: &RunningService<RoleClient, ()>, grant: Option<Value>) -> CallToolResult {
    let mut params = CallToolRequestParams::new("ask")
        .with_arguments(object(json!({"question": "Why is the sky blue?"})));
    if let Some(grant) = grant {
        let mut meta = RequestMetaObject::new();
        meta.insert("dev.agentwire/budget".into(), grant);
        params.meta = Some(meta);
    }
    client.call_tool(params).await.expect("tools/call answered")
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect()
}

#[tokio::test]
async fn ask_answers_with_an_openai_compatible_server_and_no_config_file() {
    let mock = MockLlm::start(Vec::new()).await;
    let client = start(&mock).await;
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools[0].name, "ask");

    let result = ask(&client, None).await;
    assert_eq!(result.is_error, Some(false), "{result:?}");
    assert!(
        text(&result).starts_with("You asked: Why is the sky blue?"),
        "{}",
        text(&result)
    );
    let usage = &result.meta.as_ref().unwrap()["dev.agentwire/usage"];
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.body["model"], "gpt-4o-mini", "the default model");
    assert!(
        request.headers.get("authorization").is_none(),
        "no key was configured"
    );
    // The mock counts 24 prompt tokens (a word each, 5 per message, 3 more)
    // and answers with 120 words.
    assert_eq!(usage["inputTokens"], 24, "{usage}");
    assert_eq!(usage["outputTokens"], 120, "{usage}");
    // gpt-4o-mini: $0.15 and $0.60 per million tokens, rounded up.
    assert_eq!(
        usage["costMicros"],
        (24 * 150_000 + 120 * 600_000u64).div_ceil(1_000_000)
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_grant_of_100_tokens_stops_ask_with_budget_exceeded_on_tokens() {
    let mock = MockLlm::start(Vec::new()).await;
    let client = start(&mock).await;
    let result = ask(&client, Some(json!({"tokens": 100}))).await;
    assert_eq!(result.is_error, Some(true), "{result:?}");
    assert!(
        text(&result).contains("budget exceeded on tokens"),
        "{}",
        text(&result)
    );
    let meta = result.meta.as_ref().unwrap();
    let error = &meta["dev.agentwire/error"];
    assert_eq!(error["kind"], "budget_exceeded");
    assert_eq!(error["dimension"], "tokens");
    assert_eq!(error["limit"], 100);
    // The answer limit sent to the model was what the 100 tokens left.
    let sent = mock.requests()[0].body["max_tokens"].as_u64().unwrap();
    assert!(sent < 100, "max_tokens {sent}");
    let usage = &meta["dev.agentwire/usage"];
    assert_eq!(
        usage["outputTokens"], sent,
        "the cut answer was charged: {usage}"
    );
    client.cancel().await.unwrap();
}
