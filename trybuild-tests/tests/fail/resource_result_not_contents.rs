use agentwire::prelude::*;

/// Answers with a number or an error.
#[resource(uri = "count://maybe")]
fn maybe() -> Result<u64, String> {
    Ok(3)
}

fn main() {}
