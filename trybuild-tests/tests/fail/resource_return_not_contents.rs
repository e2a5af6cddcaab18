use agentwire::prelude::*;

/// Answers with a number.
#[resource(uri = "count://now")]
fn count() -> u64 {
    3
}

fn main() {}
