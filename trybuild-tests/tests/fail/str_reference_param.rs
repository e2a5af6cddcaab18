use agentwire::prelude::*;

#[agent]
async fn greet(name: &str) -> String {
    format!("Hello, {name}!")
}

fn main() {}
