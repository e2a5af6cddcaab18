use agentwire::prelude::*;

fn suggest(prefix: String) -> Vec<String> {
    vec![prefix]
}

/// Completes with the wrong function.
#[prompt(complete = suggest)]
fn topic(name: String) -> String {
    name
}

fn main() {}
