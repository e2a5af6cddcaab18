use agentwire::prelude::*;

#[agent(name = "")]
async fn greet() -> String {
    "Hello!".to_owned()
}

fn main() {}
