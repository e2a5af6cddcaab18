use agentwire::prelude::*;

#[agent]
async fn echo(#[header] region: String) -> String {
    region
}

fn main() {}
