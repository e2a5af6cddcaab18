use agentwire::prelude::*;

// 129 characters: one more than MCP allows.
#[agent(name = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
async fn greet() -> String {
    "Hello!".to_owned()
}

fn main() {}
