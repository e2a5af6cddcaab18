use agentwire::prelude::*;

/// A fixed URI cannot take parameters.
#[resource(uri = "notes://today")]
fn today(day: String) -> String {
    day
}

fn main() {}
