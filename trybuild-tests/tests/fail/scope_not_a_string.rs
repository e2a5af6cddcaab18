use agentwire::prelude::*;

/// A greeting.
#[prompt(scopes = [prompts])]
async fn greeting() -> String {
    "Say hello.".to_owned()
}

fn main() {}
