use agentwire::prelude::*;

/// An unclosed brace.
#[resource(uri = "notes://{day")]
fn unclosed(day: String) -> String {
    day
}

/// A query operator agentwire does not match.
#[resource(uri = "search://{?query}")]
fn search(query: String) -> String {
    query
}

/// Two variables with nothing between them.
#[resource(uri = "pair://{a}{b}")]
fn pair(a: String, b: String) -> String {
    a + &b
}

fn main() {}
