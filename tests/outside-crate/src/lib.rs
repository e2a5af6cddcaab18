//! The agents of a small service, as a user of agentwire writes them: an
//! agent backed by a model, two halves of a chain (the front calls the
//! back over MCP), and a workflow that waits for an approval.

use std::time::Duration;

use agentwire::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Answers a question in one sentence with the configured model.
#[agent(read_only)]
pub async fn answer(ctx: &AgentContext, question: String) -> Result<String, LlmError> {
    ctx.model()?.ask(question).await
}

/// Counts the words of a text (the back server's agent).
#[agent(read_only)]
pub async fn word_count(text: String) -> usize {
    text.split_whitespace().count()
}

/// `word_count` of the server configured as `counter`.
#[agent(remote = "counter", name = "word_count")]
pub async fn remote_word_count(text: String) -> usize;

/// Says how long a text is, counting on the `counter` server.
#[agent(calls = [remote_word_count])]
pub async fn describe(ctx: &AgentContext, text: String) -> Result<String, CallError> {
    let words = remote_word_count::call(ctx, text).await?;
    Ok(format!("{words} words"))
}

/// A decision on an expense.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Decision {
    /// Whether the expense is approved.
    pub approved: bool,
}

/// Files an expense, waits (a week at most) for a decision, then settles it.
#[workflow]
pub async fn expense(ctx: &WorkflowContext, amount_cents: u64) -> Result<String, WorkflowError> {
    let decision: Decision = ctx
        .wait_for("decision", Duration::from_secs(7 * 24 * 3600))
        .await?;
    Ok(if decision.approved {
        format!("paid {amount_cents} cents")
    } else {
        "refused".to_owned()
    })
}
