//! Downstream, never token passthrough: a middle server protected by
//! `[auth]` calls a leaf server, also protected, with a token of its own
//! obtained by OAuth client credentials for the leaf's audience. The leaf
//! sees the middle server's identity, never the user's. Real issuer
//! (oauth2-mock-server), real HTTP between the servers.

mod support;

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::transport::auth::AuthConfig;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use support::issuer::Issuer;
use support::{Era, connect, text};

/// Says who called, and for which audience the token was.
#[agent]
async fn whoami(ctx: &AgentContext) -> Value {
    match ctx.principal() {
        Some(p) => json!({"subject": p.subject, "client": p.client_id, "scopes": p.scopes}),
        None => Value::Null,
    }
}

/// `whoami` on the leaf server.
#[agent(remote = "leaf", name = "whoami")]
async fn leaf_whoami() -> Value;

/// Asks the leaf who it thinks is calling, and says who called here.
#[agent(calls = [leaf_whoami])]
async fn ask_leaf(ctx: &AgentContext) -> Result<Value, CallError> {
    let leaf_saw = leaf_whoami::call(ctx).await?;
    let here = ctx.principal().map(|p| p.subject.clone());
    Ok(json!({"leaf_saw": leaf_saw, "middle_saw": here}))
}

async fn bind(server: AgentServer, issuer: &Issuer) -> HttpServer {
    let options = HttpOptions {
        auth: Some(AuthConfig::new(&issuer.url)),
        ..HttpOptions::default()
    };
    HttpServer::bind(server, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .expect("bind")
}

#[tokio::test]
async fn the_middle_server_signs_in_to_the_leaf_as_itself_and_never_passes_the_users_token() {
    let issuer = Issuer::start().await;
    let leaf = bind(
        AgentServer::new(
            Registry::collect().unwrap(),
            ServerIdentity::new("leaf", "1"),
        ),
        &issuer,
    )
    .await;
    let leaf_url = format!("http://{}/mcp", leaf.local_addr());
    let config = Config::parse(&format!(
        r#"
        [servers.leaf]
        url = "{leaf_url}"
        [servers.leaf.auth.client_credentials]
        issuer = "{issuer}"
        client_id = "middle-service"
        scope = "mcp"
        "#,
        issuer = issuer.url,
    ))
    .expect("a valid config");
    let middle_server = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("middle", "1"),
        &config,
    );
    let middle = bind(middle_server, &issuer).await;
    let middle_url = format!("http://{}/mcp", middle.local_addr());

    let alice = issuer
        .mint(json!({"aud": middle_url, "sub": "alice", "client_id": "alice-app", "scope": "mcp"}))
        .await;
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(middle_url.clone())
            .auth_header(alice.clone()),
    );
    let client = connect(transport, Era::Stateless).await;
    let result = client
        .call_tool(CallToolRequestParams::new("ask_leaf"))
        .await
        .expect("an answer");
    assert_ne!(result.is_error, Some(true), "{result:?}");
    let answer: Value = serde_json::from_str(&text(&result)).unwrap();
    assert_eq!(answer["middle_saw"], "alice");
    assert_eq!(
        answer["leaf_saw"],
        json!({"subject": "middle-service", "client": "middle-service", "scopes": ["mcp"]}),
        "the leaf sees the middle server, never alice"
    );

    // Alice's own token, meant for the middle server, is no good at the leaf.
    let status = reqwest::Client::new()
        .post(&leaf_url)
        .header("authorization", format!("Bearer {alice}"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body("{}")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_protected_leaf_refuses_a_middle_server_without_downstream_auth() {
    let issuer = Issuer::start().await;
    let leaf = bind(
        AgentServer::new(
            Registry::collect().unwrap(),
            ServerIdentity::new("leaf", "1"),
        ),
        &issuer,
    )
    .await;
    let config = Config::parse(&format!(
        "[servers.leaf]\nurl = \"http://{}/mcp\"",
        leaf.local_addr()
    ))
    .unwrap();
    let middle = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("middle", "1"),
        &config,
    );
    let result = middle
        .call("ask_leaf", Default::default(), None, Default::default())
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true), "{result:?}");
}

#[tokio::test]
async fn the_middle_servers_own_token_is_renewed_before_it_expires() {
    let issuer = Issuer::start().await;
    // Every token lives 2 s: the middle server renews its own after 1 s.
    issuer.set_token_lifetime(2).await;
    let leaf = bind(
        AgentServer::new(
            Registry::collect().unwrap(),
            ServerIdentity::new("leaf", "1"),
        ),
        &issuer,
    )
    .await;
    let config = Config::parse(&format!(
        r#"
        [servers.leaf]
        url = "http://{leaf}/mcp"
        [servers.leaf.auth.client_credentials]
        issuer = "{issuer}"
        client_id = "middle-service"
        scope = "mcp"
        "#,
        leaf = leaf.local_addr(),
        issuer = issuer.url,
    ))
    .unwrap();
    let middle = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("middle", "1"),
        &config,
    );
    let ask = || async {
        let result = middle
            .call("ask_leaf", Default::default(), None, Default::default())
            .await
            .unwrap();
        assert_ne!(result.is_error, Some(true), "{result:?}");
        let answer: Value = serde_json::from_str(&text(&result)).unwrap();
        assert_eq!(answer["leaf_saw"]["subject"], "middle-service");
    };
    ask().await;
    ask().await;
    assert_eq!(
        issuer.token_requests("client_credentials").await,
        1,
        "a token still good is reused"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    ask().await;
    assert_eq!(
        issuer.token_requests("client_credentials").await,
        2,
        "a token about to expire is replaced before the call"
    );
}
