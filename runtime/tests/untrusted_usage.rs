//! Usage reported by another server is untrusted: an absurd report is
//! charged no more than was reserved for the call and fails it with the
//! budget error; a server that reports nothing (or garbage), or a call
//! cancelled before it answers, is charged by the server's
//! `unreported_usage` policy. The other server here is a bare rmcp server
//! that answers whatever usage the test tells it to.

use std::sync::Arc;
use std::time::Duration;

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, MetaObject,
    ServerCapabilities, ServerConfig,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// A server that reports, as its usage, the `usage` argument it is given
/// (none when absent), and never answers when `hang` is true.
#[derive(Clone)]
struct Reporter;

impl ServerHandler for Reporter {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = request.arguments.unwrap_or_default();
        if arguments.get("hang") == Some(&Value::Bool(true)) {
            std::future::pending::<()>().await;
        }
        let mut result = CallToolResult::success(vec![ContentBlock::text("done")]);
        if let Some(usage) = arguments.get("usage").filter(|u| !u.is_null()) {
            let mut meta = MetaObject::new();
            meta.insert("dev.agentwire/usage".into(), usage.clone());
            result.meta = Some(meta);
        }
        Ok(CallToolResponse::Complete(result))
    }
}

/// `report` on the server `reporter`.
#[agent(remote = "reporter", name = "report")]
async fn report(usage: Option<Value>, hang: bool) -> String;

/// Calls `report` once.
#[agent(calls = [report])]
async fn ask_reporter(
    ctx: &AgentContext,
    usage: Option<Value>,
    hang: bool,
) -> Result<String, CallError> {
    report::call(ctx, usage, hang).await
}

/// Starts the reporter on a free port; the token stops it.
async fn reporter() -> (String, CancellationToken) {
    let stop = CancellationToken::new();
    let service = StreamableHttpService::new(
        || Ok(Reporter),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default().with_cancellation_token(stop.child_token()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let app = axum::Router::new().nest_service("/mcp", service);
    let until = stop.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(until.cancelled_owned())
            .await
    });
    (url, stop)
}

fn caller(url: &str, policy: &str) -> AgentServer {
    let config = Config::parse(&format!("[servers.reporter]\nurl = \"{url}\"\n{policy}")).unwrap();
    AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("caller", "0"),
        &config,
    )
}

async fn ask(server: &AgentServer, usage: Value, hang: bool, grant: Budget) -> CallToolResult {
    let args = json!({"usage": usage, "hang": hang});
    server
        .call(
            "ask_reporter",
            args.as_object().cloned().unwrap(),
            Some(grant),
            CancellationToken::new(),
        )
        .await
        .unwrap()
}

fn usage(result: &CallToolResult) -> Usage {
    serde_json::from_value(result.meta.as_ref().unwrap()["dev.agentwire/usage"].clone()).unwrap()
}

fn grant() -> Budget {
    Budget::default().with_tokens(1_000).with_cost_micros(500)
}

#[tokio::test]
async fn an_absurd_report_is_clamped_to_the_reservation_and_is_the_budget_error() {
    let (url, stop) = reporter().await;
    let server = caller(&url, "");
    let absurd = json!({
        "inputTokens": u64::MAX, "outputTokens": u64::MAX,
        "costMicros": u64::MAX, "calls": u32::MAX,
    });
    let result = ask(&server, absurd, false, grant()).await;
    assert_eq!(result.is_error, Some(true), "{result:?}");
    let error = &result.meta.as_ref().unwrap()["dev.agentwire/error"];
    assert_eq!(error["kind"], "budget_exceeded");
    assert_eq!(error["dimension"], "tokens");
    assert_eq!(error["limit"], 1_000);
    let used = usage(&result);
    assert_eq!(
        used.tokens(),
        1_000,
        "charged what was reserved, no more: {used:?}"
    );
    assert_eq!(used.cost_micros, 500);
    stop.cancel();
}

#[tokio::test]
async fn a_server_that_reports_nothing_is_charged_by_its_policy() {
    let (url, stop) = reporter().await;
    // The default: the call and its time.
    let result = ask(&caller(&url, ""), Value::Null, false, grant()).await;
    assert_eq!(result.is_error, Some(false), "{result:?}");
    let used = usage(&result);
    assert_eq!((used.tokens(), used.cost_micros, used.calls), (0, 0, 2));

    // `reserved`: everything that was held back for it, absent or garbled.
    let strict = caller(&url, "unreported_usage = \"reserved\"");
    for report in [Value::Null, json!("lots"), json!({"inputTokens": -1})] {
        let result = ask(&strict, report.clone(), false, grant()).await;
        assert_eq!(result.is_error, Some(false), "{report}: {result:?}");
        let used = usage(&result);
        assert_eq!((used.tokens(), used.cost_micros), (1_000, 500), "{report}");
    }
    stop.cancel();
}

#[tokio::test]
async fn a_remote_call_stopped_by_the_deadline_is_charged_by_the_same_policy() {
    let (url, stop) = reporter().await;
    let grant = grant().with_time(Duration::from_millis(400));
    for (policy, tokens, cost) in [("", 0, 0), ("unreported_usage = \"reserved\"", 1_000, 500)] {
        let result = ask(&caller(&url, policy), Value::Null, true, grant).await;
        assert_eq!(result.is_error, Some(true), "{result:?}");
        let meta = result.meta.as_ref().unwrap();
        assert_eq!(meta["dev.agentwire/error"]["dimension"], "time", "{policy}");
        let used = usage(&result);
        assert_eq!(
            (used.tokens(), used.cost_micros),
            (tokens, cost),
            "{policy:?}"
        );
    }
    stop.cancel();
}

#[test]
fn an_unknown_policy_is_refused_with_the_choices() {
    let error =
        Config::parse("[servers.x]\nurl = \"http://127.0.0.1:1/mcp\"\nunreported_usage = \"free\"")
            .unwrap_err()
            .to_string();
    assert!(
        error.contains("call") && error.contains("reserved"),
        "{error}"
    );
}
