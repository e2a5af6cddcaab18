use agentwire::prelude::*;

/// Forgets to answer.
#[prompt]
async fn silent(topic: String) {
    let _ = topic;
}

fn main() {}
