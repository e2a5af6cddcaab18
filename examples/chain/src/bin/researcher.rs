//! The chain's middle hop: reads sources about a topic, then has the
//! summarizer (another server) summarize its notes.

use agentwire::prelude::*;
use chain::{
    ChainError, Findings, SOURCE_INPUT_TOKENS, SOURCE_LATENCY, SOURCE_OUTPUT_TOKENS, Summary,
    simulated_model_call,
};

/// Summarizes a text, on the `summarizer` server.
#[agent(remote = "summarizer")]
async fn summarize(text: String, max_words: Option<u32>) -> Summary;

/// Researches a topic: reads `sources` sources (one model call each) and
/// summarizes the notes through the summarizer.
#[agent(read_only, calls = [summarize])]
async fn research(
    ctx: &AgentContext,
    /// What to research.
    topic: String,
    /// How many sources to read (default 3, at most 20).
    sources: Option<u32>,
) -> Result<Findings, ChainError> {
    let sources = sources.unwrap_or(3).min(20);
    let mut notes = Vec::new();
    for source in 1..=sources {
        simulated_model_call(
            ctx,
            SOURCE_INPUT_TOKENS,
            SOURCE_OUTPUT_TOKENS,
            SOURCE_LATENCY,
        )
        .await?;
        notes.push(format!(
            "source {source} says {topic} matters for reason {source}"
        ));
    }
    let summary = summarize::call(ctx, notes.join(". "), Some(12)).await?;
    Ok(Findings {
        topic,
        notes,
        summary,
    })
}

agentwire::main!();
