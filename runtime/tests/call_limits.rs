//! `[limits]`: a session, and the whole server, run a bounded number of
//! tool calls at once, and (apart) of other requests, and a session holds a bounded number of resource
//! subscriptions; a call past either limit waits in a bounded queue for a
//! bounded time, and past those is refused with a JSON-RPC error naming the
//! setting, the others keep running, and a finished (or cancelled) call
//! lets the next one in. The server keeps a bounded number of sessions, and
//! closes idle ones. Real rmcp clients over streamable HTTP (2025-era
//! sessions).

#![allow(deprecated)] // `resources/subscribe` is legacy-only (SEP-2577), still served.

mod support;

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::ServiceExt;
use rmcp::model::{
    CallToolRequestParams, GetPromptRequestParams, ReadResourceRequestParams,
    SubscribeRequestParams, SubscriptionFilter, UnsubscribeRequestParams, object,
};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::json;
use support::{DROPPED, Era, STARTED, connect, hang_until_dropped, wait_for};

/// Waits until its future is dropped.
#[agent]
async fn hang(key: String) -> String {
    hang_until_dropped(key).await
}

/// A note, by id.
#[resource(uri = "memo://note/{id}")]
fn note(id: String) -> String {
    format!("note {id}")
}

/// Answers at once.
#[agent]
async fn quick() -> String {
    "done".to_owned()
}

/// Sleeps, saying nothing meanwhile.
#[agent]
async fn nap(ms: u64) -> String {
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    "slept".to_owned()
}

/// A resource that is never ready: only dropping its read ends it.
#[resource(uri = "slow://{key}")]
async fn slow(key: String) -> String {
    hang_until_dropped(key).await
}

/// A prompt that is never ready.
#[prompt]
async fn stall(key: String) -> String {
    hang_until_dropped(key).await
}

async fn client(server: &HttpServer) -> RunningService<RoleClient, ()> {
    let url = format!("http://{}/mcp", server.local_addr());
    connect(StreamableHttpClientTransport::from_uri(url), Era::Legacy).await
}

/// Starts `hang` under `key` and waits until it runs.
async fn start_hang(
    client: &RunningService<RoleClient, ()>,
    key: &str,
) -> tokio::task::JoinHandle<()> {
    let peer = client.peer().clone();
    let params = CallToolRequestParams::new("hang").with_arguments(object(json!({"key": key})));
    let task = tokio::spawn(async move {
        let _ = peer.call_tool(params).await;
    });
    wait_for(&STARTED, key).await;
    task
}

async fn quick_call(client: &RunningService<RoleClient, ()>) -> Result<String, String> {
    client
        .call_tool(CallToolRequestParams::new("quick"))
        .await
        .map(|r| support::text(&r))
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn calls_past_the_session_or_server_limit_are_refused_naming_it() {
    let config = Config::parse(
        "[limits]\nconcurrent_calls = 3\nconcurrent_calls_per_session = 2\nqueued_calls = 0",
    )
    .unwrap();
    let server = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("limited", "0"),
        &config,
    );
    let http = HttpServer::bind(
        server,
        "127.0.0.1:0".parse().unwrap(),
        HttpOptions::default(),
    )
    .await
    .unwrap();
    let a = client(&http).await;
    let b = client(&http).await;

    let a1 = start_hang(&a, "limits-a1").await;
    let a2 = start_hang(&a, "limits-a2").await;
    let refused = quick_call(&a).await.unwrap_err();
    assert!(
        refused.contains("concurrent_calls_per_session"),
        "{refused}"
    );

    // Another session still has room, until the server is full.
    assert_eq!(quick_call(&b).await.unwrap(), "done");
    let b1 = start_hang(&b, "limits-b1").await;
    let refused = quick_call(&b).await.unwrap_err();
    assert!(
        refused.contains("[limits] concurrent_calls)"),
        "the server's limit: {refused}"
    );

    // A cancelled call frees its place.
    a1.abort();
    wait_for(&DROPPED, "limits-a1").await;
    let mut answered = None;
    for _ in 0..100 {
        match quick_call(&b).await {
            Ok(text) => {
                answered = Some(text);
                break;
            }
            // The cancellation reaches the server a moment later.
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    assert_eq!(answered.as_deref(), Some("done"));

    for task in [a2, b1] {
        task.abort();
    }
    a.cancel().await.unwrap();
    b.cancel().await.unwrap();
    http.shutdown().await.unwrap();
}

#[test]
fn a_limit_of_zero_is_refused() {
    let error = Config::parse("[limits]\nconcurrent_calls = 0").unwrap_err();
    assert!(error.contains("at least 1"), "{error}");
}

#[tokio::test]
async fn subscriptions_past_the_session_limit_are_refused_naming_it() {
    let config = Config::parse("[limits]\nsubscriptions_per_session = 2").unwrap();
    let server = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("limited", "0"),
        &config,
    );
    let http = HttpServer::bind(
        server,
        "127.0.0.1:0".parse().unwrap(),
        HttpOptions::default(),
    )
    .await
    .unwrap();
    let client = client(&http).await;
    let subscribe =
        |n: u32| client.subscribe(SubscribeRequestParams::new(format!("memo://note/{n}")));
    subscribe(1).await.unwrap();
    subscribe(2).await.unwrap();
    subscribe(1)
        .await
        .expect("subscribing again to the same resource takes no room");
    let refused = subscribe(3).await.unwrap_err().to_string();
    assert!(refused.contains("subscriptions_per_session"), "{refused}");
    client
        .unsubscribe(UnsubscribeRequestParams::new("memo://note/1"))
        .await
        .unwrap();
    subscribe(3).await.expect("room again after unsubscribing");
    client.cancel().await.unwrap();
    http.shutdown().await.unwrap();
}

/// A raw `initialize`: its HTTP status and body.
async fn raw_initialize(url: &str) -> (u16, serde_json::Value) {
    raw_post(
        url,
        json!({
            "jsonrpc": "2.0", "id": 7, "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        }),
    )
    .await
}

/// A sessionless POST of `message`: the status and the answer, read whole
/// (so not for a request whose answer is a stream that stays open).
async fn raw_post(url: &str, message: serde_json::Value) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(message.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    (status, serde_json::from_str(&body).unwrap_or(json!(body)))
}

async fn limited_http(limits: &str) -> HttpServer {
    let config = Config::parse(limits).unwrap();
    let server = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("limited", "0"),
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

#[tokio::test]
async fn an_initialize_past_the_session_limit_is_refused_naming_it_and_open_sessions_go_on() {
    let http = limited_http("[limits]\nsessions = 2").await;
    let url = format!("http://{}/mcp", http.local_addr());
    let a = client(&http).await;
    let b = client(&http).await;

    let (status, body) = raw_initialize(&url).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["id"], 7);
    assert_eq!(body["error"]["code"], -32000);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("[limits] sessions"), "{message}");
    // rmcp's client is refused too.
    let third = ().serve(StreamableHttpClientTransport::from_uri(url.clone())).await;
    assert!(third.is_err(), "a third session was opened");

    // The open sessions go on, and 2026-era requests hold no session.
    assert_eq!(quick_call(&a).await.unwrap(), "done");
    assert_eq!(quick_call(&b).await.unwrap(), "done");
    let stateless = connect(
        StreamableHttpClientTransport::from_uri(url.clone()),
        Era::Stateless,
    )
    .await;
    assert_eq!(quick_call(&stateless).await.unwrap(), "done");

    // A session that closes makes room.
    a.cancel().await.unwrap();
    let mut status = 0;
    for _ in 0..200 {
        (status, _) = raw_initialize(&url).await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(status, 200, "a closed session did not free its place");
    b.cancel().await.unwrap();
    http.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_idle_session_is_closed_after_session_idle_and_frees_its_place() {
    let http = limited_http("[limits]\nsessions = 1\nsession_idle = \"300ms\"").await;
    let url = format!("http://{}/mcp", http.local_addr());
    let a = client(&http).await;
    assert_eq!(quick_call(&a).await.unwrap(), "done");
    assert_eq!(raw_initialize(&url).await.0, 503, "the one place is taken");
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let (status, body) = raw_initialize(&url).await;
    assert_eq!(
        status, 200,
        "the idle session still holds its place: {body}"
    );
    drop(a);
    http.shutdown().await.unwrap();
}

#[test]
fn session_settings_are_checked() {
    let error = Config::parse("[limits]\nsessions = 0").unwrap_err();
    assert!(error.contains("sessions"), "{error}");
    let error = Config::parse("[limits]\nlisten_streams = 0").unwrap_err();
    assert!(error.contains("listen_streams"), "{error}");
    let error = Config::parse("[limits]\nsession_idle = \"idle\"").unwrap_err();
    assert!(error.contains("session_idle"), "{error}");
}

#[tokio::test]
async fn a_call_past_the_limit_waits_in_a_bounded_queue_then_runs_or_is_refused() {
    let http =
        limited_http("[limits]\nconcurrent_calls = 1\nqueued_calls = 1\nqueue_wait = \"60s\"")
            .await;
    let a = client(&http).await;
    let b = client(&http).await;
    let hang = start_hang(&a, "queue-hang").await;

    // Two calls past the limit: one waits in the queue (its one place),
    // the other finds the queue full and is refused.
    let spawn_quick = |client: &RunningService<RoleClient, ()>| {
        let peer = client.peer().clone();
        tokio::spawn(async move {
            peer.call_tool(CallToolRequestParams::new("quick"))
                .await
                .map(|r| support::text(&r))
                .map_err(|e| e.to_string())
        })
    };
    let mut calls = vec![spawn_quick(&a), spawn_quick(&b)];
    let (refused, _, mut rest) = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        futures::future::select_all(&mut calls),
    )
    .await
    .expect("one of the two calls was refused at once");
    let refused = refused.unwrap().unwrap_err();
    assert!(refused.contains("[limits] queued_calls"), "{refused}");
    let waiting = rest.pop().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        !waiting.is_finished(),
        "the queued call was not kept waiting"
    );

    // The place frees: the queued call runs.
    hang.abort();
    wait_for(&DROPPED, "queue-hang").await;
    let answered = tokio::time::timeout(std::time::Duration::from_secs(30), waiting)
        .await
        .expect("the queued call ran once a place was free")
        .unwrap();
    assert_eq!(answered.as_deref(), Ok("done"));
    a.cancel().await.unwrap();
    b.cancel().await.unwrap();
    http.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_queued_call_is_refused_after_queue_wait_naming_it() {
    let http =
        limited_http("[limits]\nconcurrent_calls_per_session = 1\nqueue_wait = \"300ms\"").await;
    let a = client(&http).await;
    let hang = start_hang(&a, "queue-wait-hang").await;
    let refused = quick_call(&a).await.unwrap_err();
    assert!(refused.contains("[limits] queue_wait"), "{refused}");
    assert!(
        refused.contains("concurrent_calls_per_session"),
        "it says which limit was full: {refused}"
    );
    hang.abort();
    a.cancel().await.unwrap();
    http.shutdown().await.unwrap();
}

/// Starts reading `slow://key` and waits until the read runs.
async fn start_slow_read(
    client: &RunningService<RoleClient, ()>,
    key: &str,
) -> tokio::task::JoinHandle<()> {
    let peer = client.peer().clone();
    let params = ReadResourceRequestParams::new(format!("slow://{key}"));
    let task = tokio::spawn(async move {
        let _ = peer.read_resource(params).await;
    });
    wait_for(&STARTED, key).await;
    task
}

async fn read_note(client: &RunningService<RoleClient, ()>) -> Result<(), String> {
    client
        .read_resource(ReadResourceRequestParams::new("memo://note/1"))
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn reads_and_prompts_past_the_session_or_server_limit_are_refused_naming_it() {
    let http = limited_http(
        "[limits]\nconcurrent_requests = 2\nconcurrent_requests_per_session = 1\n\
         queued_requests = 0",
    )
    .await;
    let (a, b, c) = (
        client(&http).await,
        client(&http).await,
        client(&http).await,
    );

    let slow_a = start_slow_read(&a, "requests-a").await;
    for refused in [
        read_note(&a).await.unwrap_err(),
        a.get_prompt(GetPromptRequestParams::new("stall"))
            .await
            .unwrap_err()
            .to_string(),
        a.list_tools(None).await.unwrap_err().to_string(),
    ] {
        assert!(
            refused.contains("[limits] concurrent_requests_per_session"),
            "{refused}"
        );
    }
    // Tool calls have their own places.
    assert_eq!(quick_call(&a).await.unwrap(), "done");

    // Another session goes on, until the server is full.
    read_note(&b).await.unwrap();
    let peer = b.peer().clone();
    let stall_b = tokio::spawn(async move {
        let params = GetPromptRequestParams::new("stall")
            .with_arguments(object(json!({"key": "requests-b"})));
        let _ = peer.get_prompt(params).await;
    });
    wait_for(&STARTED, "requests-b").await;
    let refused = read_note(&c).await.unwrap_err();
    assert!(
        refused.contains("[limits] concurrent_requests)"),
        "the server's limit: {refused}"
    );
    assert!(refused.contains("[limits] queued_requests"), "{refused}");

    // A cancelled read frees its place.
    slow_a.abort();
    wait_for(&DROPPED, "requests-a").await;
    let mut answered = Err(String::new());
    for _ in 0..100 {
        answered = read_note(&c).await;
        if answered.is_ok() {
            break;
        }
        // The cancellation reaches the server a moment later.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    answered.expect("a place came free");

    stall_b.abort();
    for client in [a, b, c] {
        client.cancel().await.unwrap();
    }
    http.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_read_past_the_limit_waits_for_a_place_and_is_refused_after_queue_wait() {
    let http =
        limited_http("[limits]\nconcurrent_requests_per_session = 1\nqueue_wait = \"400ms\"").await;
    let a = client(&http).await;
    let slow = start_slow_read(&a, "request-queue").await;
    let refused = read_note(&a).await.unwrap_err();
    assert!(refused.contains("[limits] queue_wait"), "{refused}");
    assert!(
        refused.contains("concurrent_requests_per_session"),
        "it says which limit was full: {refused}"
    );

    // A read that waits runs once the place frees.
    let peer = a.peer().clone();
    let waiting = tokio::spawn(async move {
        peer.read_resource(ReadResourceRequestParams::new("memo://note/2"))
            .await
            .map_err(|e| e.to_string())
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(!waiting.is_finished(), "the read did not wait");
    slow.abort();
    wait_for(&DROPPED, "request-queue").await;
    waiting
        .await
        .unwrap()
        .expect("the waiting read ran once the place was free");
    a.cancel().await.unwrap();
    http.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_call_longer_than_session_idle_keeps_its_session_open_and_is_answered() {
    let http = limited_http("[limits]\nsession_idle = \"300ms\"").await;
    let a = client(&http).await;
    let nap =
        a.call_tool(CallToolRequestParams::new("nap").with_arguments(object(json!({"ms": 1500}))));
    let nap = tokio::time::timeout(std::time::Duration::from_secs(20), nap)
        .await
        .expect("the call is answered (its session was not closed under it)")
        .expect("the call succeeds");
    assert_eq!(support::text(&nap), "slept");
    assert_eq!(
        quick_call(&a).await.unwrap(),
        "done",
        "the session is still open"
    );
    a.cancel().await.unwrap();
    http.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_listen_stream_past_the_limit_is_refused_naming_it_and_a_closed_one_makes_room() {
    let http = limited_http("[limits]\nlisten_streams = 1").await;
    let url = format!("http://{}/mcp", http.local_addr());
    let first = connect(
        StreamableHttpClientTransport::from_uri(url.clone()),
        Era::Stateless,
    )
    .await;
    let mut listening = first
        .listen(SubscriptionFilter::builder().build())
        .await
        .expect("the first stream is opened");

    let (status, body) = raw_post(
        &url,
        json!({"jsonrpc": "2.0", "id": 9, "method": "subscriptions/listen", "params": {}}),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["id"], 9);
    assert_eq!(body["error"]["code"], -32000);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("[limits] listen_streams"), "{message}");
    let second = connect(
        StreamableHttpClientTransport::from_uri(url.clone()),
        Era::Stateless,
    )
    .await;
    assert!(
        second
            .listen(SubscriptionFilter::builder().build())
            .await
            .is_err(),
        "a second stream was opened past the limit"
    );
    let _ = second.cancel().await;
    // Other requests go on.
    let third = connect(
        StreamableHttpClientTransport::from_uri(url.clone()),
        Era::Stateless,
    )
    .await;
    assert_eq!(quick_call(&third).await.unwrap(), "done");

    // The open stream, ended, makes room for the next.
    listening.cancel().await.unwrap();
    let mut opened = None;
    for _ in 0..200 {
        if let Ok(stream) = third.listen(SubscriptionFilter::builder().build()).await {
            opened = Some(stream);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let mut opened = opened.expect("an ended stream did not free its place");
    opened.cancel().await.unwrap();
    first.cancel().await.unwrap();
    third.cancel().await.unwrap();
    http.shutdown().await.unwrap();
}
