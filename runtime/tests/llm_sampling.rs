//! The `sampling` provider: an agent's model call becomes
//! `sampling/createMessage` to the MCP client that called it (a 2025-11-25
//! session) or an input-required round trip (2026-07-28), charged an
//! estimate since sampling reports no usage; clients that cannot sample get a
//! clear error.

#![allow(deprecated)] // Sampling is deprecated by SEP-2577, still part of 2025-11-25.

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig,
    CreateMessageRequestParams, CreateMessageResult, Implementation, ProtocolVersion,
    SamplingMessage, object,
};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RequestContext, RoleClient};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientHandler, ErrorData, ServiceExt};
use serde_json::json;

/// Asks the configured model.
#[agent]
async fn sampled(ctx: &AgentContext, question: String) -> Result<String, LlmError> {
    ctx.model()?.ask(question).await
}

#[derive(Clone)]
struct Sampler {
    config: ClientConfig,
}

impl ClientHandler for Sampler {
    fn get_info(&self) -> ClientConfig {
        self.config.clone()
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        let question = params
            .messages
            .last()
            .and_then(|m| m.content.first())
            .and_then(|c| c.as_text())
            .map(|t| t.text.clone())
            .unwrap_or_default();
        Ok(CreateMessageResult::new(
            SamplingMessage::assistant_text(format!("sampled: {question}")),
            "client-model".into(),
        )
        .with_stop_reason(CreateMessageResult::STOP_REASON_END_TURN))
    }
}

async fn server() -> HttpServer {
    let config = Config::parse("[llm]\nprovider = \"sampling\"").unwrap();
    let server = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("sampling-test", "0"),
        &config,
    );
    HttpServer::bind(
        server,
        "127.0.0.1:0".parse().unwrap(),
        HttpOptions::default(),
    )
    .await
    .unwrap()
}

fn client_config(sampling: bool) -> ClientConfig {
    let capabilities = if sampling {
        ClientCapabilities::builder().enable_sampling().build()
    } else {
        ClientCapabilities::default()
    };
    ClientConfig::new(capabilities, Implementation::new("sampling-client", "0"))
}

fn text(result: &CallToolResult) -> String {
    result.content[0].as_text().unwrap().text.clone()
}

fn request() -> CallToolRequestParams {
    CallToolRequestParams::new("sampled")
        .with_arguments(object(json!({"question": "Why is the sky blue?"})))
}

#[tokio::test]
async fn a_legacy_session_client_answers_and_an_estimate_is_charged() {
    let http = server().await;
    let transport =
        StreamableHttpClientTransport::from_uri(format!("http://{}/mcp", http.local_addr()));
    let client = Sampler {
        config: client_config(true),
    }
    .serve(transport)
    .await
    .unwrap();
    let result = client.call_tool(request()).await.unwrap();
    assert_eq!(result.is_error, Some(false), "{result:?}");
    let answer = text(&result);
    assert_eq!(answer, "sampled: Why is the sky blue?");
    let usage: Usage =
        serde_json::from_value(result.meta.unwrap()["dev.agentwire/usage"].clone()).unwrap();
    assert!(usage.input_tokens > 0);
    assert_eq!(usage.output_tokens, (answer.len() as u64).div_ceil(4));
    assert_eq!(usage.cost_micros, 0, "the client pays for its own model");
    client.cancel().await.unwrap();
    http.shutdown().await.unwrap();
}

#[tokio::test]
async fn clients_that_cannot_sample_get_a_clear_error() {
    let http = server().await;
    let url = format!("http://{}/mcp", http.local_addr());

    let client = Sampler {
        config: client_config(false),
    }
    .serve(StreamableHttpClientTransport::from_uri(url.clone()))
    .await
    .unwrap();
    let result = client.call_tool(request()).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).contains("`sampling` capability"),
        "{}",
        text(&result)
    );
    client.cancel().await.unwrap();

    let modern = Sampler {
        config: client_config(false),
    }
    .serve_with_lifecycle(
        StreamableHttpClientTransport::from_uri(url),
        ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        },
    )
    .await
    .unwrap();
    let result = modern.call_tool(request()).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).contains("`sampling` capability"),
        "{}",
        text(&result)
    );
    modern.cancel().await.unwrap();
    http.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_2026_client_answers_through_an_input_required_round_trip() {
    let http = server().await;
    let client = Sampler {
        config: client_config(true),
    }
    .serve_with_lifecycle(
        StreamableHttpClientTransport::from_uri(format!("http://{}/mcp", http.local_addr())),
        ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        },
    )
    .await
    .unwrap();
    // rmcp's `call_tool` answers the input request and retries; the agent
    // is replayed with the recorded answer.
    let result = client.call_tool(request()).await.unwrap();
    assert_eq!(result.is_error, Some(false), "{result:?}");
    assert_eq!(text(&result), "sampled: Why is the sky blue?");
    let usage: Usage =
        serde_json::from_value(result.meta.unwrap()["dev.agentwire/usage"].clone()).unwrap();
    assert!(usage.input_tokens > 0);
    assert_eq!(usage.cost_micros, 0, "the client pays for its own model");
    client.cancel().await.unwrap();
    http.shutdown().await.unwrap();
}
