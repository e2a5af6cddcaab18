//! What the three servers of the chain share: their result types, and a
//! stand-in for a model call that takes time and charges tokens and cost to
//! the budget, as the LLM layer will.

use std::time::Duration;

use agentwire::{AgentContext, BudgetExceeded, Usage};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Micro-USD per input token of the simulated model.
pub const INPUT_PRICE_MICROS: u64 = 2;
/// Micro-USD per output token of the simulated model.
pub const OUTPUT_PRICE_MICROS: u64 = 6;

/// The researcher reads each source with one model call of this size.
pub const SOURCE_INPUT_TOKENS: u64 = 200;
pub const SOURCE_OUTPUT_TOKENS: u64 = 50;
pub const SOURCE_LATENCY: Duration = Duration::from_millis(50);
/// The summarizer's model call takes this long.
pub const SUMMARY_LATENCY: Duration = Duration::from_millis(400);

/// Waits like a model call, then charges its tokens and cost to the budget.
pub async fn simulated_model_call(
    ctx: &AgentContext,
    input_tokens: u64,
    output_tokens: u64,
    latency: Duration,
) -> Result<(), BudgetExceeded> {
    tokio::time::sleep(latency).await;
    let cost = input_tokens * INPUT_PRICE_MICROS + output_tokens * OUTPUT_PRICE_MICROS;
    ctx.charge(Usage::model(input_tokens, output_tokens, cost))
}

/// A text shortened by the summarizer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub summary: String,
    /// Words in the original text.
    pub words: usize,
}

/// What the researcher found about a topic.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Findings {
    pub topic: String,
    /// One note per source read.
    pub notes: Vec<String>,
    /// The notes, summarized by the summarizer.
    pub summary: Summary,
}

/// Why an agent of the chain failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error(transparent)]
    Budget(#[from] BudgetExceeded),
    #[error(transparent)]
    Call(#[from] agentwire::CallError),
}
