use agentwire::prelude::*;

/// Everything wrong at once: each problem is reported.
#[prompt(name = "", colour = "red")]
fn wrong<T>((a, b): (String, String), ctx: &AgentContext, again: &AgentContext) -> String {
    let _ = (a, b, ctx, again);
    String::new()
}

fn main() {}
