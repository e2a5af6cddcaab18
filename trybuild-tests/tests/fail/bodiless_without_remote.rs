use agentwire::prelude::*;

/// A declaration without a body, but no server to run it on.
#[agent]
async fn summarize(text: String) -> String;

fn main() {}
