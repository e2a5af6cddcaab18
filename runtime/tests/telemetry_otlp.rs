//! Spans and metrics exported over OTLP to a real (in-process gRPC) receiver:
//! names, kinds, attributes of the GenAI and MCP conventions, and parent
//! links, with the SERVER span parented on the client's `traceparent`.

use std::time::Duration;

use agentwire::prelude::*;
use agentwire::telemetry::{Telemetry, TelemetryConfig};
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use fake_opentelemetry_collector::{ExportedSpan, FakeCollectorServer};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, RequestMetaObject, object};
use serde_json::json;

/// Charges a few tokens.
#[agent]
async fn inner(ctx: &AgentContext, text: String) -> Result<String, BudgetExceeded> {
    ctx.charge(Usage::model(10, 5, 3))?;
    Ok(text.to_uppercase())
}

/// Calls `inner`.
#[agent(calls = [inner])]
async fn outer(ctx: &AgentContext, text: String) -> Result<String, CallError> {
    inner::call(ctx, text).await
}

/// Always fails.
#[agent]
async fn failing() -> Result<String, String> {
    Err("no".to_owned())
}

/// An attribute's value as text. The receiver renders values as the Debug
/// text of OTLP's `AnyValue`: `Some(AnyValue { value: Some(IntValue(8)) })`.
fn attr(span: &ExportedSpan, key: &str) -> Option<String> {
    let raw = span.attributes.get(key)?;
    let start = raw.find("Value(")? + "Value(".len();
    let end = raw[start..].find(')')? + start;
    Some(raw[start..end].trim_matches('"').to_owned())
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID: &str = "00f067aa0ba902b7";

fn find<'a>(spans: &'a [ExportedSpan], name: &str) -> &'a ExportedSpan {
    spans.iter().find(|s| s.name == name).unwrap_or_else(|| {
        panic!(
            "no span {name:?} in {:#?}",
            spans.iter().map(|s| &s.name).collect::<Vec<_>>()
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_follow_the_conventions_and_continue_the_callers_trace() {
    let mut collector = FakeCollectorServer::start().await.unwrap();
    let config = TelemetryConfig {
        endpoint: Some(collector.endpoint()),
        protocol: Some("grpc".to_owned()),
        ..TelemetryConfig::default()
    };
    let telemetry = Telemetry::init("telemetry-test", &config, "warn");
    assert!(telemetry.exports_traces());

    let server = AgentServer::new(Registry::collect().unwrap(), ServerIdentity::new("t", "0"));
    let http = HttpServer::bind(
        server,
        "127.0.0.1:0".parse().unwrap(),
        HttpOptions::default(),
    )
    .await
    .unwrap();
    let client = ()
        .serve(rmcp::transport::StreamableHttpClientTransport::from_uri(
            format!("http://{}/mcp", http.local_addr()),
        ))
        .await
        .unwrap();
    let mut params =
        CallToolRequestParams::new("outer").with_arguments(object(json!({"text": "secret words"})));
    let mut meta = RequestMetaObject::new();
    meta.insert(
        "traceparent".into(),
        json!(format!("00-{TRACE_ID}-{CALLER_SPAN_ID}-01")),
    );
    params.meta = Some(meta);
    let result = client.call_tool(params).await.unwrap();
    assert_eq!(result.is_error, Some(false));
    let failed = client
        .call_tool(CallToolRequestParams::new("failing"))
        .await
        .unwrap();
    assert_eq!(failed.is_error, Some(true));
    client.cancel().await.unwrap();
    http.shutdown().await.unwrap();
    telemetry.shutdown().await;

    let spans = collector.exported_spans(5, Duration::from_secs(20)).await;
    let server_span = find(&spans, "tools/call outer");
    assert_eq!(server_span.kind, "SPAN_KIND_SERVER");
    assert_eq!(
        server_span.trace_id, TRACE_ID,
        "the server continues the caller's trace"
    );
    assert_eq!(server_span.parent_span_id, CALLER_SPAN_ID);
    assert_eq!(
        attr(server_span, "mcp.method.name").as_deref(),
        Some("tools/call")
    );
    assert_eq!(
        attr(server_span, "gen_ai.tool.name").as_deref(),
        Some("outer")
    );
    assert_eq!(
        attr(server_span, "gen_ai.operation.name").as_deref(),
        Some("execute_tool")
    );
    assert!(attr(server_span, "jsonrpc.request.id").is_some());
    assert_eq!(
        attr(server_span, "mcp.protocol.version").as_deref(),
        Some("2025-11-25")
    );
    assert!(
        attr(server_span, "mcp.session.id").is_some(),
        "a legacy HTTP session has an id"
    );
    assert_eq!(attr(server_span, "error.type"), None);
    // No content by default: the arguments held a secret.
    for span in &spans {
        for value in span.attributes.values() {
            assert!(
                !value.contains("secret"),
                "{} leaked content: {value}",
                span.name
            );
        }
    }

    let outer = find(&spans, "invoke_agent outer");
    assert_eq!(outer.kind, "SPAN_KIND_INTERNAL");
    assert_eq!(outer.parent_span_id, server_span.span_id);
    assert_eq!(attr(outer, "gen_ai.agent.name").as_deref(), Some("outer"));
    assert_eq!(
        attr(outer, "agentwire.budget.granted.depth").as_deref(),
        Some("8")
    );
    assert_eq!(
        attr(outer, "agentwire.budget.used.input_tokens").as_deref(),
        Some("10")
    );
    assert_eq!(
        attr(outer, "agentwire.budget.used.calls").as_deref(),
        Some("2")
    );

    let inner = find(&spans, "invoke_agent inner");
    assert_eq!(
        inner.parent_span_id, outer.span_id,
        "the sub-agent is a child of its caller"
    );
    assert_eq!(inner.trace_id, TRACE_ID);
    assert_eq!(
        attr(inner, "agentwire.budget.granted.depth").as_deref(),
        Some("7")
    );
    assert_eq!(
        attr(inner, "agentwire.budget.used.output_tokens").as_deref(),
        Some("5")
    );

    let failing = find(&spans, "tools/call failing");
    assert_eq!(attr(failing, "error.type").as_deref(), Some("tool_error"));
    assert_ne!(
        failing.trace_id, TRACE_ID,
        "a call without traceparent starts its own trace"
    );

    let metrics = collector.exported_metrics(1, Duration::from_secs(20)).await;
    let names: Vec<String> = metrics
        .iter()
        .flat_map(|m| serde_json::to_value(m).ok())
        .map(|v| v.to_string())
        .collect();
    let all = names.join("\n");
    assert!(all.contains("mcp.server.operation.duration"), "{all}");
    assert!(all.contains("gen_ai.client.token.usage"), "{all}");
}
