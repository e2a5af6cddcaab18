use agentwire::prelude::*;

/// Notes.
#[resource(uri = "notes://today", scopes = ["notes:read", "notes:read"])]
async fn today() -> String {
    "nothing yet".to_owned()
}

/// Old notes.
#[resource(uri = "notes://yesterday", scopes = [""])]
async fn yesterday() -> String {
    "nothing".to_owned()
}

fn main() {}
