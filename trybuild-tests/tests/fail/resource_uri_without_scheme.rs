use agentwire::prelude::*;

/// A relative path is not a URI.
#[resource(uri = "notes/today.txt")]
fn today() -> String {
    String::new()
}

fn main() {}
