//! Static resources and URI templates: every key of `#[resource(...)]`,
//! typed template variables, the context and each kind of return value.

use std::process::ExitCode;

use agentwire::prelude::*;

/// This doc comment is replaced by `description`.
#[resource(
    uri = "docs://manual",
    name = "manual",
    title = "Manual",
    description = "The manual.",
    mime_type = "text/markdown",
    icon = "https://example.com/book.png",
    audience = "user",
    priority = 1,
    scopes = ["docs:read"]
)]
fn the_manual() -> &'static str {
    "# Manual"
}

fn chapters(_: &CompletionRequest) -> Vec<String> {
    vec!["1".to_owned(), "2".to_owned()]
}

/// One chapter, by number.
#[resource(uri = "docs://manual/chapter/{number}", complete = chapters)]
async fn chapter(ctx: &AgentContext, number: u32) -> Result<String, String> {
    match number {
        0 => Err("chapters start at 1".to_owned()),
        n => Ok(format!("{} reads chapter {n}", ctx.agent_name())),
    }
}

/// Any file under the docs, as bytes.
#[resource(uri = "docs:///{+path}")]
fn raw(path: String) -> Vec<u8> {
    path.into_bytes()
}

/// Two pieces at once.
#[resource(uri = "docs://pair/{left}-{right}")]
fn pair(left: String, right: String) -> Vec<ResourceContent> {
    vec![
        ResourceContent::text(left).with_uri("docs://left"),
        ResourceContent::json(&right),
    ]
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
    let registry = agentwire::Registry::collect().expect("the resources are registered");
    let resources: Vec<_> = registry.resources().collect();
    assert_eq!(resources.len(), 1);
    let manual = &resources[0];
    assert_eq!((manual.uri.as_str(), manual.name.as_str()), ("docs://manual", "manual"));
    assert_eq!(manual.title.as_deref(), Some("Manual"));
    assert_eq!(manual.description.as_deref(), Some("The manual."));
    assert_eq!(manual.mime_type.as_deref(), Some("text/markdown"));
    assert_eq!(manual.icons.as_ref().map(Vec::len), Some(1));
    let annotations = manual.annotations.as_ref().expect("annotations");
    assert_eq!(annotations.priority, Some(1.0));
    assert_eq!(annotations.audience.as_ref().map(Vec::len), Some(1));

    let templates: Vec<String> = registry.resource_templates().map(|t| t.uri_template).collect();
    assert_eq!(
        templates,
        ["docs:///{+path}", "docs://manual/chapter/{number}", "docs://pair/{left}-{right}"]
    );

    let (definition, variables) = registry.resource_for("docs://manual/chapter/7").expect("a match");
    assert_eq!(definition.name, "chapter");
    assert!(definition.scopes.is_empty());
    assert_eq!(registry.resource_for("docs://manual").unwrap().0.scopes, ["docs:read"]);
    assert_eq!(registry.scopes().into_iter().collect::<Vec<_>>(), ["docs:read"]);
    assert_eq!(variables["number"], "7");

    assert_eq!(run(&["read", "docs://manual"]), ExitCode::SUCCESS);
    assert_eq!(run(&["read", "docs://manual/chapter/2"]), ExitCode::SUCCESS);
    assert_eq!(run(&["read", "docs://manual/chapter/0"]), ExitCode::FAILURE, "the resource's own error");
    assert_eq!(run(&["read", "docs://manual/chapter/two"]), ExitCode::FAILURE, "not a number");
    assert_eq!(run(&["read", "docs:///a/b/c.txt"]), ExitCode::SUCCESS);
    assert_eq!(run(&["read", "docs://pair/a-b"]), ExitCode::SUCCESS);
    assert_eq!(run(&["read", "docs://nothing"]), ExitCode::from(2));
}
