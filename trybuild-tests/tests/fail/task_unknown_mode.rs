use agentwire::prelude::*;

#[agent(task = "sometimes")]
async fn report() -> String {
    "done".to_owned()
}

fn main() {}
