use agentwire::prelude::*;

/// Has no address.
#[resource(mime_type = "text/plain")]
fn nowhere() -> String {
    String::new()
}

fn main() {}
