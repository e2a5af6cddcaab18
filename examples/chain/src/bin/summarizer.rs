//! The chain's last hop: summarizes text with a (simulated) model.

use agentwire::prelude::*;
use chain::{ChainError, SUMMARY_LATENCY, Summary, simulated_model_call};

/// Summarizes a text in at most `max_words` words.
#[agent(read_only, budget(time = "30s"))]
async fn summarize(
    ctx: &AgentContext,
    /// The text to summarize.
    text: String,
    /// The most words to keep (default 20).
    max_words: Option<u32>,
) -> Result<Summary, ChainError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let keep = words.len().min(max_words.unwrap_or(20) as usize);
    simulated_model_call(ctx, words.len() as u64, keep as u64, SUMMARY_LATENCY).await?;
    Ok(Summary {
        summary: words[..keep].join(" "),
        words: words.len(),
    })
}

agentwire::main!();
