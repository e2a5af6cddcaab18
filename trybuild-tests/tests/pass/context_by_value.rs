//! The context taken by value (so it can move into a spawned task), in a
//! position other than first, and handed on to helpers.

use std::process::ExitCode;

use agentwire::prelude::*;

/// Reports its depth from a spawned task.
#[agent]
async fn depth_in_task(ctx: AgentContext, offset: u32) -> u32 {
    tokio::spawn(async move { ctx.depth() + offset })
        .await
        .expect("the task does not panic")
}

fn name_of(ctx: &AgentContext) -> &'static str {
    ctx.agent_name()
}

/// Takes an owned context, last.
#[agent]
async fn last(n: u32, ctx: AgentContext) -> String {
    format!("{} {n}", name_of(&ctx))
}

/// Calls the others through their stubs.
#[agent(calls = [depth_in_task, last])]
async fn orchestrate(ctx: &AgentContext) -> Result<String, String> {
    let from_task = depth_in_task::call(ctx, 10)
        .await
        .map_err(|e| e.to_string())?;
    let from_last = last::call(ctx, 3).await.map_err(|e| e.to_string())?;
    if (from_task, from_last.as_str()) != (11, "last 3") {
        return Err(format!("unexpected answers: {from_task}, {from_last}"));
    }
    Ok(format!("{from_task} {from_last}"))
}

/// Runs one agent through the CLI's `call` command, as `cargo run -- call` would.
async fn run_tool(tool: &str, args: &str) -> ExitCode {
    agentwire::App::new(agentwire::ServerIdentity::new("pass", "0.0.0"))
        .run_with_args(["pass", "call", tool, "--args", args])
        .await
}

#[tokio::main]
async fn main() {
    let registry = agentwire::Registry::collect().expect("the agents are registered");
    for tool in registry.tools() {
        let properties = tool.input_schema["properties"].as_object().unwrap();
        assert!(
            properties.keys().all(|k| k != "ctx"),
            "the context is never a property: {}",
            tool.name
        );
    }
    assert_eq!(
        registry.tool("last").unwrap().input_schema["required"][0],
        "n"
    );

    assert_eq!(run_tool("orchestrate", "{}").await, ExitCode::SUCCESS);
    assert_eq!(
        run_tool("depth_in_task", r#"{"offset": 1}"#).await,
        ExitCode::SUCCESS
    );
    assert_eq!(run_tool("last", r#"{"n": 1}"#).await, ExitCode::SUCCESS);
}
