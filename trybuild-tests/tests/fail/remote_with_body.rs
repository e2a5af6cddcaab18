use agentwire::prelude::*;

/// A remote agent runs elsewhere: it has no body here.
#[agent(remote = "summarizer")]
async fn summarize(text: String) -> String {
    text
}

fn main() {}
