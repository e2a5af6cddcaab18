//! Who called, on the SERVER span: `enduser.id` (the token's `sub`) and
//! `oauth.client.id`, captured in memory through the same OpenTelemetry
//! layer a server exports with; the scopes stay out of traces. Real issuer,
//! real HTTP, both protocol eras.

mod support;

use agentwire::prelude::*;
use agentwire::testing::Capture;
use agentwire::transport::auth::AuthConfig;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::json;
use support::issuer::Issuer;
use support::{ERAS, connect};

/// Answers.
#[agent]
async fn ping() -> String {
    "pong".to_owned()
}

#[tokio::test]
async fn the_server_span_names_the_caller_and_its_client() {
    let capture = Capture::start();
    let issuer = Issuer::start().await;
    let server = HttpServer::bind(
        AgentServer::new(
            Registry::collect().unwrap(),
            ServerIdentity::new("spans", "1"),
        ),
        "127.0.0.1:0".parse().unwrap(),
        HttpOptions {
            auth: Some(AuthConfig::new(&issuer.url)),
            ..HttpOptions::default()
        },
    )
    .await
    .unwrap();
    let url = format!("http://{}/mcp", server.local_addr());
    for era in ERAS {
        let subject = format!("alice-{era:?}");
        let token = issuer
            .mint(json!({"aud": url, "sub": subject, "client_id": "alice-app", "scope": "mcp secret:scope"}))
            .await;
        let transport = StreamableHttpClientTransport::from_config(
            StreamableHttpClientTransportConfig::with_uri(url.clone()).auth_header(token),
        );
        let client = connect(transport, era).await;
        let result = client
            .call_tool(CallToolRequestParams::new("ping"))
            .await
            .unwrap();
        assert_ne!(result.is_error, Some(true), "{result:?}");
        client.cancel().await.unwrap();

        let spans = capture.spans_named("tools/call ping");
        let served = spans
            .iter()
            .find(|s| s.attribute("enduser.id") == Some(subject.as_str()))
            .unwrap_or_else(|| panic!("{era:?}: no SERVER span names {subject}: {spans:?}"));
        assert_eq!(served.kind, "server");
        assert_eq!(served.attribute("oauth.client.id"), Some("alice-app"));
        assert!(
            served
                .attributes
                .values()
                .all(|v| !v.contains("secret:scope")),
            "scopes stay out of traces: {served:?}"
        );
    }
    server.shutdown().await.unwrap();
}
