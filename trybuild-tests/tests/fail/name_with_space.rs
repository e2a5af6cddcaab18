use agentwire::prelude::*;

#[agent(name = "say hello")]
async fn greet() -> String {
    "Hello!".to_owned()
}

fn main() {}
