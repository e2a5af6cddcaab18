use agentwire::prelude::*;

#[agent(nmae = "greet")]
async fn greet() -> String {
    "Hello!".to_owned()
}

fn main() {}
