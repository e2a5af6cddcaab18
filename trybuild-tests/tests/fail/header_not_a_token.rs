use agentwire::prelude::*;

#[agent]
async fn echo(#[header = "Region Name"] region: String) -> String {
    region
}

fn main() {}
