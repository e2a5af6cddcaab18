//! Budgets per caller: `[auth.quotas]` charges every call of an
//! authenticated caller to its quotas (per principal, or shared by a
//! scope), narrows each call to what is left, refuses a caller over quota
//! with `budget_exceeded` naming the quota, and keeps the usage in a file
//! that survives a restart. Real issuer, real HTTP.

mod support;

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use support::issuer::Issuer;
use support::{Era, connect};

/// Uses 60 tokens and a tenth of a cent.
#[agent]
async fn spend(ctx: &AgentContext) -> Result<String, BudgetExceeded> {
    ctx.charge(Usage::model(30, 30, 1_000))?;
    Ok("spent".to_owned())
}

async fn serve(config: &Config) -> HttpServer {
    let server = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("quota-test", "1"),
        config,
    );
    let options = HttpOptions {
        auth: config.auth.clone(),
        ..HttpOptions::default()
    };
    HttpServer::bind(server, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap()
}

async fn spend_as(
    issuer: &Issuer,
    server: &HttpServer,
    subject: &str,
    scope: &str,
) -> CallToolResult {
    let url = format!("http://{}/mcp", server.local_addr());
    let token = issuer
        .mint(json!({"aud": url, "sub": subject, "scope": scope}))
        .await;
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(url).auth_header(token),
    );
    let client = connect(transport, Era::Stateless).await;
    let result = client
        .call_tool(CallToolRequestParams::new("spend"))
        .await
        .expect("an answer");
    client.cancel().await.unwrap();
    result
}

fn error_of(result: &CallToolResult) -> Value {
    result
        .meta
        .as_ref()
        .and_then(|meta| meta.get("dev.agentwire/error"))
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn each_caller_is_held_to_its_quotas_across_a_restart() {
    let issuer = Issuer::start().await;
    let dir = std::env::temp_dir().join(format!("agentwire-quotas-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("quotas.db");
    let _ = std::fs::remove_file(&file);
    let config = Config::parse(&format!(
        r#"
        [auth]
        issuer = "{issuer}"
        quota_file = "{file}"
        [auth.quotas.daily]
        window = "24h"
        tokens = 100
        cost = "$5"
        [auth.quotas.hourly_calls]
        window = "1h"
        calls = 2
        [auth.quotas.writers]
        scope = "reports:write"
        window = "1h"
        calls = 1
        "#,
        issuer = issuer.url,
        file = file.display(),
    ))
    .expect("a valid config");
    let server = serve(&config).await;

    // 60 of alice's 100 tokens.
    let first = spend_as(&issuer, &server, "alice", "mcp").await;
    assert_ne!(first.is_error, Some(true), "{first:?}");
    // 40 left: the call is narrowed to them, and its charge of 60 refused.
    let second = spend_as(&issuer, &server, "alice", "mcp").await;
    assert_eq!(second.is_error, Some(true), "{second:?}");
    assert_eq!(error_of(&second)["dimension"], "tokens", "{second:?}");
    // Two calls an hour: the third is refused before it starts, naming the quota.
    let third = spend_as(&issuer, &server, "alice", "mcp").await;
    assert_eq!(third.is_error, Some(true));
    let error = error_of(&third);
    assert_eq!(error["kind"], "budget_exceeded", "{error}");
    assert_eq!(error["quota"], "hourly_calls", "{error}");
    assert_eq!(error["dimension"], "calls", "{error}");
    let text = third.content[0].as_text().unwrap().text.clone();
    assert!(text.contains("quota `hourly_calls`"), "{text}");

    // Bob has quotas of his own.
    let bob = spend_as(&issuer, &server, "bob", "mcp").await;
    assert_ne!(bob.is_error, Some(true), "{bob:?}");

    // A scope's quota is shared by everyone granted the scope.
    let carol = spend_as(&issuer, &server, "carol", "mcp reports:write").await;
    assert_ne!(carol.is_error, Some(true), "{carol:?}");
    let dave = spend_as(&issuer, &server, "dave", "mcp reports:write").await;
    assert_eq!(error_of(&dave)["quota"], "writers", "{dave:?}");

    // A restart keeps the usage.
    server.shutdown().await.unwrap();
    let again = serve(&config).await;
    let after_restart = spend_as(&issuer, &again, "alice", "mcp").await;
    assert_eq!(
        error_of(&after_restart)["quota"],
        "hourly_calls",
        "{after_restart:?}"
    );
    // Bob's 60 tokens of the day were kept too: 40 are left.
    let bob_again = spend_as(&issuer, &again, "bob", "mcp").await;
    let error = error_of(&bob_again);
    assert_eq!(
        (error["dimension"].clone(), error["limit"].clone()),
        (json!("tokens"), json!(40)),
        "{error}"
    );
    again.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

/// The tables of the SQLite file `file`.
fn tables(file: &std::path::Path) -> Vec<String> {
    let connection = rusqlite::Connection::open(file).unwrap();
    let mut statement = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn quotas_are_kept_in_the_workflow_journal_by_default_across_a_restart() {
    let issuer = Issuer::start().await;
    let dir = std::env::temp_dir().join(format!("agentwire-quota-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("quota-test.journal");
    let config = Config::parse(&format!(
        r#"
        [workflows]
        journal = "{journal}"
        [auth]
        issuer = "{issuer}"
        [auth.quotas.hourly_calls]
        window = "1h"
        calls = 1
        "#,
        issuer = issuer.url,
        journal = journal.display(),
    ))
    .expect("a valid config");
    // As `serve` starts: the journal opened first, then the server over it.
    let serve_on_journal = || async {
        let settings = config.workflows.resolve();
        let store = settings
            .open_store("quota-test")
            .expect("the journal opens");
        let server = AgentServer::with_workflow_store(
            Registry::collect().unwrap(),
            ServerIdentity::new("quota-test", "1"),
            &config,
            store,
            &settings,
        );
        let options = HttpOptions {
            auth: config.auth.clone(),
            ..HttpOptions::default()
        };
        HttpServer::bind(server, "127.0.0.1:0".parse().unwrap(), options)
            .await
            .unwrap()
    };
    let server = serve_on_journal().await;
    let first = spend_as(&issuer, &server, "alice", "mcp").await;
    assert_ne!(first.is_error, Some(true), "{first:?}");
    let second = spend_as(&issuer, &server, "alice", "mcp").await;
    assert_eq!(error_of(&second)["quota"], "hourly_calls", "{second:?}");
    server.shutdown().await.unwrap();
    let in_journal = tables(&journal);
    assert!(
        in_journal.contains(&"quota_usage".to_owned()) && in_journal.contains(&"runs".to_owned()),
        "quotas and runs share the journal: {in_journal:?}"
    );
    assert!(!dir.join("agentwire-quotas.db").exists());

    // After a restart the journal still opens, and alice's call is still counted.
    let again = serve_on_journal().await;
    let after_restart = spend_as(&issuer, &again, "alice", "mcp").await;
    assert_eq!(
        error_of(&after_restart)["quota"],
        "hourly_calls",
        "{after_restart:?}"
    );
    again.shutdown().await.unwrap();

    // Quotas that made the file first (a server whose runs stay in memory)
    // do not stop it from becoming a journal later.
    let fresh = dir.join("fresh.journal");
    let memory_config = Config::parse(&format!(
        "[workflows]\njournal = \"{}\"\n[auth]\nissuer = \"{}\"\n[auth.quotas.q]\nwindow = \"1h\"\ncalls = 5",
        fresh.display(),
        issuer.url
    ))
    .unwrap();
    let server = serve(&memory_config).await;
    let spent = spend_as(&issuer, &server, "alice", "mcp").await;
    assert_ne!(spent.is_error, Some(true), "{spent:?}");
    server.shutdown().await.unwrap();
    assert_eq!(tables(&fresh), ["quota_usage"]);
    memory_config
        .workflows
        .resolve()
        .open_store("quota-test")
        .expect("a file holding only quotas becomes a journal");
    std::fs::remove_dir_all(&dir).unwrap();
}
