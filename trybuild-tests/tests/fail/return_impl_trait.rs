use agentwire::prelude::*;

/// Returns something displayable, but the schema needs a concrete type.
#[agent]
async fn shown() -> impl std::fmt::Display {
    5
}

fn main() {}
