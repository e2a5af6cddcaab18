//! A remote `tools/call` whose connection broke is sent again on a new
//! connection only when the tool is annotated idempotent: otherwise it may
//! already have run, and the caller gets a clear error instead. The remote
//! server is a stdio MCP server in Python that exits after each answer.

use std::time::Duration;

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::{AgentServer, Registry, ServerIdentity};
use tokio_util::sync::CancellationToken;

/// `env` of a server that exits after each answer, annotated idempotent.
#[agent(remote = "idempotent", name = "env", idempotent)]
async fn env_again() -> String;

/// The same tool, not annotated.
#[agent(remote = "plain", name = "env")]
async fn env_once() -> String;

/// Calls the idempotent tool twice; the server is gone before the second.
#[agent(calls = [env_again])]
async fn twice_idempotent(ctx: &AgentContext) -> Result<String, CallError> {
    env_again::call(ctx).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    env_again::call(ctx).await
}

/// Calls the plain tool twice; the server is gone before the second.
#[agent(calls = [env_once])]
async fn twice_plain(ctx: &AgentContext) -> Result<String, CallError> {
    env_once::call(ctx).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    env_once::call(ctx).await
}

#[tokio::test]
async fn a_broken_connection_resends_only_an_idempotent_call() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/env_server.py");
    let config = Config::parse(&format!(
        r#"
        [servers.idempotent]
        command = "python3"
        args = ["{script}", "--exit-after-call"]
        [servers.plain]
        command = "python3"
        args = ["{script}", "--exit-after-call"]
        "#
    ))
    .unwrap();
    let server = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("caller", "0"),
        &config,
    );
    let call =
        |tool: &'static str| server.call(tool, Default::default(), None, CancellationToken::new());
    let again = call("twice_idempotent").await.unwrap();
    assert_eq!(again.is_error, Some(false), "sent again: {again:?}");

    let once = call("twice_plain").await.unwrap();
    assert_eq!(once.is_error, Some(true), "{once:?}");
    let text = &once.content[0].as_text().unwrap().text;
    assert!(
        text.contains("not sent again") && text.contains("idempotent"),
        "{text}"
    );
    assert!(!text.contains("::"), "no Rust type names: {text}");
}
