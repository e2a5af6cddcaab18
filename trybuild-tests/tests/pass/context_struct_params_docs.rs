//! An agent taking `&AgentContext`, a documented struct parameter and an
//! optional one, and answering with a struct.

use std::process::ExitCode;

use agentwire::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What to look for.
#[derive(Deserialize, JsonSchema)]
struct Query {
    /// Words that must all appear in a line.
    words: Vec<String>,
    /// At most this many lines.
    limit: Option<usize>,
}

/// The lines that matched.
#[derive(Serialize, JsonSchema)]
struct Hits {
    /// How many lines matched.
    count: usize,
    /// The first matching line.
    first: Option<String>,
}

const TEXT: &str = "the quick brown fox\njumps over\nthe lazy dog";

/// Searches a fixed text line by line.
///
/// Matching is case-insensitive unless asked otherwise.
#[agent]
async fn search(
    ctx: &AgentContext,
    /// The words to look for.
    query: Query,
    /// Match case exactly; off when left out.
    case_sensitive: Option<bool>,
) -> Hits {
    // A panic becomes an error result, which `main` would notice.
    assert_eq!(ctx.agent_name(), "search");
    assert_eq!(ctx.depth(), 0);
    let fold = |s: &str| {
        if case_sensitive.unwrap_or(false) {
            s.to_owned()
        } else {
            s.to_lowercase()
        }
    };
    let lines: Vec<&str> = TEXT
        .lines()
        .filter(|line| query.words.iter().all(|w| fold(line).contains(&fold(w))))
        .take(query.limit.unwrap_or(usize::MAX))
        .collect();
    Hits {
        count: lines.len(),
        first: lines.first().map(|l| (*l).to_owned()),
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
    let registry = agentwire::Registry::collect().expect("the agent is registered");
    let tool = registry.tool("search").expect("the tool is registered");
    assert_eq!(
        tool.description.as_deref(),
        Some(
            "Searches a fixed text line by line.\n\n\
             Matching is case-insensitive unless asked otherwise."
        )
    );

    let input = &tool.input_schema;
    let properties = input["properties"].as_object().expect("properties");
    let names: Vec<&String> = properties.keys().collect();
    assert_eq!(
        names,
        ["case_sensitive", "query"],
        "the context is not a property"
    );
    assert_eq!(
        input["properties"]["query"]["description"],
        "The words to look for."
    );
    assert_eq!(
        input["properties"]["case_sensitive"]["description"],
        "Match case exactly; off when left out."
    );
    // `Option` parameters may be left out; the others are required.
    assert_eq!(input["required"].as_array().map(Vec::len), Some(1));
    assert_eq!(input["required"][0], "query");
    // The struct's own doc comments reach its definition.
    assert_eq!(
        input["$defs"]["Query"]["properties"]["words"]["description"],
        "Words that must all appear in a line."
    );

    let output = tool
        .output_schema
        .as_ref()
        .expect("a struct answer has an output schema");
    assert_eq!(output["type"], "object");
    assert_eq!(
        output["properties"]["count"]["description"],
        "How many lines matched."
    );

    assert_eq!(
        run_tool("search", r#"{"query": {"words": ["THE"]}}"#).await,
        ExitCode::SUCCESS
    );
    assert_eq!(
        run_tool(
            "search",
            r#"{"query": {"words": ["the"], "limit": 1}, "case_sensitive": true}"#
        )
        .await,
        ExitCode::SUCCESS
    );
    assert_eq!(
        run_tool("search", r#"{"query": {"words": "the"}}"#).await,
        ExitCode::FAILURE,
        "`words` is a list"
    );
    assert_eq!(
        run_tool("search", r#"{"case_sensitive": true}"#).await,
        ExitCode::FAILURE,
        "`query` is required"
    );
}
