//! Every key `#[agent(...)]` accepts on a local agent, and what each one does
//! to the tool and its definition.

use std::process::ExitCode;
use std::time::Duration;

use agentwire::prelude::*;

/// This doc comment is replaced by `description`.
#[agent(
    name = "files.stat-v2_final",
    title = "File status",
    description = "Reports whether a path looks like a file.",
    read_only,
    destructive = false,
    idempotent,
    open_world,
    budget(time = "30s", tokens = 20_000, cost = "$0.50", depth = 3, calls = 50),
    calls = [append],
    recursive,
    scopes = ["files:read", "https://api.example.com/files.write"],
)]
async fn stat_file(ctx: &AgentContext, path: String) -> Result<bool, CallError> {
    let logged = append::call(ctx, path.clone()).await?;
    Ok(logged == path.len() && path.contains('.'))
}

/// Appends a line to a log.
#[agent(
    read_only = false,
    idempotent = false,
    open_world = false,
    destructive = true
)]
async fn append(line: String) -> usize {
    line.len()
}

/// Counts down by calling itself: `recursive` lets it sit on a cycle of
/// calls, and its stub is boxed so that the future does not contain itself.
#[agent(recursive, calls = [countdown], budget(depth = 8))]
async fn countdown(ctx: &AgentContext, n: u32) -> Result<u32, CallError> {
    if n == 0 {
        return Ok(ctx.depth());
    }
    countdown::call(ctx, n - 1).await
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
    let names: Vec<&str> = registry.tools().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        ["append", "countdown", "files.stat-v2_final"],
        "`name` replaces the function name"
    );

    let stat = registry.tool("files.stat-v2_final").unwrap();
    assert_eq!(stat.title.as_deref(), Some("File status"));
    assert_eq!(
        stat.description.as_deref(),
        Some("Reports whether a path looks like a file.")
    );
    let hints = stat.annotations.as_ref().expect("annotations were given");
    assert_eq!(hints.read_only_hint, Some(true), "a bare key means `true`");
    assert_eq!(hints.destructive_hint, Some(false));
    assert_eq!(hints.idempotent_hint, Some(true));
    assert_eq!(hints.open_world_hint, Some(true));

    let definition = registry.get("files.stat-v2_final").unwrap();
    let policy = definition.policy;
    assert_eq!(policy.time, Some(Duration::from_secs(30)));
    assert_eq!(policy.tokens, Some(20_000));
    assert_eq!(policy.cost_micros, Some(500_000));
    assert_eq!(policy.depth, Some(3));
    assert_eq!(policy.calls, Some(50));
    assert!(definition.recursive);
    assert_eq!(
        definition.scopes,
        ["files:read", "https://api.example.com/files.write"]
    );
    let callees: Vec<&str> = (definition.callees)().iter().map(|d| d.name).collect();
    assert_eq!(callees, ["append"]);

    let append = registry.tool("append").unwrap();
    assert_eq!(
        append.description.as_deref(),
        Some("Appends a line to a log.")
    );
    let hints = append.annotations.as_ref().expect("annotations were given");
    assert_eq!(hints.read_only_hint, Some(false));
    assert_eq!(hints.destructive_hint, Some(true));
    assert_eq!(hints.idempotent_hint, Some(false));
    assert_eq!(hints.open_world_hint, Some(false));
    let definition = registry.get("append").unwrap();
    assert_eq!(
        definition.policy,
        Budget::UNLIMITED,
        "no `budget(...)`, no limits"
    );
    assert!(!definition.recursive);
    assert!((definition.callees)().is_empty());
    assert!(definition.scopes.is_empty(), "no `scopes`, none needed");

    assert_eq!(
        run_tool("files.stat-v2_final", r#"{"path": "a.txt"}"#).await,
        ExitCode::SUCCESS
    );
    assert_eq!(
        run_tool("stat_file", r#"{"path": "a.txt"}"#).await,
        ExitCode::from(2),
        "the function name is not a tool name"
    );
    assert_eq!(
        run_tool("countdown", r#"{"n": 3}"#).await,
        ExitCode::SUCCESS
    );
}
