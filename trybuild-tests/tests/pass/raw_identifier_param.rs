//! Raw identifiers as parameter names: `r#type` is the argument `type`.

use std::process::ExitCode;

use agentwire::prelude::*;

/// Describes a value of a kind.
#[agent]
async fn describe(
    /// The kind of value.
    r#type: String,
    r#match: Option<u32>,
) -> String {
    format!("{} {:?}", r#type, r#match)
}

/// Runs one agent through the CLI's `call` command, as `cargo run -- call` would.
async fn run_tool(tool: &str, args: &str) -> ExitCode {
    agentwire::App::new(agentwire::ServerIdentity::new("pass", "0.0.0"))
        .run_with_args(["pass", "call", tool, "--args", args])
        .await
}

#[tokio::main]
async fn main() {
    assert_eq!(
        describe("colour".to_owned(), Some(1)).await,
        "colour Some(1)"
    );

    let registry = agentwire::Registry::collect().expect("the agent is registered");
    let input = &registry.tool("describe").unwrap().input_schema;
    let properties = input["properties"].as_object().expect("properties");
    let names: Vec<&String> = properties.keys().collect();
    assert_eq!(names, ["match", "type"], "no `r#` in argument names");
    assert_eq!(
        input["properties"]["type"]["description"],
        "The kind of value."
    );
    assert_eq!(input["required"][0], "type");

    assert_eq!(
        run_tool("describe", r#"{"type": "colour", "match": 2}"#).await,
        ExitCode::SUCCESS
    );
    assert_eq!(
        run_tool("describe", r#"{"r#type": "colour"}"#).await,
        ExitCode::FAILURE
    );
}
