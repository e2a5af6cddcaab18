use agentwire::prelude::*;

struct Topic(String);

/// Takes a type that cannot be read from text.
#[prompt]
fn about(topic: Topic) -> String {
    topic.0
}

fn main() {}
