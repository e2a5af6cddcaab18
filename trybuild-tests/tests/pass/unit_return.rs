//! Agents that answer with nothing: no return type, `-> ()`, and
//! `Result<(), E>`.

use std::process::ExitCode;

use agentwire::prelude::*;

/// Does nothing.
#[agent]
async fn ping() {}

/// Does nothing, loudly.
#[agent]
async fn pong(ctx: &AgentContext) -> () {
    ctx.info("pong").await;
}

/// Fails when asked to.
#[agent]
async fn check(fail: bool) -> Result<(), String> {
    if fail {
        Err("asked to fail".to_owned())
    } else {
        Ok(())
    }
}

/// Runs one agent through the CLI's `call` command, as `cargo run -- call` would.
async fn run_tool(tool: &str, args: &str) -> ExitCode {
    agentwire::App::new(agentwire::ServerIdentity::new("pass", "0.0.0"))
        .run_with_args(["pass", "call", tool, "--args", args])
        .await
}

#[tokio::main]
async fn main() {
    ping().await;

    let registry = agentwire::Registry::collect().expect("the agents are registered");
    assert_eq!(registry.len(), 3);
    for tool in registry.tools() {
        assert!(
            tool.output_schema.is_none(),
            "`()` has no output schema: {}",
            tool.name
        );
    }
    let ping = &registry.tool("ping").unwrap().input_schema;
    assert_eq!(ping["type"], "object");
    assert_eq!(ping["properties"].as_object().map(|p| p.len()), Some(0));
    assert!(ping.get("required").is_none(), "nothing is required");

    assert_eq!(run_tool("ping", "{}").await, ExitCode::SUCCESS);
    assert_eq!(run_tool("pong", "{}").await, ExitCode::SUCCESS);
    assert_eq!(
        run_tool("check", r#"{"fail": false}"#).await,
        ExitCode::SUCCESS
    );
    assert_eq!(
        run_tool("check", r#"{"fail": true}"#).await,
        ExitCode::FAILURE
    );
}
