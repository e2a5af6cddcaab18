use agentwire::prelude::*;

/// Says its URI twice.
#[resource(uri = "a://one", uri = "a://two", mime_type = 3)]
fn twice() -> String {
    String::new()
}

fn main() {}
