use agentwire::prelude::*;

/// A budget dimension that does not exist.
#[agent(budget(memory = 3, tokens = "many"))]
async fn greedy() -> String {
    String::new()
}

fn main() {}
