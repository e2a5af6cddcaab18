use agentwire::prelude::*;

/// Forgets the `{day}` parameter.
#[resource(uri = "notes://{year}/{day}")]
fn notes(year: u32) -> String {
    year.to_string()
}

fn main() {}
