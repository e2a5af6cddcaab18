//! Remote agents between two in-process servers over streamable HTTP: the
//! result comes back typed, usage is charged to the caller, and cancelling
//! the caller cancels the callee on the other server.

mod support;

use std::time::Duration;

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, object};
use serde_json::json;
use support::{DROPPED, STARTED, hang_until_dropped, wait_for};
use tokio_util::sync::CancellationToken;

/// Waits until its future is dropped.
#[agent]
async fn hang(key: String) -> String {
    hang_until_dropped(key).await
}

/// Charges 40 tokens and doubles a number.
#[agent]
async fn double(ctx: &AgentContext, n: i64) -> Result<i64, BudgetExceeded> {
    ctx.charge(Usage::model(30, 10, 5))?;
    Ok(n * 2)
}

/// `hang` on the server named `far`.
#[agent(remote = "far", name = "hang")]
async fn far_hang(key: String) -> String;

/// `double` on the server named `far`.
#[agent(remote = "far", name = "double")]
async fn far_double(n: i64) -> i64;

/// Calls `hang` on the far server.
#[agent(calls = [far_hang])]
async fn relay_hang(ctx: &AgentContext, key: String) -> Result<String, CallError> {
    far_hang::call(ctx, key).await
}

/// Doubles twice, remotely, and reports its own usage so far.
#[agent(calls = [far_double])]
async fn quadruple(ctx: &AgentContext, n: i64) -> Result<i64, CallError> {
    let twice = far_double::call(ctx, n).await?;
    far_double::call(ctx, twice).await
}

async fn far_server() -> HttpServer {
    let server = AgentServer::new(
        Registry::collect().unwrap(),
        ServerIdentity::new("far", "0"),
    );
    HttpServer::bind(
        server,
        "127.0.0.1:0".parse().unwrap(),
        HttpOptions::default(),
    )
    .await
    .unwrap()
}

fn near_server(far: &HttpServer) -> AgentServer {
    let config = Config::parse(&format!(
        "[servers.far]\nurl = \"http://{}/mcp\"",
        far.local_addr()
    ))
    .unwrap();
    AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("near", "0"),
        &config,
    )
}

#[tokio::test]
async fn remote_results_are_typed_and_their_usage_is_charged_to_the_caller() {
    let far = far_server().await;
    let near = near_server(&far);
    let args = json!({"n": 5}).as_object().cloned().unwrap();
    let result = near
        .call("quadruple", args, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(false), "{result:?}");
    assert_eq!(result.content[0].as_text().unwrap().text, "20");
    let usage: Usage =
        serde_json::from_value(result.meta.unwrap()["dev.agentwire/usage"].clone()).unwrap();
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.cost_micros),
        (60, 20, 10)
    );
    assert_eq!(usage.calls, 3);

    // A token budget that fits one remote call but not two.
    let args = json!({"n": 5}).as_object().cloned().unwrap();
    let grant = Budget::default().with_tokens(60);
    let result = near
        .call("quadruple", args, Some(grant), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    let meta = result.meta.unwrap();
    assert_eq!(meta["dev.agentwire/error"]["dimension"], json!("tokens"));
    assert_eq!(meta["dev.agentwire/error"]["agent"], json!("double"));
    far.shutdown().await.unwrap();
}

#[tokio::test]
async fn cancelling_the_caller_cancels_the_remote_callee() {
    let far = far_server().await;
    let near = HttpServer::bind(
        near_server(&far),
        "127.0.0.1:0".parse().unwrap(),
        HttpOptions::default(),
    )
    .await
    .unwrap();
    let client = ()
        .serve(rmcp::transport::StreamableHttpClientTransport::from_uri(
            format!("http://{}/mcp", near.local_addr()),
        ))
        .await
        .unwrap();
    let key = "across-servers";
    let pending = tokio::spawn({
        let peer = client.peer().clone();
        async move {
            peer.call_tool(
                CallToolRequestParams::new("relay_hang")
                    .with_arguments(object(json!({"key": key}))),
            )
            .await
        }
    });
    wait_for(&STARTED, key).await;
    pending.abort(); // the client goes away: notifications/cancelled to `near`
    wait_for(&DROPPED, key).await; // and `near` cancelled its call to `far`
    client.cancel().await.unwrap();
    near.shutdown().await.unwrap();
    far.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_deadline_on_the_caller_stops_the_remote_callee() {
    let far = far_server().await;
    let near = near_server(&far);
    let key = "deadline";
    let args = json!({"key": key}).as_object().cloned().unwrap();
    let grant = Budget::default().with_time(Duration::from_millis(300));
    let result = near
        .call("relay_hang", args, Some(grant), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    assert_eq!(
        result.meta.unwrap()["dev.agentwire/error"]["dimension"],
        json!("time")
    );
    wait_for(&DROPPED, key).await;
    far.shutdown().await.unwrap();
}
