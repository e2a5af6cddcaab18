//! A remote declaration, a narrowed call and a context handed on by value.
use agentwire::prelude::*;

/// Summarizes on the `summarizer` server.
#[agent(remote = "summarizer")]
async fn summarize(text: String, max_words: Option<u32>) -> String;

/// Takes a plain context.
fn describe(ctx: AgentContext) -> String {
    format!("{} at depth {}", ctx.agent_name(), ctx.depth())
}

/// Calls the remote summarizer with a narrower token budget.
#[agent(calls = [summarize], budget(time = "2m", tokens = 1_000, cost = "$0.25", depth = 2, calls = 5))]
async fn brief(ctx: AgentContext, text: String) -> Result<String, CallError> {
    let narrow = Budget::default().with_tokens(100);
    let summary = summarize::call_with_budget(&ctx, narrow, text, Some(10)).await?;
    Ok(format!("{summary} ({})", describe(ctx.into_inner())))
}

fn main() {
    let policy = brief::DEFINITION.policy;
    assert_eq!(policy.time, Some(std::time::Duration::from_secs(120)));
    assert_eq!(policy.tokens, Some(1_000));
    assert_eq!(policy.cost_micros, Some(250_000));
    assert_eq!((policy.depth, policy.calls), (Some(2), Some(5)));
    assert_eq!(summarize::DEFINITION.remote_server(), Some("summarizer"));
    let callees: Vec<_> = (brief::DEFINITION.callees)().iter().map(|d| d.name).collect();
    assert_eq!(callees, ["summarize"]);
    let registry = agentwire::Registry::collect().unwrap();
    assert_eq!(registry.remote_servers().get("summarizer"), Some(&"summarize"));
}
