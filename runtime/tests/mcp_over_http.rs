//! A real rmcp client against an in-process agentwire server over streamable
//! HTTP, in both protocol eras, including the inputs a server must survive.

mod support;

use agentwire::prelude::*;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::ServiceError;
use rmcp::model::{CallToolRequestParams, CallToolResult, ErrorCode, object};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support::{DROPPED, Era, STARTED, connect, hang_until_dropped, text, wait_for};

/// Repeats the text.
#[agent]
async fn echo(text: String) -> String {
    text
}

/// How to add.
#[derive(Deserialize, JsonSchema)]
struct AddOptions {
    /// Added to the sum.
    offset: i64,
}

#[derive(Serialize, JsonSchema)]
struct Sum {
    sum: i64,
}

/// Adds two integers.
#[agent]
async fn add(a: i64, b: i64, options: Option<AddOptions>) -> Sum {
    Sum {
        sum: a + b + options.map_or(0, |o| o.offset),
    }
}

/// Panics with the given reason.
#[agent]
async fn explode(reason: String) -> String {
    panic!("{reason}")
}

/// Fails with an error.
#[agent]
async fn refuse() -> Result<String, String> {
    Err("refused on purpose".to_owned())
}

/// Waits until cancelled.
#[agent]
async fn hang(key: String) -> String {
    hang_until_dropped(key).await
}

async fn start(options: HttpOptions) -> HttpServer {
    let registry = Registry::collect().expect("agents are registered");
    let server = AgentServer::new(registry, ServerIdentity::new("http-test", "1.2.3"));
    HttpServer::bind(server, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .expect("bind a free loopback port")
}

fn url(server: &HttpServer) -> String {
    format!("http://{}/mcp", server.local_addr())
}

async fn connect_http(server: &HttpServer, era: Era) -> RunningService<RoleClient, ()> {
    connect(StreamableHttpClientTransport::from_uri(url(server)), era).await
}

async fn call(
    client: &RunningService<RoleClient, ()>,
    tool: &'static str,
    args: Value,
) -> Result<CallToolResult, ServiceError> {
    client
        .call_tool(CallToolRequestParams::new(tool).with_arguments(object(args)))
        .await
}

#[tokio::test]
async fn both_eras_list_and_call_tools_with_the_crates_identity() {
    let server = start(HttpOptions::default()).await;
    for era in [Era::Legacy, Era::Stateless] {
        let client = connect_http(&server, era).await;
        let info = client.peer_info().expect("peer info");
        let server_info = info.server_info.clone().expect("server info");
        assert_eq!(server_info.name, "http-test", "{era:?}");
        assert_eq!(server_info.version, "1.2.3", "{era:?}");

        let tools = client.list_all_tools().await.unwrap();
        let names: Vec<_> = tools.iter().map(|t| t.name.to_string()).collect();
        assert_eq!(
            names,
            ["add", "echo", "explode", "hang", "refuse"],
            "{era:?}"
        );
        let add = tools.iter().find(|t| t.name == "add").unwrap();
        assert_eq!(add.description.as_deref(), Some("Adds two integers."));
        assert_eq!(add.input_schema["required"], json!(["a", "b"]));
        assert_eq!(
            add.input_schema["$defs"]["AddOptions"]["properties"]["offset"]["description"],
            json!("Added to the sum.")
        );
        assert!(add.output_schema.is_some(), "{era:?}");

        let echoed = call(&client, "echo", json!({"text": "hi"})).await.unwrap();
        assert_eq!(text(&echoed), "hi");
        let sum = call(
            &client,
            "add",
            json!({"a": 2, "b": 3, "options": {"offset": 10}}),
        )
        .await
        .unwrap();
        assert_eq!(sum.structured_content, Some(json!({"sum": 15})), "{era:?}");
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn wrong_or_missing_arguments_are_tool_errors_naming_the_field() {
    let server = start(HttpOptions::default()).await;
    for era in [Era::Legacy, Era::Stateless] {
        let client = connect_http(&server, era).await;
        let wrong = call(&client, "add", json!({"a": "two", "b": 3}))
            .await
            .unwrap();
        assert_eq!(wrong.is_error, Some(true));
        let message = text(&wrong);
        assert!(
            message.contains("`a`") && message.contains("expected i64"),
            "{message}"
        );

        let nested = call(
            &client,
            "add",
            json!({"a": 1, "b": 3, "options": {"offset": []}}),
        )
        .await
        .unwrap();
        assert!(
            text(&nested).contains("`options.offset`"),
            "{}",
            text(&nested)
        );

        let missing = call(&client, "add", json!({"b": 3})).await.unwrap();
        assert_eq!(missing.is_error, Some(true));
        assert!(text(&missing).contains("`a`") && text(&missing).contains("missing"));

        let refused = call(&client, "refuse", json!({})).await.unwrap();
        assert_eq!(refused.is_error, Some(true));
        assert_eq!(text(&refused), "refused on purpose");
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_unknown_tool_is_an_invalid_params_error() {
    let server = start(HttpOptions::default()).await;
    for era in [Era::Legacy, Era::Stateless] {
        let client = connect_http(&server, era).await;
        match call(&client, "no_such_tool", json!({})).await {
            Err(ServiceError::McpError(error)) => {
                assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
                assert!(error.message.contains("no_such_tool"), "{}", error.message);
            }
            other => panic!("expected an MCP error, got {other:?}"),
        }
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_panicking_agent_is_an_error_result_and_the_server_keeps_serving() {
    let server = start(HttpOptions::default()).await;
    for era in [Era::Legacy, Era::Stateless] {
        let client = connect_http(&server, era).await;
        let result = call(&client, "explode", json!({"reason": "kaboom"}))
            .await
            .unwrap();
        assert_eq!(result.is_error, Some(true));
        assert!(
            text(&result).contains("panicked: kaboom"),
            "{}",
            text(&result)
        );
        let after = call(&client, "echo", json!({"text": "still here"}))
            .await
            .unwrap();
        assert_eq!(text(&after), "still here");
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_dropped_stateless_request_cancels_the_agent() {
    let server = start(HttpOptions::default()).await;
    let client = connect_http(&server, Era::Stateless).await;
    let key = "stateless-drop";
    let pending = tokio::spawn({
        let peer = client.peer().clone();
        async move {
            peer.call_tool(
                CallToolRequestParams::new("hang").with_arguments(object(json!({"key": key}))),
            )
            .await
        }
    });
    wait_for(&STARTED, key).await;
    pending.abort();
    wait_for(&DROPPED, key).await;
    let after = call(&client, "echo", json!({"text": "next"}))
        .await
        .unwrap();
    assert_eq!(text(&after), "next");
    client.cancel().await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_cancelled_notification_cancels_the_agent_in_a_legacy_session() {
    use rmcp::model::{CallToolRequest, ClientRequest};
    use rmcp::service::PeerRequestOptions;

    let server = start(HttpOptions::default()).await;
    let client = connect_http(&server, Era::Legacy).await;
    let key = "legacy-cancel";
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(
        CallToolRequestParams::new("hang").with_arguments(object(json!({"key": key}))),
    ));
    let handle = client
        .send_cancellable_request(request, PeerRequestOptions::no_options())
        .await
        .unwrap();
    wait_for(&STARTED, key).await;
    handle.cancel(Some("test".to_owned())).await.unwrap();
    wait_for(&DROPPED, key).await;
    client.cancel().await.unwrap();
    server.shutdown().await.unwrap();
}

const ACCEPT: &str = "application/json, text/event-stream";

async fn post(server: &HttpServer, body: impl Into<reqwest::Body>) -> reqwest::Response {
    reqwest::Client::new()
        .post(url(server))
        .header("content-type", "application/json")
        .header("accept", ACCEPT)
        .body(body)
        .send()
        .await
        .expect("the server answers")
}

#[tokio::test]
async fn malformed_json_rpc_is_refused_and_the_server_keeps_serving() {
    let server = start(HttpOptions::default()).await;
    for body in [
        "{this is not json",
        "[]",
        r#"{"jsonrpc":"2.0","id":1}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"not an object"}"#,
    ] {
        let response = post(&server, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        let refused = status.is_client_error() || text.contains("\"error\"");
        assert!(refused, "{body:?} was answered with {status}: {text}");
    }
    let client = connect_http(&server, Era::Stateless).await;
    let after = call(&client, "echo", json!({"text": "fine"}))
        .await
        .unwrap();
    assert_eq!(text(&after), "fine");
    client.cancel().await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn hostile_meta_is_refused_without_harm() {
    let server = start(HttpOptions::default()).await;
    let client = connect_http(&server, Era::Legacy).await;
    let mut params =
        CallToolRequestParams::new("echo").with_arguments(object(json!({"text": "x"})));
    let mut meta = rmcp::model::RequestMetaObject::new();
    meta.insert("traceparent".into(), json!({"not": "a string"}));
    meta.insert("dev.agentwire/budget".into(), json!(1e300));
    params.meta = Some(meta);
    // Whatever the server makes of it, it must answer and keep serving.
    let _ = client.call_tool(params).await;
    let after = call(&client, "echo", json!({"text": "ok"})).await.unwrap();
    assert_eq!(text(&after), "ok");
    client.cancel().await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn deeply_nested_json_is_refused_without_harm() {
    let server = start(HttpOptions::default()).await;
    let deep = format!("{}0{}", "[".repeat(100_000), "]".repeat(100_000));
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"x"}},"_meta":{{"deep":{deep}}}}}}}"#
    );
    let response = post(&server, body).await;
    let status = response.status();
    let answer = response.text().await.unwrap();
    assert!(
        status.is_client_error() || answer.contains("\"error\""),
        "{status}: {answer}"
    );

    let client = connect_http(&server, Era::Legacy).await;
    let after = call(&client, "echo", json!({"text": "ok"})).await.unwrap();
    assert_eq!(text(&after), "ok");
    client.cancel().await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413() {
    let options = HttpOptions {
        max_body_bytes: 64 * 1024,
        ..HttpOptions::default()
    };
    let server = start(options).await;
    let big = json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "echo", "arguments": {"text": "x".repeat(100 * 1024)}}
    });
    let response = post(&server, big.to_string()).await;
    assert_eq!(response.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);

    let client = connect_http(&server, Era::Stateless).await;
    let small = "y".repeat(1024);
    let after = call(&client, "echo", json!({"text": small})).await.unwrap();
    assert_eq!(text(&after), small);
    client.cancel().await.unwrap();
    server.shutdown().await.unwrap();
}
