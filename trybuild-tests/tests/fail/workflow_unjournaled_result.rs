use agentwire::prelude::*;
use schemars::JsonSchema;
use serde::Serialize;

/// Only `Serialize`: a workflow could not read it back from its journal.
#[derive(Serialize, JsonSchema)]
struct Stats {
    words: usize,
}

/// Counts words.
#[agent]
async fn count(text: String) -> Stats {
    Stats { words: text.split_whitespace().count() }
}

#[workflow(calls = [count])]
async fn counting(ctx: &WorkflowContext) -> Result<usize, WorkflowError> {
    Ok(count::call(ctx, "a b".into()).await?.words)
}

fn main() {}
