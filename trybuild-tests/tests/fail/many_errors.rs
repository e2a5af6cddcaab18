use agentwire::prelude::*;

// Seven problems in one item: all of them are reported in one build.
#[agent(nmae = "x", name = "bad name")]
fn many<T>(
    ctx: &AgentContext,
    again: &AgentContext,
    (a, b): (u8, u8),
    text: &str,
) -> String {
    format!("{} {} {a} {b} {text}", ctx.agent_name(), again.agent_name())
}

fn main() {}
