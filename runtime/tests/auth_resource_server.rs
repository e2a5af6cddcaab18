//! Streamable HTTP as an OAuth 2.1 resource server, against a real issuer
//! (npm oauth2-mock-server, see support/issuer.rs): the Protected Resource
//! Metadata, the 401 challenge for every kind of bad token, JWKS refetch on
//! a new key (rate-limited), scopes, introspection, and a real MCP client
//! calling through with a good token.

mod support;

use agentwire::prelude::*;
use agentwire::transport::auth::AuthConfig;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use reqwest::StatusCode;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use support::issuer::Issuer;
use support::{ERAS, connect, text};

/// Repeats its text.
#[agent]
async fn echo(text: String) -> String {
    text
}

/// Files a report: only for tokens granted `reports:write`.
#[agent(scopes = ["reports:write"])]
async fn file_report(title: String) -> String {
    format!("filed {title}")
}

/// A prompt only for `prompts:secret`.
#[prompt(scopes = ["prompts:secret"])]
async fn secret_prompt() -> String {
    "psst".to_owned()
}

/// A resource only for `reports:read`.
#[resource(uri = "reports://latest", scopes = ["reports:read"])]
async fn latest_report() -> String {
    "all good".to_owned()
}

async fn start(config: AuthConfig) -> HttpServer {
    let registry = Registry::collect().expect("agents are registered");
    let server = AgentServer::new(registry, ServerIdentity::new("auth-test", "1.0.0"));
    let options = HttpOptions {
        auth: Some(config),
        ..HttpOptions::default()
    };
    HttpServer::bind(server, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .expect("bind a free loopback port")
}

fn resource(server: &HttpServer) -> String {
    format!("http://{}/mcp", server.local_addr())
}

fn metadata_url(server: &HttpServer) -> String {
    format!(
        "http://{}/.well-known/oauth-protected-resource/mcp",
        server.local_addr()
    )
}

/// What the server answered a POST of `method` (2026 era) with `authorization`.
async fn post(
    server: &HttpServer,
    authorization: Option<&str>,
    method: &str,
    params: Value,
) -> Answer {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"}
    });
    let mut request = reqwest::Client::new()
        .post(resource(server))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method)
        .body(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string());
    let name = params.get("name").or_else(|| params.get("uri"));
    if let Some(name) = name.and_then(Value::as_str) {
        request = request.header("mcp-name", name);
    }
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let response = request.send().await.expect("the server answers");
    Answer {
        status: response.status(),
        challenge: response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
        body: response.text().await.unwrap_or_default(),
    }
}

/// What the server answered a POST of `tools/list` (2026 era) with `token`.
struct Answer {
    status: StatusCode,
    challenge: String,
    body: String,
}

async fn list_tools(server: &HttpServer, authorization: Option<&str>) -> Answer {
    let mut request = reqwest::Client::new()
        .post(resource(server))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/list")
        .body(
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {
                "_meta": {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {},
                    "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"}
                }
            }})
            .to_string(),
        );
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let response = request.send().await.expect("the server answers");
    Answer {
        status: response.status(),
        challenge: response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
        body: response.text().await.unwrap_or_default(),
    }
}

async fn with_token(server: &HttpServer, token: &str) -> Answer {
    list_tools(server, Some(&format!("Bearer {token}"))).await
}

fn assert_invalid_token(answer: &Answer, server: &HttpServer, why: &str, case: &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "{case}: {}",
        answer.body
    );
    let expected = format!("Bearer resource_metadata=\"{}\"", metadata_url(server));
    assert!(
        answer.challenge.starts_with(&expected),
        "{case}: {}",
        answer.challenge
    );
    assert!(
        answer.challenge.contains("error=\"invalid_token\""),
        "{case}: {}",
        answer.challenge
    );
    assert!(
        answer.challenge.contains(why),
        "{case}: {}",
        answer.challenge
    );
}

fn good_claims(server: &HttpServer) -> Value {
    json!({"aud": resource(server), "sub": "alice", "client_id": "cli", "scope": "mcp"})
}

#[tokio::test]
async fn the_protected_resource_metadata_names_the_issuer_on_both_paths() {
    let issuer = Issuer::start().await;
    let mut config = AuthConfig::new(&issuer.url);
    config.scopes = vec!["mcp".into()];
    let server = start(config).await;
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let document: Value = reqwest::get(format!("http://{}{path}", server.local_addr()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(document["resource"], resource(&server), "{path}");
        assert_eq!(
            document["authorization_servers"],
            json!([issuer.url]),
            "{path}"
        );
        assert_eq!(
            document["scopes_supported"],
            json!(["mcp", "prompts:secret", "reports:read", "reports:write"]),
            "{path}: the server's scopes, then every tool's, prompt's and resource's"
        );
        assert_eq!(
            document["bearer_methods_supported"],
            json!(["header"]),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_request_without_a_token_gets_the_challenge_with_metadata_and_scope() {
    let issuer = Issuer::start().await;
    let mut config = AuthConfig::new(&issuer.url);
    config.scopes = vec!["mcp".into()];
    let server = start(config).await;
    let answer = list_tools(&server, None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.challenge,
        format!(
            "Bearer resource_metadata=\"{}\", scope=\"mcp\"",
            metadata_url(&server)
        )
    );
    for malformed in ["Bearer", "Bearer a b", "Bearer <script>"] {
        let answer = list_tools(&server, Some(malformed)).await;
        assert_invalid_token(&answer, &server, "malformed", malformed);
    }
    // Not a bearer token at all: as good as none.
    let basic = list_tools(&server, Some("Basic YTpi")).await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
    assert!(!basic.challenge.contains("error="), "{}", basic.challenge);
}

#[tokio::test]
async fn every_kind_of_bad_token_is_refused_with_invalid_token() {
    let issuer = Issuer::start().await;
    let server = start(AuthConfig::new(&issuer.url)).await;
    let good = good_claims(&server);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let with = |patch: Value| {
        let mut claims = good.clone();
        claims
            .as_object_mut()
            .unwrap()
            .extend(patch.as_object().unwrap().clone());
        claims
    };
    let cases = [
        (
            "expired",
            json!({"claims": with(json!({"exp": now - 120}))}),
            "expired",
        ),
        (
            "not yet valid",
            json!({"claims": with(json!({"nbf": now + 600}))}),
            "not valid yet",
        ),
        (
            "wrong audience",
            json!({"claims": with(json!({"aud": "http://127.0.0.1:1/mcp"}))}),
            "(aud)",
        ),
        (
            "no audience",
            json!({"claims": with(json!({"aud": null}))}),
            "aud",
        ),
        (
            "wrong issuer",
            json!({"claims": with(json!({"iss": "http://localhost:1"}))}),
            "(iss)",
        ),
        (
            "bad signature",
            json!({"claims": good, "key": "stranger"}),
            "signature",
        ),
        ("alg none", json!({"claims": good, "key": "none"}), "header"),
        (
            "algorithm confusion (HS256 keyed by the public key)",
            json!({"claims": good, "key": "hs256"}),
            "HS256",
        ),
        (
            "unknown kid",
            json!({"claims": good, "key": "stranger", "header": {"kid": "nobody-knows"}}),
            "does not publish",
        ),
    ];
    for (case, request, why) in cases {
        let token = issuer.mint_with(request).await;
        let answer = with_token(&server, &token).await;
        assert_invalid_token(&answer, &server, why, case);
    }
    // Within the leeway (30 s by default), a token just expired still passes.
    let just_expired = issuer.mint(with(json!({"exp": now - 5}))).await;
    let answer = with_token(&server, &just_expired).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let fine = issuer.mint(good).await;
    let answer = with_token(&server, &fine).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.body.contains("echo"), "{}", answer.body);
}

#[tokio::test]
async fn a_token_lacking_the_servers_scope_gets_403_insufficient_scope() {
    let issuer = Issuer::start().await;
    let mut config = AuthConfig::new(&issuer.url);
    config.scopes = vec!["mcp".into(), "reports:read".into()];
    let server = start(config).await;
    let token = issuer.mint(good_claims(&server)).await;
    let answer = with_token(&server, &token).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        answer.challenge.contains("error=\"insufficient_scope\""),
        "{}",
        answer.challenge
    );
    assert!(
        answer.challenge.contains("scope=\"mcp reports:read\""),
        "{}",
        answer.challenge
    );
    let mut claims = good_claims(&server);
    claims["scope"] = json!("mcp reports:read");
    let enough = issuer.mint(claims).await;
    assert_eq!(with_token(&server, &enough).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_new_signing_key_is_fetched_once_and_forged_kids_cannot_hammer_the_issuer() {
    let issuer = Issuer::start().await;
    let mut config = AuthConfig::new(&issuer.url);
    config.jwks_refetch = Some("1s".into());
    let server = start(config).await;
    let first = issuer.mint(good_claims(&server)).await;
    assert_eq!(with_token(&server, &first).await.status, StatusCode::OK);
    assert_eq!(issuer.jwks_fetches().await, 1);

    issuer.rotate("issuer-key-2").await;
    let rotated = issuer
        .mint_with(json!({"claims": good_claims(&server), "header": {"kid": "issuer-key-2"}}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let answer = with_token(&server, &rotated).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(issuer.jwks_fetches().await, 2);

    // A burst of unknown kids right after: refused without a fetch each.
    for i in 0..5 {
        let forged = issuer
            .mint_with(json!({"claims": good_claims(&server), "key": "stranger", "header": {"kid": format!("forged-{i}")}}))
            .await;
        assert_eq!(
            with_token(&server, &forged).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(issuer.jwks_fetches().await, 2);
}

#[tokio::test]
async fn tokens_only_count_in_the_authorization_header() {
    let issuer = Issuer::start().await;
    let server = start(AuthConfig::new(&issuer.url)).await;
    let token = issuer.mint(good_claims(&server)).await;
    let response = reqwest::Client::new()
        .post(format!("{}?access_token={token}", resource(&server)))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("error=\"invalid_request\""),
        "{challenge}"
    );
}

#[tokio::test]
async fn opaque_tokens_are_checked_by_introspection() {
    let issuer = Issuer::start().await;
    let config: AuthConfig = toml::from_str(&format!(
        "issuer = \"{}\"\n[introspection]\nclient_id = \"the-mcp-server\"",
        issuer.url
    ))
    .unwrap();
    config.check().unwrap();
    let server = start(config).await;
    issuer
        .set_introspection(
            "opaque-good",
            json!({"active": true, "sub": "carol", "scope": "mcp", "aud": resource(&server), "iss": issuer.url}),
        )
        .await;
    issuer
        .set_introspection(
            "opaque-elsewhere",
            json!({"active": true, "sub": "carol", "aud": "https://other.example/mcp"}),
        )
        .await;
    assert_eq!(
        with_token(&server, "opaque-good").await.status,
        StatusCode::OK
    );
    let inactive = with_token(&server, "opaque-unknown").await;
    assert_invalid_token(&inactive, &server, "not active", "inactive");
    let elsewhere = with_token(&server, "opaque-elsewhere").await;
    assert_invalid_token(&elsewhere, &server, "(aud)", "another audience");
}

#[tokio::test]
async fn rmcp_clients_with_a_client_credentials_token_call_through_in_both_eras() {
    let issuer = Issuer::start().await;
    let server = start(AuthConfig::new(&issuer.url)).await;
    let token = issuer
        .client_credentials("reporting-bot", "mcp", &resource(&server))
        .await;
    for era in ERAS {
        let transport = StreamableHttpClientTransport::from_config(
            StreamableHttpClientTransportConfig::with_uri(resource(&server))
                .auth_header(token.clone()),
        );
        let client = connect(transport, era).await;
        let result = client
            .call_tool(
                rmcp::model::CallToolRequestParams::new("echo")
                    .with_arguments(json!({"text": "hi"}).as_object().unwrap().clone()),
            )
            .await
            .expect("the call goes through");
        assert_eq!(text(&result), "hi", "{era:?}");
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn a_tool_prompt_or_resource_needing_a_scope_the_token_lacks_gets_the_step_up_answer() {
    let issuer = Issuer::start().await;
    let mut config = AuthConfig::new(&issuer.url);
    config.scopes = vec!["mcp".into()];
    let server = start(config).await;
    let token_with = |scope: &'static str| {
        let mut claims = good_claims(&server);
        claims["scope"] = json!(scope);
        let issuer = &issuer;
        async move { format!("Bearer {}", issuer.mint(claims).await) }
    };
    let plain = token_with("mcp").await;
    let cases = [
        (
            "tools/call",
            json!({"name": "file_report", "arguments": {"title": "q3"}}),
            "reports:write",
        ),
        (
            "prompts/get",
            json!({"name": "secret_prompt"}),
            "prompts:secret",
        ),
        (
            "resources/read",
            json!({"uri": "reports://latest"}),
            "reports:read",
        ),
    ];
    for (method, params, scope) in cases {
        let answer = post(&server, Some(&plain), method, params.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{method}: {}",
            answer.body
        );
        assert!(
            answer.challenge.contains("error=\"insufficient_scope\""),
            "{method}: {}",
            answer.challenge
        );
        assert!(
            answer.challenge.contains(&format!("scope=\"mcp {scope}\"")),
            "{method}: {}",
            answer.challenge
        );
        let stepped_up = token_with(match scope {
            "reports:write" => "mcp reports:write",
            "prompts:secret" => "mcp prompts:secret",
            _ => "mcp reports:read",
        })
        .await;
        let answer = post(&server, Some(&stepped_up), method, params).await;
        assert_eq!(answer.status, StatusCode::OK, "{method}: {}", answer.body);
        assert!(
            !answer.body.contains("\"error\""),
            "{method}: {}",
            answer.body
        );
    }
    // A tool that needs no scope of its own is open to the plain token.
    let answer = post(
        &server,
        Some(&plain),
        "tools/call",
        json!({"name": "echo", "arguments": {"text": "hi"}}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn an_issuer_that_cannot_be_reached_is_a_503_not_a_401() {
    // Port 1 on loopback: nothing listens there.
    let server = start(AuthConfig::new("http://localhost:1")).await;
    let issuer = Issuer::start().await;
    let token = issuer
        .mint(json!({"aud": resource(&server), "sub": "alice"}))
        .await;
    let answer = with_token(&server, &token).await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("temporarily_unavailable"),
        "{}",
        answer.body
    );
}
