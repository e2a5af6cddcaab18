use agentwire::prelude::*;

#[agent]
async fn twice(first: &AgentContext, second: &AgentContext) -> String {
    format!("{} {}", first.agent_name(), second.agent_name())
}

fn main() {}
