//! The smallest agent: no context, one parameter, a `String` answer.

use std::process::ExitCode;

use agentwire::prelude::*;

/// Says hello.
#[agent]
async fn greet(name: String) -> String {
    format!("Hello, {name}!")
}

/// Runs one agent through the CLI's `call` command, as `cargo run -- call` would.
async fn run_tool(tool: &str, args: &str) -> ExitCode {
    agentwire::App::new(agentwire::ServerIdentity::new("pass", "0.0.0"))
        .run_with_args(["pass", "call", tool, "--args", args])
        .await
}

#[tokio::main]
async fn main() {
    // The function is kept as written and can still be called directly.
    assert_eq!(greet("Ada".to_owned()).await, "Hello, Ada!");

    let registry = agentwire::Registry::collect().expect("the agent is registered");
    assert_eq!(registry.len(), 1);
    let tool = registry
        .tool("greet")
        .expect("the tool is named after the function");
    assert_eq!(tool.description.as_deref(), Some("Says hello."));
    assert_eq!(tool.title, None);
    assert!(tool.annotations.is_none(), "no annotation was asked for");
    assert!(
        tool.output_schema.is_none(),
        "a string answer has no output schema"
    );

    let input = &tool.input_schema;
    assert_eq!(input["type"], "object");
    assert_eq!(input["properties"]["name"]["type"], "string");
    assert_eq!(input["required"][0], "name");
    assert_eq!(input["required"].as_array().map(Vec::len), Some(1));

    assert_eq!(
        run_tool("greet", r#"{"name": "Ada"}"#).await,
        ExitCode::SUCCESS
    );
    assert_eq!(
        run_tool("greet", "{}").await,
        ExitCode::FAILURE,
        "`name` is required"
    );
    assert_eq!(
        run_tool("greet", r#"{"name": 5}"#).await,
        ExitCode::FAILURE,
        "`name` is a string"
    );
}
