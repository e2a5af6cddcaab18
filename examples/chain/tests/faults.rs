//! Faults in the chain, with real processes: the middle server killed
//! mid-call, and a slow leaf under a deadline. The caller must get a clear
//! error (no Rust type names) within its time grant, and no process of the
//! chain may be left behind.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

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

async fn orchestrator(researcher_url: &str) -> Client {
    let mut command = tokio::process::Command::new(ORCHESTRATOR);
    command
        .args(["serve", "--stdio"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AGENTWIRE_SERVER_RESEARCHER_URL", researcher_url);
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the orchestrator");
    ().serve(transport).await.expect("initialize")
}

fn brief(grant: Value) -> CallToolRequestParams {
    let mut params =
        CallToolRequestParams::new("brief").with_arguments(object(json!({"topic": "faults"})));
    let mut meta = RequestMetaObject::new();
    meta.insert("dev.agentwire/budget".into(), grant);
    params.meta = Some(meta);
    params
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect()
}

/// The processes whose environment holds `mark`.
fn marked(mark: &str) -> Vec<u32> {
    let needle = format!("AW_FAULT_MARK={mark}");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == needle.as_bytes()))
        })
        .collect()
}

async fn until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn killing_the_middle_server_mid_call_is_a_clear_error_in_time_with_no_leftover() {
    let mark = format!("kill-middle-{}", std::process::id());
    // The summarizer is the researcher's stdio child, marked to be found.
    let summarizer = format!("env AW_FAULT_MARK={mark} {SUMMARIZER} serve --stdio");
    let mut researcher = HttpProcess::start(
        RESEARCHER,
        &[("AGENTWIRE_SERVER_SUMMARIZER_COMMAND", summarizer)],
    );
    let client = orchestrator(&researcher.1).await;
    let peer = client.peer().clone();
    let grant_ms = 20_000;
    let started = Instant::now();
    let call =
        tokio::spawn(async move { peer.call_tool(brief(json!({"timeoutMs": grant_ms}))).await });

    // Mid-call: the researcher has started the summarizer and waits for it.
    until("the summarizer started", Duration::from_secs(30), || {
        !marked(&mark).is_empty()
    })
    .await;
    researcher.0.kill().unwrap();
    let _ = researcher.0.wait();

    let result = tokio::time::timeout(Duration::from_secs(60), call)
        .await
        .expect("the caller got an answer (no hang)")
        .unwrap()
        .expect("tools/call answered");
    assert!(
        started.elapsed() < Duration::from_millis(grant_ms),
        "answered within the time grant, after {:?}",
        started.elapsed()
    );
    assert_eq!(result.is_error, Some(true), "{}", text(&result));
    let message = text(&result);
    assert!(
        message.contains("research"),
        "names the call that failed: {message}"
    );
    assert!(!message.contains("::"), "no Rust type names: {message}");

    // The summarizer saw its input close and exited by itself.
    until("the summarizer exited", Duration::from_secs(20), || {
        marked(&mark).is_empty()
    })
    .await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_slow_leaf_is_cancelled_by_the_deadline_and_the_caller_reports_budget_exceeded() {
    let mark = format!("slow-leaf-{}", std::process::id());
    let summarizer = format!("env AW_FAULT_MARK={mark} {SUMMARIZER} serve --stdio");
    let researcher = HttpProcess::start(
        RESEARCHER,
        &[("AGENTWIRE_SERVER_SUMMARIZER_COMMAND", summarizer)],
    );
    let client = orchestrator(&researcher.1).await;
    // The summarizer takes 400 ms; the whole chain is granted 300.
    let grant_ms = 300;
    let started = Instant::now();
    let result = tokio::time::timeout(
        Duration::from_secs(60),
        client.call_tool(brief(json!({"timeoutMs": grant_ms}))),
    )
    .await
    .expect("no hang")
    .expect("tools/call answered");
    let elapsed = started.elapsed();
    assert_eq!(result.is_error, Some(true), "{}", text(&result));
    let error = &result.meta.as_ref().unwrap()["dev.agentwire/error"];
    assert_eq!(error["kind"], "budget_exceeded", "{}", text(&result));
    assert_eq!(error["dimension"], "time");
    // On time: the deadline, plus the time to start processes and answer
    // (a generous bound against a hang, not a speed target).
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    client.cancel().await.unwrap();
    drop(researcher);
    until("the summarizer exited", Duration::from_secs(20), || {
        marked(&mark).is_empty()
    })
    .await;
}
