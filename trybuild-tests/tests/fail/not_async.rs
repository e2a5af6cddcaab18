use agentwire::prelude::*;

#[agent]
fn greet(name: String) -> String {
    format!("Hello, {name}!")
}

fn main() {}
