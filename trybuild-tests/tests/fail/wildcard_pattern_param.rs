use agentwire::prelude::*;

#[agent]
async fn ignore(_: String) -> String {
    String::new()
}

fn main() {}
