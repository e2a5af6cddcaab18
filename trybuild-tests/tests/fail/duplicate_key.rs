use agentwire::prelude::*;

#[agent(name = "hello", name = "hi")]
async fn greet() -> String {
    "Hello!".to_owned()
}

fn main() {}
