//! The one-shot commands: `list`, `call`, `prompt` and `read`, run in this
//! process without a client.

use std::process::ExitCode;

use rmcp::model::{CallToolResult, JsonObject};
use tokio_util::sync::CancellationToken;

use super::args::{CallArgs, ListArgs, PromptArgs, ReadArgs};
use super::serve::shutdown_signal;
use crate::budget::Budget;
use crate::mcp::meta::{BUDGET_KEY, read_grant};
use crate::registry::Registry;
use crate::server::AgentServer;

pub(super) fn list(registry: &Registry, args: ListArgs) -> ExitCode {
    if args.graph {
        print!("{}", registry.call_graph_mermaid());
        return ExitCode::SUCCESS;
    }
    let tools: Vec<_> = registry.tools().collect();
    match serde_json::to_string_pretty(&tools) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: could not print the tools: {error}");
            ExitCode::FAILURE
        }
    }
}

pub(super) async fn call(server: &AgentServer, args: CallArgs) -> ExitCode {
    let arguments: JsonObject = match serde_json::from_str(&args.args) {
        Ok(arguments) => arguments,
        Err(error) => {
            eprintln!("error: --args must be a JSON object: {error}");
            return ExitCode::from(2);
        }
    };
    let grant = match args.budget.as_deref().map(parse_grant).transpose() {
        Ok(grant) => grant.flatten(),
        Err(error) => {
            eprintln!("error: --budget: {error}");
            return ExitCode::from(2);
        }
    };
    let Some(result) = server
        .call(&args.tool, arguments, grant, interruptible())
        .await
    else {
        let known: Vec<_> = server
            .registry()
            .tools()
            .map(|t| t.name.to_string())
            .collect();
        eprintln!(
            "error: there is no tool `{}`; the tools are: {}",
            args.tool,
            known.join(", ")
        );
        return ExitCode::from(2);
    };
    if let Some(meta) = &result.meta {
        // The wire-level details, for people and scripts reading stderr.
        eprintln!("_meta: {}", serde_json::Value::Object(meta.0.clone()));
    }
    print_result(result)
}

/// Reads `--budget` exactly as a grant in `_meta` is read.
fn parse_grant(text: &str) -> Result<Option<Budget>, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut meta = JsonObject::new();
    meta.insert(BUDGET_KEY.into(), value);
    read_grant(&meta).map_err(|e| e.to_string())
}

/// A token cancelled by Ctrl-C or SIGTERM, for one-shot commands.
fn interruptible() -> CancellationToken {
    let cancellation = CancellationToken::new();
    let stop = cancellation.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stop.cancel();
    });
    cancellation
}

pub(super) async fn prompt(server: &AgentServer, args: PromptArgs) -> ExitCode {
    let registry = server.registry();
    let Some(definition) = registry.prompt(&args.name) else {
        let known: Vec<_> = registry.prompts().map(|p| p.name).collect();
        eprintln!(
            "error: there is no prompt `{}`; the prompts are: {}",
            args.name,
            known.join(", ")
        );
        return ExitCode::from(2);
    };
    let arguments: JsonObject = match serde_json::from_str(&args.args) {
        Ok(arguments) => arguments,
        Err(error) => {
            eprintln!("error: --args must be a JSON object: {error}");
            return ExitCode::from(2);
        }
    };
    match server
        .render_prompt(definition, arguments, interruptible(), None, None)
        .await
    {
        Ok(messages) => {
            let messages: Vec<_> = messages.into_iter().map(|m| m.into_rmcp()).collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&messages).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("error: {}", failure.message());
            ExitCode::FAILURE
        }
    }
}

pub(super) async fn read(server: &AgentServer, args: ReadArgs) -> ExitCode {
    let Some((definition, variables)) = server.registry().resource_for(&args.uri) else {
        eprintln!("error: no resource has the URI `{}`", args.uri);
        return ExitCode::from(2);
    };
    match server
        .read_contents(definition, variables, interruptible(), None, None)
        .await
    {
        Ok(contents) => {
            for content in contents {
                match content.into_rmcp(args.uri.clone(), definition.mime_type) {
                    rmcp::model::ResourceContents::TextResourceContents { text, .. } => {
                        println!("{text}");
                    }
                    blob => println!(
                        "{}",
                        serde_json::to_string_pretty(&blob).unwrap_or_default()
                    ),
                }
            }
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("error: {}", failure.message());
            ExitCode::FAILURE
        }
    }
}

fn print_result(result: CallToolResult) -> ExitCode {
    let text = match &result.structured_content {
        Some(structured) => serde_json::to_string_pretty(structured).unwrap_or_default(),
        None => result
            .content
            .iter()
            .filter_map(|block| block.as_text().map(|t| t.text.as_str()))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    if result.is_error == Some(true) {
        eprintln!("error: {text}");
        ExitCode::FAILURE
    } else {
        println!("{text}");
        ExitCode::SUCCESS
    }
}
