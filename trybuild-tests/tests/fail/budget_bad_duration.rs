use agentwire::prelude::*;

/// A time limit that is not a duration.
#[agent(budget(time = "30 seconds"))]
async fn slow() -> String {
    String::new()
}

fn main() {}
