use agentwire::prelude::*;

#[agent(scopes = "reports:write")]
async fn report() -> String {
    "done".to_owned()
}

fn main() {}
