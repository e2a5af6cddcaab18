//! The three servers of the chain as real processes over stdio (and HTTP),
//! driven by rmcp's client: every budget dimension runs out at the second
//! and at the third hop, runaway recursion stops, hostile grants are refused.

mod support;

use std::process::Stdio;

use chain::{INPUT_PRICE_MICROS, OUTPUT_PRICE_MICROS, SOURCE_INPUT_TOKENS, SOURCE_OUTPUT_TOKENS};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, RequestMetaObject, object};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use support::HttpProcess;

const ORCHESTRATOR: &str = env!("CARGO_BIN_EXE_orchestrator");
const RESEARCHER: &str = env!("CARGO_BIN_EXE_researcher");
const SUMMARIZER: &str = env!("CARGO_BIN_EXE_summarizer");

type Client = RunningService<RoleClient, ()>;

/// The orchestrator as a stdio child of the test; it starts the researcher,
/// which starts the summarizer, from the built binaries.
async fn orchestrator(extra_env: &[(&str, String)]) -> Client {
    let mut command = tokio::process::Command::new(ORCHESTRATOR);
    command
        .args(["serve", "--stdio"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(
            "AGENTWIRE_SERVER_RESEARCHER_COMMAND",
            format!("{RESEARCHER} serve --stdio"),
        )
        .env(
            "AGENTWIRE_SERVER_SUMMARIZER_COMMAND",
            format!("{SUMMARIZER} serve --stdio"),
        );
    for (key, value) in extra_env {
        command.env(key, value);
    }
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the orchestrator");
    ().serve(transport).await.expect("initialize")
}

async fn call(
    client: &Client,
    tool: &'static str,
    args: Value,
    grant: Option<Value>,
) -> CallToolResult {
    let mut params = CallToolRequestParams::new(tool).with_arguments(object(args));
    if let Some(grant) = grant {
        let mut meta = RequestMetaObject::new();
        meta.insert("dev.agentwire/budget".into(), grant);
        params.meta = Some(meta);
    }
    client.call_tool(params).await.expect("tools/call answered")
}

fn meta(result: &CallToolResult, key: &str) -> Value {
    result
        .meta
        .as_ref()
        .and_then(|m| m.get(key).cloned())
        .unwrap_or(Value::Null)
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect()
}

/// Asserts `result` is a budget error on `dimension`, hit by `agent`.
fn assert_budget_error(result: &CallToolResult, dimension: &str, agent: &str, case: &str) {
    assert_eq!(result.is_error, Some(true), "{case}: {}", text(result));
    let error = meta(result, "dev.agentwire/error");
    assert_eq!(error["kind"], json!("budget_exceeded"), "{case}: {error}");
    assert_eq!(error["dimension"], json!(dimension), "{case}: {error}");
    assert_eq!(error["agent"], json!(agent), "{case}: {error}");
    assert!(
        error["used"].as_u64().unwrap() > error["limit"].as_u64().unwrap() || dimension == "time"
    );
    assert!(
        text(result).contains(dimension),
        "{case}: the text must name {dimension}: {}",
        text(result)
    );
}

const RESEARCH_TOKENS: u64 = 3 * (SOURCE_INPUT_TOKENS + SOURCE_OUTPUT_TOKENS);
const RESEARCH_COST: u64 =
    3 * (SOURCE_INPUT_TOKENS * INPUT_PRICE_MICROS + SOURCE_OUTPUT_TOKENS * OUTPUT_PRICE_MICROS);

#[tokio::test]
async fn a_plain_call_reports_the_whole_chains_usage() {
    let client = orchestrator(&[]).await;
    let result = call(
        &client,
        "brief",
        json!({"topic": "rust", "sources": 3}),
        None,
    )
    .await;
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    let brief = result.structured_content.clone().unwrap();
    assert_eq!(brief["sources_read"], json!(3));
    let usage = meta(&result, "dev.agentwire/usage");
    assert_eq!(usage["calls"], json!(3), "{usage}");
    let tokens = usage["inputTokens"].as_u64().unwrap() + usage["outputTokens"].as_u64().unwrap();
    assert!(
        tokens > RESEARCH_TOKENS,
        "the summarizer's tokens are included: {usage}"
    );
    assert!(
        usage["costMicros"].as_u64().unwrap() > RESEARCH_COST,
        "{usage}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_dimension_runs_out_at_the_second_and_third_hop() {
    let client = orchestrator(&[]).await;
    // Warm up: starts the researcher and summarizer processes.
    let warm = call(&client, "brief", json!({"topic": "warm-up"}), None).await;
    assert_eq!(warm.is_error, Some(false), "{}", text(&warm));
    let summary_tokens = {
        let usage = meta(&warm, "dev.agentwire/usage");
        usage["inputTokens"].as_u64().unwrap() + usage["outputTokens"].as_u64().unwrap()
            - RESEARCH_TOKENS
    };

    let cases = [
        ("depth 0", json!({"depth": 0}), "depth", "research"),
        ("depth 1", json!({"depth": 1}), "depth", "summarize"),
        ("calls 1", json!({"calls": 1}), "calls", "research"),
        ("calls 2", json!({"calls": 2}), "calls", "summarize"),
        (
            "tokens at hop 2",
            json!({"tokens": RESEARCH_TOKENS / 2}),
            "tokens",
            "research",
        ),
        (
            "tokens at hop 3",
            json!({"tokens": RESEARCH_TOKENS + summary_tokens / 2}),
            "tokens",
            "summarize",
        ),
        (
            "cost at hop 2",
            json!({"costMicros": RESEARCH_COST / 2}),
            "cost",
            "research",
        ),
        (
            "cost at hop 3",
            json!({"costMicros": RESEARCH_COST + 10}),
            "cost",
            "summarize",
        ),
        // The researcher reads for 150 ms; the summarizer thinks for 400 ms.
        (
            "time at hop 2",
            json!({"timeoutMs": 120}),
            "time",
            "research",
        ),
        (
            "time at hop 3",
            json!({"timeoutMs": 500}),
            "time",
            "summarize",
        ),
    ];
    for (case, grant, dimension, agent) in cases {
        let result = call(&client, "brief", json!({"topic": "budgets"}), Some(grant)).await;
        assert_budget_error(&result, dimension, agent, case);
    }
    // The chain still works after all those failures.
    let after = call(&client, "brief", json!({"topic": "after"}), None).await;
    assert_eq!(after.is_error, Some(false), "{}", text(&after));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_one_millisecond_grant_stops_the_chain() {
    let client = orchestrator(&[]).await;
    let result = call(
        &client,
        "brief",
        json!({"topic": "t"}),
        Some(json!({"timeoutMs": 1})),
    )
    .await;
    assert_eq!(result.is_error, Some(true));
    assert_eq!(
        meta(&result, "dev.agentwire/error")["dimension"],
        json!("time")
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn runaway_recursion_is_stopped_by_depth_and_by_time() {
    let client = orchestrator(&[]).await;
    let by_depth = call(&client, "runaway", json!({"level": 0}), None).await;
    assert_budget_error(&by_depth, "depth", "runaway", "runaway by depth");
    // agentwire.toml allows depth 8: levels 0 to 8 ran, the 10th call was refused.
    assert_eq!(meta(&by_depth, "dev.agentwire/usage")["calls"], json!(9));

    let by_time = call(
        &client,
        "runaway",
        json!({"level": 0}),
        Some(json!({"timeoutMs": 120})),
    )
    .await;
    assert_budget_error(&by_time, "time", "runaway", "runaway by time");
    let calls = meta(&by_time, "dev.agentwire/usage")["calls"]
        .as_u64()
        .unwrap();
    assert!(calls < 9, "time stopped it before depth did: {calls} calls");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_hostile_grant_is_refused_or_cannot_widen_the_servers_policy() {
    let client = orchestrator(&[]).await;
    for grant in [
        json!({"tokens": -1}),
        json!({"depth": 1e300}),
        json!("lots"),
        json!({"calls": "9"}),
    ] {
        let mut params =
            CallToolRequestParams::new("runaway").with_arguments(object(json!({"level": 0})));
        let mut meta = RequestMetaObject::new();
        meta.insert("dev.agentwire/budget".into(), grant.clone());
        params.meta = Some(meta);
        let error = client
            .call_tool(params)
            .await
            .expect_err("a hostile grant is refused");
        assert!(
            error.to_string().contains("dev.agentwire/budget"),
            "{grant}: {error}"
        );
    }
    // Asking for more depth than the server allows changes nothing.
    let widened = call(
        &client,
        "runaway",
        json!({"level": 0}),
        Some(json!({"depth": 1000, "calls": 100000, "timeoutMs": 3600000})),
    )
    .await;
    assert_budget_error(&widened, "depth", "runaway", "widened grant");
    assert_eq!(meta(&widened, "dev.agentwire/usage")["calls"], json!(9));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_chain_also_runs_over_streamable_http() {
    let summarizer = HttpProcess::start(SUMMARIZER, &[]);
    let researcher = HttpProcess::start(
        RESEARCHER,
        &[("AGENTWIRE_SERVER_SUMMARIZER_URL", summarizer.1.clone())],
    );
    let client = orchestrator(&[("AGENTWIRE_SERVER_RESEARCHER_URL", researcher.1.clone())]).await;
    let result = call(&client, "brief", json!({"topic": "http"}), None).await;
    assert_eq!(result.is_error, Some(false), "{}", text(&result));
    assert_eq!(meta(&result, "dev.agentwire/usage")["calls"], json!(3));
    let hop3 = call(
        &client,
        "brief",
        json!({"topic": "http"}),
        Some(json!({"calls": 2})),
    )
    .await;
    assert_budget_error(&hop3, "calls", "summarize", "calls over HTTP");
    client.cancel().await.unwrap();
}
