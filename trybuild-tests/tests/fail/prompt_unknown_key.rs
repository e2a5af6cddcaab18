use agentwire::prelude::*;

/// Says hello.
#[prompt(nmae = "hello", titel = "Hello")]
fn hello() -> String {
    "hello".to_owned()
}

fn main() {}
