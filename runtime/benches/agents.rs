//! Microbenchmarks of agentwire's own costs, without any transport:
//!
//! * `stub_call/*`: one call from an agent to another through the stub
//!   `#[agent]` generates (budget scope, cancellation, panic guard), with
//!   tracing off (no subscriber) and on (a subscriber that records every
//!   span and event at TRACE level, formatting them into a sink).
//! * `server_call/leaf`: a whole in-process tool invocation through
//!   [`AgentServer::call`]: JSON arguments in, root budget, `CallToolResult`
//!   out.
//! * `registry/collect`: start-up: collecting the registrations and building
//!   every tool.
//! * `schema/tool`: building one agent's MCP tool (input and output schema).
//!
//! `cargo bench -p agentwire --bench agents`; `scripts/bench.sh` runs it and
//! puts the figures in `docs/benchmarks.md`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::{AgentServer, Registry, ServerIdentity};
use criterion::{Criterion, criterion_group, criterion_main};
use rmcp::model::{CallToolResult, JsonObject};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Returns its input: the callee of the stub benchmark.
#[agent]
async fn leaf(n: u64) -> u64 {
    n
}

/// Calls `leaf` through its stub `iterations` times and answers how many
/// nanoseconds that took, so that only the calls are timed.
#[agent(calls = [leaf])]
async fn stub_loop(ctx: &AgentContext, iterations: u64) -> Result<u64, CallError> {
    let started = Instant::now();
    for i in 0..iterations {
        black_box(leaf::call(ctx, black_box(i)).await?);
    }
    Ok(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX))
}

/// How a report is delivered.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Delivery {
    Email,
    Webhook,
    Slack,
}

/// Where and how often to send a report.
#[derive(Debug, Deserialize, JsonSchema)]
struct Schedule {
    /// A cron expression.
    cron: String,
    /// IANA time zone name.
    time_zone: Option<String>,
    delivery: Vec<Delivery>,
}

/// The report an agent produced.
#[derive(Debug, Serialize, JsonSchema)]
struct Report {
    /// One line per finding.
    findings: Vec<String>,
    /// 0 (fine) to 10 (on fire).
    severity: u8,
    next_run: Option<String>,
}

/// An agent with a typical signature (nested types, enums, options) whose
/// tool the schema benchmark builds.
#[agent(title = "Report writer", read_only, idempotent)]
async fn write_report(
    /// What to report on.
    topic: String,
    /// How many findings at most.
    max_findings: Option<u32>,
    /// When to run again.
    schedule: Schedule,
    /// Labels to attach.
    labels: Vec<String>,
) -> Report {
    Report {
        findings: vec![topic; max_findings.unwrap_or(1) as usize],
        severity: u8::try_from(labels.len().min(10)).unwrap_or(10),
        next_run: Some(format!(
            "{} ({}) via {:?}",
            schedule.cron,
            schedule.time_zone.as_deref().unwrap_or("UTC"),
            schedule.delivery
        )),
    }
}

/// A server over this binary's agents whose budget never stops a benchmark
/// loop: the default allows 256 calls per request.
fn server() -> AgentServer {
    let mut config = Config::default();
    config.budget.calls = Some(u32::MAX);
    config.budget.depth = Some(8);
    config.budget.time = Some("1h".to_owned());
    let registry = Registry::collect().expect("the bench binary registers its agents");
    AgentServer::with_config(
        registry,
        ServerIdentity::new("agentwire-bench", "0"),
        &config,
    )
}

fn arguments(value: serde_json::Value) -> JsonObject {
    match value {
        serde_json::Value::Object(map) => map,
        other => panic!("arguments must be an object, not {other}"),
    }
}

/// The `u64` an agent answered, as structured content or text.
fn number_result(result: &CallToolResult) -> u64 {
    assert_ne!(result.is_error, Some(true), "the call failed: {result:?}");
    if let Some(number) = result.structured_content.as_ref().and_then(|v| v.as_u64()) {
        return number;
    }
    result
        .content
        .iter()
        .find_map(|block| block.as_text().and_then(|t| t.text.trim().parse().ok()))
        .unwrap_or_else(|| panic!("the result holds no number: {result:?}"))
}

/// Runs `stub_loop` for `iterations` calls and returns the time they took.
async fn time_stub_calls(server: &AgentServer, iterations: u64) -> Duration {
    let result = server
        .call(
            "stub_loop",
            arguments(json!({ "iterations": iterations })),
            None,
            CancellationToken::new(),
        )
        .await
        .expect("stub_loop is registered");
    Duration::from_nanos(number_result(&result))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn stub_call(c: &mut Criterion) {
    let server = server();
    let runtime = runtime();
    let mut group = c.benchmark_group("stub_call");
    group.bench_function("tracing_off", |b| {
        b.iter_custom(|iterations| runtime.block_on(time_stub_calls(&server, iterations)));
    });
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(std::io::sink)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        group.bench_function("tracing_on", |b| {
            b.iter_custom(|iterations| runtime.block_on(time_stub_calls(&server, iterations)));
        });
    });
    group.finish();
}

fn server_call(c: &mut Criterion) {
    let server = server();
    let runtime = runtime();
    c.bench_function("server_call/leaf", |b| {
        b.iter(|| {
            let result = runtime.block_on(server.call(
                "leaf",
                arguments(json!({ "n": 7 })),
                None,
                CancellationToken::new(),
            ));
            black_box(result)
        });
    });
}

fn registry(c: &mut Criterion) {
    c.bench_function("registry/collect", |b| {
        b.iter(|| black_box(Registry::collect().expect("agents are registered")));
    });
}

fn schema(c: &mut Criterion) {
    let registry = Registry::collect().expect("agents are registered");
    let definition = registry
        .get("write_report")
        .expect("write_report is registered");
    c.bench_function("schema/tool", |b| b.iter(|| black_box(definition.tool())));
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    targets = stub_call, server_call, registry, schema
}
criterion_main!(benches);
