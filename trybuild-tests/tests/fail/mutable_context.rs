use agentwire::prelude::*;

#[agent]
async fn count(ctx: &mut AgentContext) -> u32 {
    ctx.depth()
}

fn main() {}
