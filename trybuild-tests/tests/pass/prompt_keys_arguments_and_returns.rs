//! Every key `#[prompt(...)]` accepts, arguments of several types, the
//! context, and each kind of return value.

use std::process::ExitCode;

use agentwire::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;

/// How long the answer may be.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Length {
    Short,
    Long,
}

fn topics(request: &CompletionRequest) -> Vec<String> {
    vec![format!("{}-topic", request.value())]
}

/// This doc comment is replaced by `description`.
#[prompt(
    name = "essay.write",
    title = "Essay",
    description = "Writes an essay.",
    icon = "https://example.com/pen.svg",
    icon = "https://example.com/pen-dark.svg",
    complete = topics,
    scopes = ["essays:write"]
)]
async fn essay(
    ctx: &AgentContext,
    /// What the essay is about.
    topic: String,
    /// How long it is; short when left out.
    length: Option<Length>,
    /// At most this many words.
    words: Option<u32>,
) -> String {
    let length = match length {
        Some(Length::Long) => "long",
        _ => "short",
    };
    format!(
        "{} asks for a {length} essay on {topic} in {} words",
        ctx.agent_name(),
        words.unwrap_or(100)
    )
}

/// A plain `fn` answering with a conversation.
#[prompt]
fn dialogue() -> Vec<PromptMessage> {
    vec![
        PromptMessage::user("Hello"),
        PromptMessage::assistant(Content::text("Hi!")),
    ]
}

/// A fallible prompt.
#[prompt]
fn checked(
    /// A number to check.
    n: i64,
) -> Result<PromptMessage, String> {
    if n < 0 {
        return Err(format!("{n} is negative"));
    }
    Ok(PromptMessage::user(format!("{n} is fine")))
}

/// A prompt answering with one piece of content.
#[prompt]
fn picture() -> Content {
    Content::image("AAAA", "image/png")
}

/// The tool every server needs.
#[agent]
async fn noop() {}

fn run(args: &[&str]) -> ExitCode {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut argv = vec!["pass"];
    argv.extend_from_slice(args);
    runtime.block_on(
        agentwire::App::new(agentwire::ServerIdentity::new("pass", "0.0.0")).run_with_args(argv),
    )
}

fn main() {
    let registry = agentwire::Registry::collect().expect("the prompts are registered");
    assert_eq!(registry.prompt("essay.write").unwrap().scopes, ["essays:write"]);
    let prompts: Vec<_> = registry.prompts().collect();
    let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["checked", "dialogue", "essay.write", "picture"]);

    let essay = &prompts[2];
    assert_eq!(essay.title.as_deref(), Some("Essay"));
    assert_eq!(essay.description.as_deref(), Some("Writes an essay."));
    let icons = essay.icons.as_ref().expect("icons");
    assert_eq!(icons.len(), 2);
    assert_eq!(icons[0].mime_type.as_deref(), Some("image/svg+xml"));
    let arguments = essay.arguments.as_ref().expect("arguments");
    let listed: Vec<(&str, Option<bool>)> =
        arguments.iter().map(|a| (a.name.as_str(), a.required)).collect();
    assert_eq!(
        listed,
        [("topic", Some(true)), ("length", Some(false)), ("words", Some(false))],
        "the context is not an argument"
    );
    assert_eq!(arguments[0].description.as_deref(), Some("What the essay is about."));
    assert!(prompts[1].arguments.is_none(), "no arguments, no list");

    assert_eq!(
        run(&["prompt", "essay.write", "--args", r#"{"topic": "rust", "length": "long", "words": "300"}"#]),
        ExitCode::SUCCESS,
        "text arguments fill enums and numbers"
    );
    assert_eq!(run(&["prompt", "essay.write", "--args", r#"{"length": "long"}"#]), ExitCode::FAILURE, "`topic` is required");
    assert_eq!(run(&["prompt", "essay.write", "--args", r#"{"topic": "x", "words": "many"}"#]), ExitCode::FAILURE);
    assert_eq!(run(&["prompt", "dialogue"]), ExitCode::SUCCESS);
    assert_eq!(run(&["prompt", "checked", "--args", r#"{"n": "3"}"#]), ExitCode::SUCCESS);
    assert_eq!(run(&["prompt", "checked", "--args", r#"{"n": "-3"}"#]), ExitCode::FAILURE);
    assert_eq!(run(&["prompt", "picture"]), ExitCode::SUCCESS);
    assert_eq!(run(&["prompt", "nope"]), ExitCode::from(2));
}
