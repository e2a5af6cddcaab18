//! Streamable HTTP hardening: Host and Origin outside loopback are refused
//! by default (DNS rebinding), the allow-lists open exactly what they name,
//! and one session can have several SSE streams open at once.

use std::time::Duration;

use agentwire::prelude::*;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Waits, reporting progress, then answers.
#[agent]
async fn slow(ctx: &AgentContext, millis: u64) -> String {
    ctx.progress(0.0, Some(1.0), None).await;
    tokio::time::sleep(Duration::from_millis(millis)).await;
    format!("waited {millis} ms")
}

async fn start(options: HttpOptions) -> HttpServer {
    let registry = Registry::collect().expect("agents are registered");
    let server = AgentServer::new(registry, ServerIdentity::new("hardening-test", "1.0.0"));
    HttpServer::bind(server, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .expect("bind a free loopback port")
}

fn initialize() -> String {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "hardening-test", "version": "1.0.0"}
        }
    })
    .to_string()
}

/// POSTs `initialize` with the given Host and Origin headers; returns the status.
async fn post_with(server: &HttpServer, host: Option<&str>, origin: Option<&str>) -> StatusCode {
    let mut request = reqwest::Client::new()
        .post(format!("http://{}/mcp", server.local_addr()))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(initialize());
    if let Some(host) = host {
        request = request.header("host", host);
    }
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.send().await.expect("the server answers").status()
}

#[tokio::test]
async fn by_default_only_loopback_hosts_and_origins_get_in() {
    let server = start(HttpOptions::default()).await;
    let port = server.local_addr().port();
    let own = format!("127.0.0.1:{port}");
    let localhost = format!("localhost:{port}");

    assert_eq!(post_with(&server, None, None).await, StatusCode::OK);
    assert_eq!(
        post_with(&server, Some(&localhost), None).await,
        StatusCode::OK
    );
    assert_eq!(
        post_with(&server, Some(&own), Some(&format!("http://{own}"))).await,
        StatusCode::OK
    );
    assert_eq!(
        post_with(&server, Some(&own), Some("http://localhost:6274")).await,
        StatusCode::OK,
        "a page on this machine (the Inspector's UI) may connect"
    );

    // A rebinding attack: the browser sends the attacker's name as Host and Origin.
    assert_eq!(
        post_with(
            &server,
            Some("evil.example.com"),
            Some("http://evil.example.com")
        )
        .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_with(&server, Some(&format!("evil.example.com:{port}")), None).await,
        StatusCode::FORBIDDEN
    );
    // The right Host from a foreign page.
    assert_eq!(
        post_with(&server, Some(&own), Some("https://evil.example.com")).await,
        StatusCode::FORBIDDEN
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn allow_lists_replace_loopback_and_a_star_opens_everything() {
    let options = HttpOptions {
        allowed_hosts: Some(vec!["mcp.example.com".to_owned()]),
        allowed_origins: Some(vec!["https://app.example.com:*".to_owned()]),
        ..HttpOptions::default()
    };
    let server = start(options).await;
    assert_eq!(
        post_with(
            &server,
            Some("mcp.example.com"),
            Some("https://app.example.com:8443")
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        post_with(&server, Some("mcp.example.com:443"), None).await,
        StatusCode::OK,
        "a host without a port allows any port"
    );
    assert_eq!(
        post_with(
            &server,
            Some("mcp.example.com"),
            Some("http://localhost:3000")
        )
        .await,
        StatusCode::FORBIDDEN,
        "the list replaces the loopback origins"
    );
    let own = server.local_addr().to_string();
    assert_eq!(
        post_with(&server, Some(&own), None).await,
        StatusCode::FORBIDDEN
    );
    server.shutdown().await.unwrap();

    let open = HttpOptions {
        allowed_hosts: Some(vec!["*".to_owned()]),
        allowed_origins: Some(vec!["*".to_owned()]),
        ..HttpOptions::default()
    };
    let server = start(open).await;
    assert_eq!(
        post_with(
            &server,
            Some("anything.example"),
            Some("https://anywhere.example")
        )
        .await,
        StatusCode::OK
    );
    server.shutdown().await.unwrap();

    let closed = HttpOptions {
        allowed_origins: Some(Vec::new()),
        ..HttpOptions::default()
    };
    let server = start(closed).await;
    assert_eq!(
        post_with(&server, None, Some("http://localhost:3000")).await,
        StatusCode::FORBIDDEN,
        "an empty origin list refuses every browser"
    );
    assert_eq!(post_with(&server, None, None).await, StatusCode::OK);
    server.shutdown().await.unwrap();
}

/// The JSON-RPC messages of an SSE body.
fn sse_messages(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str(data.trim()).ok())
        .collect()
}

#[tokio::test]
async fn a_session_streams_several_answers_at_once_beside_its_get_stream() {
    let server = start(HttpOptions::default()).await;
    let url = format!("http://{}/mcp", server.local_addr());
    let http = reqwest::Client::new();
    let initialized = http
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(initialize())
        .send()
        .await
        .unwrap();
    assert_eq!(initialized.status(), StatusCode::OK);
    let session = initialized
        .headers()
        .get("mcp-session-id")
        .expect("a session id")
        .to_str()
        .unwrap()
        .to_owned();
    let _ = initialized.text().await;
    let post = |body: String| {
        http.post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-11-25")
            .body(body)
            .send()
    };
    let notified =
        post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string())
            .await
            .unwrap();
    assert!(notified.status().is_success());

    // The standalone stream for server-initiated messages stays open...
    let get = http
        .get(&url)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::OK);

    // ...while three calls stream their answers concurrently.
    let calls = (0..3).map(|i| {
        post(
            json!({
                "jsonrpc": "2.0", "id": 10 + i, "method": "tools/call",
                "params": {"name": "slow", "arguments": {"millis": 300}, "_meta": {"progressToken": i}}
            })
            .to_string(),
        )
    });
    let started = std::time::Instant::now();
    let responses = futures::future::join_all(calls).await;
    let mut answered = Vec::new();
    for response in responses {
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        let messages = sse_messages(&response.text().await.unwrap());
        let progress = messages
            .iter()
            .filter(|m| m["method"] == "notifications/progress")
            .count();
        assert_eq!(
            progress, 1,
            "each stream carries its own progress: {messages:?}"
        );
        let result = messages
            .iter()
            .find(|m| m.get("result").is_some())
            .expect("a result");
        assert_eq!(result["result"]["content"][0]["text"], "waited 300 ms");
        answered.push(result["id"].as_i64().unwrap());
    }
    answered.sort();
    assert_eq!(answered, [10, 11, 12]);
    assert!(
        started.elapsed() < Duration::from_millis(2000),
        "the calls ran concurrently ({:?})",
        started.elapsed()
    );
    drop(get);
    server.shutdown().await.unwrap();
}
