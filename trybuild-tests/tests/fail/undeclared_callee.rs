use agentwire::prelude::*;

#[agent]
async fn greet(name: String) -> String {
    format!("Hello, {name}!")
}

#[agent]
async fn front(ctx: &AgentContext) -> Result<String, CallError> {
    greet::call(ctx, "Ada".to_owned()).await
}

fn main() {}
