use agentwire::prelude::*;

/// Names a reader MCP does not know, and a priority out of range.
#[resource(uri = "notes://today", audience = "robots", priority = 2.5)]
fn today() -> String {
    String::new()
}

fn main() {}
