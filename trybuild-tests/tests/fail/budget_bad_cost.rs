use agentwire::prelude::*;

/// A cost in a currency agentwire does not count in.
#[agent(budget(cost = "€5"))]
async fn pricey() -> String {
    String::new()
}

fn main() {}
