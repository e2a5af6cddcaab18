use agentwire::prelude::*;

#[agent(scopes = ["reports:read", "reports write"])]
async fn report() -> String {
    "done".to_owned()
}

fn main() {}
