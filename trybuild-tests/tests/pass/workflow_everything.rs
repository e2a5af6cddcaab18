//! A workflow using every kind of operation, calling a local and a remote
//! agent through their stubs, with its own retry policy and budget.

use std::time::Duration;

use agentwire::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
struct Draft {
    text: String,
}

/// Writes a draft.
#[agent]
async fn write(topic: String) -> Draft {
    Draft { text: topic }
}

/// Looks a topic up on another server.
#[agent(remote = "library")]
async fn look_up(topic: String) -> String;

#[derive(Debug, Deserialize, JsonSchema)]
struct Approval {
    approved: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Outcome {
    text: String,
    approved: bool,
    lucky: u64,
}

/// Helpers can call agents for any context that may call them.
async fn helper(ctx: &impl agentwire::CanCall<write>, topic: String) -> Result<Draft, CallError> {
    write::call(ctx, topic).await
}

/// Everything at once.
#[workflow(
    name = "everything",
    title = "Everything",
    calls = [write, look_up],
    retry(attempts = 5, backoff = "250ms", factor = 1.5, max_backoff = "10s"),
    step_timeout = "30s",
    budget(time = "1h", tokens = 10_000, calls = 20),
    destructive = false,
    scopes = ["runs:start"]
)]
async fn everything(
    ctx: &WorkflowContext,
    /// The topic.
    topic: String,
    /// Optional, so it may be left out.
    extra: Option<u32>,
) -> Result<Outcome, WorkflowError> {
    let found = look_up::call(ctx, topic.clone()).await?;
    let draft = helper(ctx, format!("{topic} {found}")).await?;
    let saved = ctx
        .step("save", || async { Ok::<_, std::io::Error>(draft.text.len()) })
        .retry(RetryPolicy::NONE)
        .timeout(Duration::from_secs(1))
        .await?;
    ctx.sleep(Duration::from_millis(u64::from(extra.unwrap_or(1)))).await?;
    let approval: Approval = ctx.wait_for("approval", Duration::MAX).await?;
    let _now = ctx.now().await?;
    Ok(Outcome {
        text: format!("{} ({saved})", draft.text),
        approved: approval.approved,
        lucky: ctx.random_u64(),
    })
}

/// A workflow may also take its context by value, and return a plain value.
#[workflow]
async fn by_value(ctx: WorkflowContext) -> String {
    ctx.run_id().to_owned()
}

fn main() {
    assert_eq!(everything::DEFINITION.scopes, ["runs:start"]);
    assert!(by_value::DEFINITION.scopes.is_empty());
}
