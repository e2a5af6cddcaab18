use agentwire::prelude::*;

#[agent(name = 5)]
async fn greet() -> String {
    "Hello!".to_owned()
}

fn main() {}
