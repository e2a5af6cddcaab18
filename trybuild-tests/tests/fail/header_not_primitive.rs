use agentwire::prelude::*;

#[agent]
async fn echo(#[header = "Regions"] regions: Vec<String>) -> String {
    regions.join(",")
}

fn main() {}
