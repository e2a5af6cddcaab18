use agentwire::prelude::*;

#[agent]
async fn echo(#[header = "Region"] region: String, #[header = "region"] zone: String) -> String {
    format!("{region} {zone}")
}

fn main() {}
