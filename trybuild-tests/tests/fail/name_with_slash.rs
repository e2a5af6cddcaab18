use agentwire::prelude::*;

#[agent(name = "greetings/hello")]
async fn greet() -> String {
    "Hello!".to_owned()
}

fn main() {}
