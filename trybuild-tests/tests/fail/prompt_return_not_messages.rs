use agentwire::prelude::*;

/// Answers with a number.
#[prompt]
fn count() -> u32 {
    3
}

fn main() {}
