//! The chain's first hop: the tool a client calls. It has the researcher
//! (another server, which calls the summarizer) research a topic. Also has
//! `runaway`, an agent that calls itself forever, to show budgets stop it,
//! and `durable_research`, a workflow that calls the researcher.

use std::time::Duration;

use agentwire::prelude::*;
use chain::Findings;
use schemars::JsonSchema;
use serde::Serialize;

/// Researches a topic, on the `researcher` server.
#[agent(remote = "researcher")]
async fn research(topic: String, sources: Option<u32>) -> Findings;

/// A briefing on a topic.
#[derive(Debug, Serialize, JsonSchema)]
struct Brief {
    topic: String,
    /// The researcher's summarized findings.
    summary: String,
    sources_read: usize,
}

/// Writes a brief on a topic by way of the researcher and the summarizer.
#[agent(read_only, calls = [research])]
async fn brief(
    ctx: &AgentContext,
    /// The topic of the brief.
    topic: String,
    /// How many sources the researcher reads (default 3).
    sources: Option<u32>,
) -> Result<Brief, CallError> {
    let findings = research::call(ctx, topic, sources).await?;
    Ok(Brief {
        topic: findings.topic,
        summary: findings.summary.summary,
        sources_read: findings.notes.len(),
    })
}

/// Researches a topic as a durable workflow: on Temporal
/// (`--workflow-backend temporal`), the call of the remote researcher is an
/// activity that any `orchestrator worker` runs.
#[workflow(calls = [research])]
async fn durable_research(
    ctx: &WorkflowContext,
    /// What to research.
    topic: String,
    /// How many sources the researcher reads (default 3).
    sources: Option<u32>,
) -> Result<Findings, WorkflowError> {
    Ok(research::call(ctx, topic, sources).await?)
}

/// Calls itself one level deeper every 50 ms, forever: only a budget (depth
/// or time) stops it.
#[agent(calls = [runaway], recursive)]
async fn runaway(
    ctx: &AgentContext,
    /// The current level (start at 0).
    level: u32,
) -> Result<u32, CallError> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    runaway::call(ctx, level + 1).await
}

agentwire::main!();
