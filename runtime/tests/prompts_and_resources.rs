//! `#[prompt]` and `#[resource]` seen by a real rmcp client over streamable
//! HTTP, in both protocol eras: listing, rendering, reading, URI templates,
//! completion and subscriptions.

#![allow(deprecated)] // `resources/subscribe` is legacy-only, still served.

use std::sync::{Arc, Mutex};
use std::time::Duration;

mod support;

use agentwire::prelude::*;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::model::{
    ArgumentInfo, CompleteRequestParams, ErrorCode, GetPromptRequestParams,
    ReadResourceRequestParams, Reference, ResourceContents, ResourceUpdatedNotificationParam,
    ServerNotification, SubscribeRequestParams, SubscriptionFilter, UnsubscribeRequestParams,
    object,
};
use rmcp::service::{NotificationContext, RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientHandler, ServiceError};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use support::{ERAS, Era, connect_as};

/// How to greet.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Style {
    Formal,
    Casual,
}

/// Greets someone.
#[prompt(title = "Greeting", icon = "https://example.com/wave.png")]
async fn greeting(
    /// Who to greet.
    name: String,
    /// How to greet; casual when left out.
    style: Option<Style>,
) -> String {
    match style {
        Some(Style::Formal) => format!("Write a formal greeting for {name}."),
        _ => format!("Write a casual greeting for {name}."),
    }
}

/// A short exchange.
#[prompt]
fn conversation(ctx: &AgentContext) -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(format!("Who renders `{}`?", ctx.agent_name())),
        PromptMessage::assistant(Content::image_bytes([1, 2, 3], "image/png")),
    ]
}

/// Always fails.
#[prompt]
fn broken() -> Result<String, String> {
    Err("the prompt store is closed".to_owned())
}

/// The project's readme.
#[resource(
    uri = "memo://readme",
    mime_type = "text/markdown",
    title = "Read me",
    audience = "user, assistant",
    priority = 0.5
)]
fn readme() -> &'static str {
    "# Memo"
}

fn days(request: &CompletionRequest) -> Vec<String> {
    ["monday", "tuesday", "wednesday"]
        .into_iter()
        .filter(|d| d.starts_with(request.value()))
        .map(str::to_owned)
        .collect()
}

/// The notes of one day.
#[resource(uri = "memo://notes/{day}", complete = days)]
async fn notes(day: String) -> String {
    format!("notes of {day}")
}

/// A file's bytes, by path.
#[resource(uri = "file:///{+path}", mime_type = "application/octet-stream")]
fn file(path: String) -> Vec<u8> {
    path.into_bytes()
}

/// One page, by number.
#[resource(uri = "memo://page/{number}")]
fn page(number: u32) -> ResourceContent {
    ResourceContent::json(&json!({ "page": number, "next": number + 1 }))
}

/// Three parts of a path (three reserved variables: the worst case for a
/// matcher that tries every split).
#[resource(uri = "tree:///{+a}/{+b}/{+c}.txt")]
fn tree(a: String, b: String, c: String) -> String {
    format!("{a}|{b}|{c}")
}

/// A resource that cannot be read.
#[resource(uri = "memo://locked")]
fn locked() -> Result<String, std::io::Error> {
    Err(std::io::Error::other("permission denied"))
}

/// Needed for a server: one tool.
#[agent]
async fn noop() {}

async fn start() -> HttpServer {
    let registry = Registry::collect().expect("everything is registered");
    let server = AgentServer::new(registry, ServerIdentity::new("resources-test", "1.0.0"));
    HttpServer::bind(
        server,
        "127.0.0.1:0".parse().unwrap(),
        HttpOptions::default(),
    )
    .await
    .expect("bind a free loopback port")
}

/// A client that records resource updates.
#[derive(Clone, Default)]
struct Watcher {
    updated: Arc<Mutex<Vec<String>>>,
}

impl ClientHandler for Watcher {
    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.updated.lock().unwrap().push(params.uri);
    }
}

async fn connect(server: &HttpServer, era: Era) -> RunningService<RoleClient, Watcher> {
    connect_with(server, era, Watcher::default()).await
}

async fn connect_with(
    server: &HttpServer,
    era: Era,
    watcher: Watcher,
) -> RunningService<RoleClient, Watcher> {
    let transport =
        StreamableHttpClientTransport::from_uri(format!("http://{}/mcp", server.local_addr()));
    connect_as(watcher, transport, era).await
}

fn mcp_error(result: Result<impl std::fmt::Debug, ServiceError>) -> rmcp::ErrorData {
    match result {
        Err(ServiceError::McpError(error)) => error,
        other => panic!("expected an MCP error, got {other:?}"),
    }
}

#[tokio::test]
async fn capabilities_announce_prompts_resources_subscriptions_and_completion() {
    let server = start().await;
    for era in ERAS {
        let client = connect(&server, era).await;
        let info = client.peer_info().expect("peer info");
        let capabilities = &info.capabilities;
        assert!(capabilities.prompts.is_some(), "{era:?}");
        assert_eq!(
            capabilities.resources.as_ref().and_then(|r| r.subscribe),
            Some(true),
            "{era:?}"
        );
        assert!(capabilities.completions.is_some(), "{era:?}");
        assert!(capabilities.tools.is_some(), "{era:?}");
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn prompts_list_with_arguments_titles_and_icons_and_render_their_arguments() {
    let server = start().await;
    for era in ERAS {
        let client = connect(&server, era).await;
        let prompts = client.list_all_prompts().await.unwrap();
        let names: Vec<_> = prompts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["broken", "conversation", "greeting"], "{era:?}");
        let greeting = prompts.iter().find(|p| p.name == "greeting").unwrap();
        assert_eq!(greeting.title.as_deref(), Some("Greeting"));
        assert_eq!(greeting.description.as_deref(), Some("Greets someone."));
        let icons = greeting.icons.as_ref().expect("icons");
        assert_eq!(icons[0].src, "https://example.com/wave.png");
        assert_eq!(icons[0].mime_type.as_deref(), Some("image/png"));
        let arguments = greeting.arguments.as_ref().unwrap();
        assert_eq!(arguments[0].name, "name");
        assert_eq!(arguments[0].description.as_deref(), Some("Who to greet."));
        assert_eq!(arguments[0].required, Some(true));
        assert_eq!(arguments[1].name, "style");
        assert_eq!(arguments[1].required, Some(false));

        let rendered = client
            .get_prompt(
                GetPromptRequestParams::new("greeting")
                    .with_arguments(object(json!({"name": "Ada", "style": "formal"}))),
            )
            .await
            .unwrap();
        assert_eq!(rendered.description.as_deref(), Some("Greets someone."));
        let text = rendered.messages[0].content.as_text().unwrap().text.clone();
        assert_eq!(text, "Write a formal greeting for Ada.", "{era:?}");

        let exchange = client
            .get_prompt(GetPromptRequestParams::new("conversation"))
            .await
            .unwrap();
        let json = serde_json::to_value(&exchange.messages).unwrap();
        assert_eq!(json[0]["content"]["text"], "Who renders `conversation`?");
        assert_eq!(json[1]["role"], "assistant");
        assert_eq!(json[1]["content"]["type"], "image");
        assert_eq!(json[1]["content"]["data"], "AQID");
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn prompt_errors_are_json_rpc_errors_that_say_what_went_wrong() {
    let server = start().await;
    for era in ERAS {
        let client = connect(&server, era).await;
        let missing = mcp_error(
            client
                .get_prompt(GetPromptRequestParams::new("greeting"))
                .await,
        );
        assert_eq!(missing.code, ErrorCode::INVALID_PARAMS, "{era:?}");
        assert!(
            missing.message.contains("`name`") && missing.message.contains("missing"),
            "{}",
            missing.message
        );

        let wrong = mcp_error(
            client
                .get_prompt(
                    GetPromptRequestParams::new("greeting")
                        .with_arguments(object(json!({"name": "Ada", "style": "rude"}))),
                )
                .await,
        );
        assert_eq!(wrong.code, ErrorCode::INVALID_PARAMS);
        assert!(wrong.message.contains("`style`"), "{}", wrong.message);

        let unknown = mcp_error(client.get_prompt(GetPromptRequestParams::new("nope")).await);
        assert_eq!(unknown.code, ErrorCode::INVALID_PARAMS);

        let broken = mcp_error(
            client
                .get_prompt(GetPromptRequestParams::new("broken"))
                .await,
        );
        assert_eq!(broken.code, ErrorCode::INTERNAL_ERROR);
        assert_eq!(broken.message, "the prompt store is closed");
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

async fn read(
    client: &RunningService<RoleClient, Watcher>,
    uri: &str,
) -> Result<ResourceContents, ServiceError> {
    let result = client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await?;
    Ok(result.contents.into_iter().next().expect("one content"))
}

#[tokio::test]
async fn resources_and_templates_list_and_read_with_their_variables() {
    let server = start().await;
    for era in ERAS {
        let client = connect(&server, era).await;
        let resources = client.list_all_resources().await.unwrap();
        let uris: Vec<_> = resources.iter().map(|r| r.uri.as_str()).collect();
        assert_eq!(uris, ["memo://locked", "memo://readme"], "{era:?}");
        let readme = resources.iter().find(|r| r.uri == "memo://readme").unwrap();
        assert_eq!(readme.name, "readme");
        assert_eq!(readme.title.as_deref(), Some("Read me"));
        assert_eq!(readme.description.as_deref(), Some("The project's readme."));
        assert_eq!(readme.mime_type.as_deref(), Some("text/markdown"));
        let annotations =
            serde_json::to_value(readme.annotations.as_ref().expect("annotations")).unwrap();
        assert_eq!(
            annotations,
            json!({"audience": ["user", "assistant"], "priority": 0.5})
        );

        let templates = client.list_all_resource_templates().await.unwrap();
        let patterns: Vec<_> = templates.iter().map(|t| t.uri_template.as_str()).collect();
        assert_eq!(
            patterns,
            [
                "file:///{+path}",
                "memo://notes/{day}",
                "memo://page/{number}",
                "tree:///{+a}/{+b}/{+c}.txt"
            ],
            "{era:?}"
        );

        match read(&client, "memo://readme").await.unwrap() {
            ResourceContents::TextResourceContents {
                uri,
                mime_type,
                text,
                ..
            } => {
                assert_eq!(
                    (uri.as_str(), mime_type.as_deref(), text.as_str()),
                    ("memo://readme", Some("text/markdown"), "# Memo")
                );
            }
            other => panic!("{other:?}"),
        }
        match read(&client, "memo://notes/monday").await.unwrap() {
            ResourceContents::TextResourceContents {
                text, mime_type, ..
            } => {
                assert_eq!(text, "notes of monday");
                assert_eq!(mime_type.as_deref(), Some("text/plain"));
            }
            other => panic!("{other:?}"),
        }
        match read(&client, "file:///etc/hosts%20file").await.unwrap() {
            ResourceContents::BlobResourceContents {
                blob,
                mime_type,
                uri,
                ..
            } => {
                assert_eq!(uri, "file:///etc/hosts%20file");
                assert_eq!(blob, "ZXRjL2hvc3RzIGZpbGU="); // "etc/hosts file"
                assert_eq!(mime_type.as_deref(), Some("application/octet-stream"));
            }
            other => panic!("{other:?}"),
        }
        match read(&client, "memo://page/41").await.unwrap() {
            ResourceContents::TextResourceContents {
                text, mime_type, ..
            } => {
                assert_eq!(
                    serde_json::from_str::<serde_json::Value>(&text).unwrap(),
                    json!({"page": 41, "next": 42})
                );
                assert_eq!(mime_type.as_deref(), Some("application/json"));
            }
            other => panic!("{other:?}"),
        }
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_uris_bad_variables_and_failing_resources_are_errors() {
    let server = start().await;
    for era in ERAS {
        let client = connect(&server, era).await;
        let unknown = mcp_error(read(&client, "memo://nothing/here").await);
        // rmcp maps RESOURCE_NOT_FOUND to INVALID_PARAMS for 2026-era peers.
        let expected = if era == Era::Legacy {
            ErrorCode::RESOURCE_NOT_FOUND
        } else {
            ErrorCode::INVALID_PARAMS
        };
        assert_eq!(unknown.code, expected, "{era:?}");
        assert!(
            unknown.message.contains("memo://nothing/here"),
            "{}",
            unknown.message
        );

        let bad = mcp_error(read(&client, "memo://page/forty").await);
        assert_eq!(bad.code, ErrorCode::INVALID_PARAMS);
        assert!(bad.message.contains("`number`"), "{}", bad.message);

        let locked = mcp_error(read(&client, "memo://locked").await);
        assert_eq!(locked.code, ErrorCode::INTERNAL_ERROR);
        assert_eq!(locked.message, "permission denied");
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_long_uri_is_matched_in_linear_time_and_one_past_the_cap_is_refused_clearly() {
    let server = start().await;
    let client = connect(&server, Era::Legacy).await;
    // 16,000 slashes and no `.txt`: a backtracking matcher tries about
    // 10^15 splits here (this request used to keep a core busy for hours);
    // the limit only turns a hang into a failure.
    let long = format!("tree:///{}x", "/".repeat(16_000));
    let answer = tokio::time::timeout(Duration::from_secs(60), read(&client, &long))
        .await
        .expect("answered");
    let error = mcp_error(answer);
    assert_eq!(error.code, ErrorCode::RESOURCE_NOT_FOUND);

    let hit = read(&client, "tree:///a/b/c/d.txt").await.unwrap();
    let ResourceContents::TextResourceContents { text, .. } = hit else {
        panic!("text expected");
    };
    assert_eq!(text, "a|b|c/d", "each variable takes the least that fits");

    let too_long = format!("file:///{}", "a".repeat(20_000));
    let error = mcp_error(read(&client, &too_long).await);
    assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
    assert!(
        error.message.contains("20008 bytes") && error.message.contains("at most 16384"),
        "{}",
        error.message
    );
    client.cancel().await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn completion_suggests_enum_values_and_completer_results() {
    let server = start().await;
    for era in ERAS {
        let client = connect(&server, era).await;
        let style = client
            .complete(CompleteRequestParams::new(
                Reference::for_prompt("greeting"),
                ArgumentInfo::new("style", "F"),
            ))
            .await
            .unwrap();
        assert_eq!(style.completion.values, ["formal"], "{era:?}");

        let day = client
            .complete(CompleteRequestParams::new(
                Reference::for_resource("memo://notes/{day}"),
                ArgumentInfo::new("day", "t"),
            ))
            .await
            .unwrap();
        assert_eq!(day.completion.values, ["tuesday"], "{era:?}");

        let free_text = client
            .complete(CompleteRequestParams::new(
                Reference::for_prompt("greeting"),
                ArgumentInfo::new("name", "A"),
            ))
            .await
            .unwrap();
        assert!(free_text.completion.values.is_empty());

        let unknown = mcp_error(
            client
                .complete(CompleteRequestParams::new(
                    Reference::for_prompt("greeting"),
                    ArgumentInfo::new("tone", ""),
                ))
                .await,
        );
        assert_eq!(unknown.code, ErrorCode::INVALID_PARAMS);
        assert!(unknown.message.contains("`tone`"), "{}", unknown.message);
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

/// Announces `uri` changed until `arrived` says the client saw it.
async fn announce_until(uri: &str, mut arrived: impl AsyncFnMut() -> bool) {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            agentwire::resource_updated(uri);
            if arrived().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no update for {uri} arrived"));
}

#[tokio::test]
async fn a_legacy_session_subscribes_and_is_told_of_updates_until_it_unsubscribes() {
    let server = start().await;
    let watcher = Watcher::default();
    let client = connect_with(&server, Era::Legacy, watcher.clone()).await;
    client
        .subscribe(SubscribeRequestParams::new("memo://notes/friday"))
        .await
        .unwrap();
    let updated = watcher.updated.clone();
    announce_until("memo://notes/friday", async || {
        !updated.lock().unwrap().is_empty()
    })
    .await;
    assert!(
        watcher
            .updated
            .lock()
            .unwrap()
            .iter()
            .all(|uri| uri == "memo://notes/friday")
    );

    // Updates to other resources are not sent.
    agentwire::resource_updated("memo://readme");
    client
        .unsubscribe(UnsubscribeRequestParams::new("memo://notes/friday"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = watcher.updated.lock().unwrap().len();
    agentwire::resource_updated("memo://notes/friday");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        watcher.updated.lock().unwrap().len(),
        seen,
        "no update after unsubscribing"
    );
    assert!(
        !watcher
            .updated
            .lock()
            .unwrap()
            .contains(&"memo://readme".to_owned())
    );

    let unknown = mcp_error(
        client
            .subscribe(SubscribeRequestParams::new("memo://nothing"))
            .await,
    );
    assert_eq!(unknown.code, ErrorCode::RESOURCE_NOT_FOUND);
    client.cancel().await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_2026_client_listens_for_updates_of_the_resources_that_exist() {
    let server = start().await;
    let client = connect(&server, Era::Stateless).await;
    let filter = SubscriptionFilter::builder()
        .resource_subscription("memo://readme")
        .resource_subscription("memo://nothing")
        .build();
    let mut subscription = client.listen(filter).await.expect("subscriptions/listen");
    assert_eq!(
        subscription.acknowledged().resource_subscriptions,
        Some(vec!["memo://readme".to_owned()]),
        "only existing resources are accepted"
    );
    let next = async {
        loop {
            agentwire::resource_updated("memo://readme");
            match tokio::time::timeout(Duration::from_millis(100), subscription.next()).await {
                Ok(Ok(Some(ServerNotification::ResourceUpdatedNotification(n)))) => {
                    return n.params.uri;
                }
                Ok(other) => panic!("unexpected {other:?}"),
                Err(_) => continue,
            }
        }
    };
    let uri = tokio::time::timeout(Duration::from_secs(20), next)
        .await
        .expect("an update arrives");
    assert_eq!(uri, "memo://readme");
    subscription.cancel().await.unwrap();
    client.cancel().await.unwrap();
    server.shutdown().await.unwrap();
}
