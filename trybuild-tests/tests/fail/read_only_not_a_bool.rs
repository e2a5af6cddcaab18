use agentwire::prelude::*;

#[agent(read_only = "yes")]
async fn greet() -> String {
    "Hello!".to_owned()
}

fn main() {}
