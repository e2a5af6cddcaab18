//! A workflow on Temporal calling an agent on another MCP server: the
//! orchestrator's `durable_research` run by `orchestrator worker` on a
//! Temporal dev server, its call of the remote `research` an activity that
//! reaches the researcher (and, from there, the summarizer) over HTTP.
//!
//! `cargo test -p chain --features temporal --test temporal`; re-record the
//! history the replay test replays with AGENTWIRE_RECORD_HISTORIES=1.

const BINARY: &str = env!("CARGO_BIN_EXE_orchestrator");
const RESEARCHER: &str = env!("CARGO_BIN_EXE_researcher");
const SUMMARIZER: &str = env!("CARGO_BIN_EXE_summarizer");

#[path = "../../durable/tests/support/cluster.rs"]
#[allow(dead_code)]
mod cluster;
mod support;

use std::time::Duration;

use chain::{SOURCE_INPUT_TOKENS, SOURCE_OUTPUT_TOKENS};
use cluster::*;
use serde_json::json;
use support::HttpProcess;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_on_temporal_calls_an_agent_on_another_server_within_the_runs_budget() {
    let summarizer = HttpProcess::start(SUMMARIZER, &[]);
    let researcher = HttpProcess::start(
        RESEARCHER,
        &[("AGENTWIRE_SERVER_SUMMARIZER_URL", summarizer.1.clone())],
    );
    // The worker reaches the researcher as `[servers.researcher]` says.
    let servers = format!("[servers.researcher]\nurl = \"{}\"\n", researcher.1);
    let deployment = Deployment::start_with("chain-temporal", &[], &servers).await;
    let (cluster, client) = (&deployment.cluster, &deployment.client);

    let run = start_run(
        client,
        "durable_research",
        json!({"topic": "rust", "sources": 2}),
    )
    .await;
    let done = wait_for_status(client, &run, Duration::from_secs(90), is("completed")).await;
    let findings = &done["result"];
    assert_eq!(findings["notes"].as_array().unwrap().len(), 2, "{done}");
    assert!(
        findings["summary"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("source 1 says rust"),
        "{done}"
    );
    // The run is charged with what both remote hops used: the researcher's
    // two sources and the summarizer's call (one token per word read, one
    // per word kept, at most 12 kept).
    let words = findings["summary"]["words"].as_u64().unwrap();
    let research_tokens = 2 * (SOURCE_INPUT_TOKENS + SOURCE_OUTPUT_TOKENS);
    let expected = research_tokens + words + words.min(12);
    assert_eq!(tokens_used(&done), expected, "{done}");

    // The call was the activity `agentwire.agent`, run by the worker.
    let activities = activities(&cluster.history(&run));
    let calls: Vec<&ActivityEvents> = activities
        .iter()
        .filter(|a| a.activity_type == "agentwire.agent")
        .collect();
    assert_eq!(calls.len(), 1, "{activities:#?}");
    assert_eq!(calls[0].summary, "agent research", "{activities:#?}");
    assert_eq!(calls[0].ended.as_deref(), Some("completed"), "{calls:#?}");
    cluster.record_history(&run, "durable_research");

    // Granted less than the summarizer needs, the run fails at the third
    // hop (which gets what the researcher left of the run's grant) with the
    // budget error, not retried, and is charged what the hops used before it
    // stopped.
    let short = start_run_with_budget(
        client,
        "durable_research",
        json!({"topic": "rust", "sources": 2}),
        json!({"tokens": research_tokens + words / 2}),
    )
    .await;
    let failed = wait_for_status(client, &short, Duration::from_secs(90), is("failed")).await;
    let left_for_the_summarizer = format!("the limit is {} tokens", words / 2);
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains(&left_for_the_summarizer),
        "{failed}"
    );
    assert_eq!(tokens_used(&failed), research_tokens, "{failed}");
    cluster.agent_call(&short).assert_last_attempt(1, "failed");
    deployment.client.cancel().await.unwrap();
}

/// The recorded history of `durable_research` (tests/histories) replays
/// against the code: the remote call is in it, and a replay calls nothing.
#[test]
fn the_recorded_history_replays() {
    let names = assert_recorded_histories_replay();
    assert_eq!(names, ["durable_research"]);
    let text = std::fs::read_to_string(histories().join("durable_research.json")).unwrap();
    let recorded = activities(&serde_json::from_str(&text).unwrap());
    let summaries: Vec<(&str, &str)> = recorded
        .iter()
        .map(|a| (a.activity_type.as_str(), a.summary.as_str()))
        .collect();
    assert_eq!(
        summaries,
        [("agentwire.agent", "agent research")],
        "{recorded:#?}"
    );
}
