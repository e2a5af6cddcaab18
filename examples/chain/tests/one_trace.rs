//! One call into the chain is one trace across the three processes: every
//! span shares the trace id the test client sent in `traceparent`, and each
//! server's SERVER span is the child of its caller's CLIENT span.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use fake_opentelemetry_collector::{ExportedSpan, FakeCollectorServer};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, RequestMetaObject, object};
use rmcp::transport::TokioChildProcess;
use serde_json::json;

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const CLIENT_SPAN_ID: &str = "b7ad6b7169203331";

/// Prints the spans as an indented tree, for people reading the test output.
fn tree(spans: &[ExportedSpan], parent: &str, depth: usize, out: &mut String) {
    for span in spans.iter().filter(|s| s.parent_span_id == parent) {
        let kind = span.kind.trim_start_matches("SPAN_KIND_").to_lowercase();
        out.push_str(&format!(
            "{}{} [{kind}] {}\n",
            "  ".repeat(depth),
            span.name,
            span.span_id
        ));
        tree(spans, &span.span_id, depth + 1, out);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_through_three_processes_is_one_trace() {
    let collector = FakeCollectorServer::start().await.unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_orchestrator"));
    command
        .args(["serve", "--stdio"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(
            "AGENTWIRE_SERVER_RESEARCHER_COMMAND",
            format!("{} serve --stdio", env!("CARGO_BIN_EXE_researcher")),
        )
        .env(
            "AGENTWIRE_SERVER_SUMMARIZER_COMMAND",
            format!("{} serve --stdio", env!("CARGO_BIN_EXE_summarizer")),
        )
        // Inherited by the researcher and the summarizer.
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint())
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .env("OTEL_METRICS_EXPORTER", "none");
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = ().serve(transport).await.unwrap();

    let mut params = CallToolRequestParams::new("brief")
        .with_arguments(object(json!({"topic": "tracing", "sources": 1})));
    let mut meta = RequestMetaObject::new();
    meta.insert(
        "traceparent".into(),
        json!(format!("00-{TRACE_ID}-{CLIENT_SPAN_ID}-01")),
    );
    params.meta = Some(meta);
    let result = client.call_tool(params).await.unwrap();
    assert_eq!(result.is_error, Some(false), "{result:?}");
    // Closing the orchestrator's stdin ends it, which ends its children:
    // each flushes its spans on the way out.
    client.cancel().await.unwrap();

    let mut collector = collector;
    let spans = collector.exported_spans(8, Duration::from_secs(30)).await;
    let mut printed = String::new();
    tree(&spans, CLIENT_SPAN_ID, 0, &mut printed);
    println!("span tree under the test client's span {CLIENT_SPAN_ID}:\n{printed}");
    // `scripts/trace-picture.py` draws docs/chain-trace.svg from this file.
    if let Some(path) = std::env::var_os("AGENTWIRE_TRACE_DUMP") {
        std::fs::write(path, serde_json::to_string_pretty(&spans).unwrap()).unwrap();
    }

    assert!(
        spans.iter().all(|s| s.trace_id == TRACE_ID),
        "one trace id everywhere"
    );
    let by_name: HashMap<(&str, &str), &ExportedSpan> = spans
        .iter()
        .map(|s| ((s.name.as_str(), s.kind.as_str()), s))
        .collect();
    let span = |name: &'static str, kind: &'static str| {
        *by_name
            .get(&(name, kind))
            .unwrap_or_else(|| panic!("no {kind} span {name:?}:\n{printed}"))
    };
    let chain = [
        span("tools/call brief", "SPAN_KIND_SERVER"),
        span("invoke_agent brief", "SPAN_KIND_INTERNAL"),
        span("tools/call research", "SPAN_KIND_CLIENT"),
        span("tools/call research", "SPAN_KIND_SERVER"),
        span("invoke_agent research", "SPAN_KIND_INTERNAL"),
        span("tools/call summarize", "SPAN_KIND_CLIENT"),
        span("tools/call summarize", "SPAN_KIND_SERVER"),
        span("invoke_agent summarize", "SPAN_KIND_INTERNAL"),
    ];
    assert_eq!(
        chain[0].parent_span_id, CLIENT_SPAN_ID,
        "the root SERVER span continues the client's"
    );
    for pair in chain.windows(2) {
        assert_eq!(
            pair[1].parent_span_id, pair[0].span_id,
            "{} should be the child of {}:\n{printed}",
            pair[1].name, pair[0].name
        );
    }
}
