use agentwire::prelude::*;

/// Borrows its argument.
#[prompt]
fn borrowed(topic: &str) -> String {
    topic.to_owned()
}

fn main() {}
