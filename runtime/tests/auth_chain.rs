//! Downstream, never token passthrough: a middle server protected by
//! `[auth]` calls a leaf server, also protected, with a token of its own
//! obtained by OAuth client credentials for the leaf's audience. The leaf
//! sees the middle server's identity, never the user's; or the user's
//! token is exchanged (RFC 8693) for one meant for the leaf. Real issuer
//! (oauth2-mock-server), real HTTP between the servers.

#[path = "support/leaf_tools.rs"]
mod leaf_tools;
mod support;

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::transport::auth::AuthConfig;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use leaf_tools::mock_model_config;
use mock_llm::{MockLlm, Reply};
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

/// A protected leaf, and the middle server (not bound yet) calling it with
/// `auth`, its `[servers.leaf.auth.*]` section (`{issuer}` stands for the
/// issuer's URL; empty: no auth), and `extra` config.
async fn chain_with(issuer: &Issuer, auth: &str, extra: &str) -> (HttpServer, AgentServer) {
    let leaf = bind(
        AgentServer::new(
            Registry::collect().unwrap(),
            ServerIdentity::new("leaf", "1"),
        ),
        issuer,
    )
    .await;
    let auth = auth.replace("{issuer}", &issuer.url);
    let config = Config::parse(&format!(
        "{extra}\n[servers.leaf]\nurl = \"http://{leaf}/mcp\"\n{auth}",
        leaf = leaf.local_addr(),
    ))
    .expect("a valid config");
    let middle = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("middle", "1"),
        &config,
    );
    (leaf, middle)
}

/// The middle server's own client credentials for the leaf.
const CLIENT_CREDENTIALS: &str = r#"
[servers.leaf.auth.client_credentials]
issuer = "{issuer}"
client_id = "middle-service"
scope = "mcp"
"#;

/// The caller's token exchanged for one meant for the leaf.
const TOKEN_EXCHANGE: &str = r#"
[servers.leaf.auth.token_exchange]
issuer = "{issuer}"
client_id = "middle-service"
"#;

/// `user`'s client of the middle server at `middle_url`, with their token.
async fn user_client(
    issuer: &Issuer,
    middle_url: &str,
    user: &str,
    era: Era,
) -> rmcp::service::RunningService<rmcp::service::RoleClient, ()> {
    let token = issuer
        .mint(json!({"aud": middle_url, "sub": user, "client_id": "user-app", "scope": "mcp"}))
        .await;
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(middle_url.to_owned()).auth_header(token),
    );
    connect(transport, era).await
}

#[tokio::test]
async fn the_middle_server_signs_in_to_the_leaf_as_itself_and_never_passes_the_users_token() {
    let issuer = Issuer::start().await;
    let (leaf, middle_server) = chain_with(&issuer, CLIENT_CREDENTIALS, "").await;
    let leaf_url = format!("http://{}/mcp", leaf.local_addr());
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
    let (_leaf, middle) = chain_with(&issuer, "", "").await;
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
    let (_leaf, middle) = chain_with(&issuer, CLIENT_CREDENTIALS, "").await;
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

#[tokio::test]
async fn the_callers_token_is_exchanged_for_one_meant_for_the_leaf_never_passed_on() {
    let issuer = Issuer::start().await;
    let (_leaf, middle_server) = chain_with(&issuer, TOKEN_EXCHANGE, "").await;
    // Without an authenticated caller there is nothing to exchange.
    let result = middle_server
        .call("ask_leaf", Default::default(), None, Default::default())
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true), "{result:?}");
    assert!(
        text(&result).contains("no authenticated caller"),
        "{}",
        text(&result)
    );
    let middle = bind(middle_server, &issuer).await;
    let middle_url = format!("http://{}/mcp", middle.local_addr());

    const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
    for (era, user) in [(Era::Legacy, "alice"), (Era::Stateless, "carol")] {
        let before = issuer.token_requests(EXCHANGE).await;
        let client = user_client(&issuer, &middle_url, user, era).await;
        for _ in 0..2 {
            let result = client
                .call_tool(CallToolRequestParams::new("ask_leaf"))
                .await
                .expect("an answer");
            assert_ne!(result.is_error, Some(true), "{era:?}: {result:?}");
            let answer: Value = serde_json::from_str(&text(&result)).unwrap();
            assert_eq!(
                answer["leaf_saw"],
                json!({"subject": user, "client": "middle-service", "scopes": ["mcp"]}),
                "{era:?}: the leaf sees the user, through a token issued to the middle server"
            );
        }
        assert_eq!(
            issuer.token_requests(EXCHANGE).await,
            before + 1,
            "{era:?}: one exchange, reused by the second call"
        );
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn a_models_toolbox_lists_the_leaf_with_the_callers_exchanged_token() {
    let issuer = Issuer::start().await;
    let mock = MockLlm::start(vec![
        Reply::tool_call("leaf__whoami", json!({}), 5, 5),
        Reply::text_with_usage("Done.", 5, 1),
    ])
    .await;
    let (_leaf, middle_server) = chain_with(
        &issuer,
        TOKEN_EXCHANGE,
        &mock_model_config(&mock.openai_url()),
    )
    .await;
    let middle = bind(middle_server, &issuer).await;
    let middle_url = format!("http://{}/mcp", middle.local_addr());
    let client = user_client(&issuer, &middle_url, "alice", Era::Stateless).await;
    let result = client
        .call_tool(CallToolRequestParams::new("leaf_tools"))
        .await
        .expect("an answer");
    // Listed as this server, the leaf refused the listing (there is no
    // caller's token to exchange when the middle connects as itself).
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    assert_eq!(text(&result), "Done.");
    let requests = mock.requests();
    let offered = requests[0].body["tools"].to_string();
    assert!(offered.contains("leaf__whoami"), "{offered}");
    let leaf_answer = requests[1].body.to_string();
    assert!(
        leaf_answer.contains("alice") && leaf_answer.contains("middle-service"),
        "the leaf saw alice through the exchanged token: {leaf_answer}"
    );
    client.cancel().await.unwrap();
}

/// The test issuer's token exchange (written in scripts/lib/oauth-issuer.mjs,
/// as oauth2-mock-server has none) answers as RFC 8693 §2.2 says.
#[tokio::test]
async fn the_test_issuers_token_exchange_answers_as_rfc_8693_says() {
    let issuer = Issuer::start().await;
    let exchange = |pairs: Vec<(&'static str, String)>| {
        let url = format!("{}/token", issuer.loopback());
        async move {
            let mut form = vec![(
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange".to_owned(),
            )];
            form.extend(pairs);
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            let answer = reqwest::Client::new()
                .post(url)
                .basic_auth("middle-service", Some("secret"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            (status, answer.json::<Value>().await.unwrap())
        }
    };
    let alice = issuer
        .mint(json!({"aud": "http://middle", "sub": "alice", "scope": "mcp"}))
        .await;
    let access = "urn:ietf:params:oauth:token-type:access_token".to_owned();

    let (status, answer) = exchange(vec![
        ("subject_token", alice.clone()),
        ("subject_token_type", access.clone()),
        ("resource", "http://leaf/mcp".to_owned()),
    ])
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["issued_token_type"], access);
    assert_eq!(answer["token_type"], "Bearer");
    let token = answer["access_token"].as_str().unwrap();
    let payload: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["sub"], "alice");
    assert_eq!(payload["aud"], "http://leaf/mcp");
    assert_eq!(payload["act"], json!({"sub": "middle-service"}));
    assert_eq!(payload["scope"], "mcp");

    let forged = issuer
        .mint_with(json!({"claims": {"sub": "alice"}, "key": "stranger"}))
        .await;
    for (pairs, error) in [
        (
            vec![
                ("subject_token", forged),
                ("subject_token_type", access.clone()),
                ("resource", "http://leaf/mcp".to_owned()),
            ],
            "invalid_request",
        ),
        (
            vec![("resource", "http://leaf/mcp".to_owned())],
            "invalid_request",
        ),
        (
            vec![
                ("subject_token", alice.clone()),
                ("subject_token_type", access.clone()),
            ],
            "invalid_target",
        ),
    ] {
        let (status, answer) = exchange(pairs).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(error)),
            "{answer}"
        );
    }
}
