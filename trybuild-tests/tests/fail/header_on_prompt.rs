use agentwire::prelude::*;

#[prompt]
fn ask(#[header = "Topic"] topic: String) -> String {
    topic
}

fn main() {}
