//! `pub` agents in a nested module, called through their stubs
//! (`inner::greet::call(ctx, ..)`) by an agent in another module that
//! declares them in `calls = [...]`.

use std::process::ExitCode;

mod agents {
    pub mod inner {
        use agentwire::prelude::*;

        /// Greets someone.
        #[agent]
        pub async fn greet(name: String) -> String {
            format!("Hello, {name}!")
        }

        /// How deep in a chain of agent calls this agent runs.
        #[agent]
        pub(crate) async fn depth(ctx: &AgentContext) -> u32 {
            ctx.depth()
        }

        /// Always fails.
        #[agent]
        pub async fn refuse(reason: String) -> Result<String, String> {
            Err(reason)
        }
    }
}

mod front {
    use agentwire::prelude::*;

    use crate::agents::inner;

    /// Greets twice through `greet`'s stub and checks what the callees saw.
    #[agent(calls = [inner::greet, inner::depth, crate::agents::inner::refuse])]
    pub async fn greet_twice(ctx: &AgentContext, name: String) -> Result<String, String> {
        let first = inner::greet::call(ctx, name.clone())
            .await
            .map_err(|e| e.to_string())?;
        let second = crate::agents::inner::greet::call(ctx, name)
            .await
            .map_err(|e| e.to_string())?;
        let depth = inner::depth::call(ctx).await.map_err(|e| e.to_string())?;
        if depth != 1 {
            return Err(format!("a called agent runs at depth 1, not {depth}"));
        }
        match inner::refuse::call(ctx, "no".to_owned()).await {
            Err(CallError::Agent {
                agent: "refuse",
                message,
            }) if message == "no" => {}
            other => {
                return Err(format!(
                    "the callee's error is a CallError::Agent: {other:?}"
                ));
            }
        }
        Ok(format!("{first} {second}"))
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
    let registry = agentwire::Registry::collect().expect("the agents are registered");
    let names: Vec<&str> = registry.tools().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["depth", "greet", "greet_twice", "refuse"]);
    let callees: Vec<&str> = (registry.get("greet_twice").unwrap().callees)()
        .iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(callees, ["greet", "depth", "refuse"]);

    assert_eq!(
        run_tool("greet_twice", r#"{"name": "Ada"}"#).await,
        ExitCode::SUCCESS
    );
    assert_eq!(run_tool("depth", "{}").await, ExitCode::SUCCESS);
}
