use agentwire::prelude::*;

fn suggest(_: &CompletionRequest) -> Vec<String> {
    Vec::new()
}

/// Nothing to complete in a fixed URI.
#[resource(uri = "notes://today", complete = suggest)]
fn today() -> String {
    String::new()
}

fn main() {}
