//! The caller's identity through the chain: an HTTP server with `[auth]`
//! hands the token's principal to the agent (`ctx.principal()`), binds it to
//! what outlives the request (workflow runs, MCP tasks, 2026 request
//! states), and another principal can neither list, read, resume nor cancel
//! them. Real issuer (oauth2-mock-server), real rmcp clients over HTTP.

mod support;

use std::time::Duration;

use agentwire::prelude::*;
use agentwire::transport::auth::AuthConfig;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::ServiceExt;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CancelTaskParams, ClientCapabilities,
    ClientConfig, ElicitationCapability, FormElicitationCapability, GetTaskParams, Implementation,
    InputResponses, TaskStatus, UpdateTaskParams, object,
};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support::issuer::Issuer;
use support::{Era, connect, connect_as, text};

/// Says who called.
#[agent]
async fn whoami(ctx: &AgentContext) -> Value {
    match ctx.principal() {
        Some(p) => json!({"subject": p.subject, "client": p.client_id, "scopes": p.scopes}),
        None => Value::Null,
    }
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Approval {
    approved: bool,
}

/// Waits for approval, then says who started it.
#[workflow]
async fn publish(ctx: &WorkflowContext, title: String) -> Result<String, WorkflowError> {
    let approval: Approval = ctx.wait_for("approval", Duration::from_secs(60)).await?;
    let owner = ctx.principal().map(|p| p.subject.clone());
    Ok(format!(
        "{title} approved={} for {}",
        approval.approved,
        owner.unwrap_or_default()
    ))
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Order {
    pizza: String,
}

/// Asks the user for an order.
#[agent]
async fn order(ctx: &AgentContext) -> Result<String, ClientRequestError> {
    match ctx.elicit::<Order>("Which pizza?").await? {
        Elicitation::Accepted(order) => Ok(order.pizza),
        _ => Ok("nothing".to_owned()),
    }
}

/// Takes a moment, so that it runs as a task; says who started it.
#[agent(task = "required")]
async fn slow_report(ctx: &AgentContext) -> String {
    tokio::time::sleep(Duration::from_millis(500)).await;
    ctx.principal()
        .map(|p| p.subject.clone())
        .unwrap_or_default()
}

struct Fixture {
    issuer: Issuer,
    server: HttpServer,
}

impl Fixture {
    async fn start() -> Fixture {
        let issuer = Issuer::start().await;
        let registry = Registry::collect().expect("agents are registered");
        let settings = agentwire::workflow::WorkflowSettings {
            backend: agentwire::workflow::BackendKind::Memory,
            task_after: Duration::from_millis(200),
            ..Default::default()
        };
        let server = AgentServer::with_workflow_store(
            registry,
            ServerIdentity::new("principals-test", "1.0.0"),
            &agentwire::config::Config::default(),
            std::sync::Arc::new(agentwire::workflow::store::MemoryStore::new()),
            &settings,
        );
        let options = HttpOptions {
            auth: Some(AuthConfig::new(&issuer.url)),
            ..HttpOptions::default()
        };
        let server = HttpServer::bind(server, "127.0.0.1:0".parse().unwrap(), options)
            .await
            .expect("bind");
        Fixture { issuer, server }
    }

    fn url(&self) -> String {
        format!("http://{}/mcp", self.server.local_addr())
    }

    async fn token(&self, subject: &str) -> String {
        self.issuer
            .mint(json!({"aud": self.url(), "sub": subject, "client_id": format!("{subject}-app"), "scope": "mcp"}))
            .await
    }

    fn transport(&self, token: String) -> StreamableHttpClientTransport<reqwest::Client> {
        StreamableHttpClientTransport::from_config(
            StreamableHttpClientTransportConfig::with_uri(self.url()).auth_header(token),
        )
    }

    /// A 2025-era client of `subject`, with the tasks extension or without.
    async fn client(&self, subject: &str, tasks: bool) -> RunningService<RoleClient, ClientConfig> {
        let capabilities = if tasks {
            ClientCapabilities::builder().enable_tasks().build()
        } else {
            ClientCapabilities::default()
        };
        let config = ClientConfig::new(capabilities, Implementation::new(subject, "0.1"));
        let transport = self.transport(self.token(subject).await);
        config.serve(transport).await.expect("initialize")
    }
}

fn params(tool: &str, args: Value) -> CallToolRequestParams {
    CallToolRequestParams::new(tool.to_owned()).with_arguments(object(args))
}

async fn call(
    client: &RunningService<RoleClient, ClientConfig>,
    tool: &str,
    args: Value,
) -> CallToolResult {
    client
        .call_tool(params(tool, args))
        .await
        .expect("an answer")
}

fn json_of(result: &CallToolResult) -> Value {
    serde_json::from_str(&text(result)).unwrap_or(Value::Null)
}

#[tokio::test]
async fn the_agent_sees_the_callers_subject_client_and_scopes() {
    let fixture = Fixture::start().await;
    for era in [Era::Legacy, Era::Stateless] {
        let client = connect(fixture.transport(fixture.token("alice").await), era).await;
        let result = client
            .call_tool(params("whoami", json!({})))
            .await
            .expect("an answer");
        assert_eq!(
            json_of(&result),
            json!({"subject": "alice", "client": "alice-app", "scopes": ["mcp"]}),
            "{era:?}"
        );
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn another_principal_cannot_list_read_resume_or_cancel_a_run_through_the_workflows_tools() {
    let fixture = Fixture::start().await;
    let alice = fixture.client("alice", false).await;
    let bob = fixture.client("bob", false).await;
    let started = call(
        &alice,
        "workflows-run",
        json!({"workflow_name": "publish", "run_parameters": {"title": "q3"}}),
    )
    .await;
    let run_id = json_of(&started)["run_id"]
        .as_str()
        .expect("a run id")
        .to_owned();

    let listed = call(&bob, "workflows-runs-list", json!({})).await;
    assert_eq!(
        json_of(&listed)["runs"],
        json!([]),
        "bob lists none of alice's runs"
    );
    for (tool, args) in [
        ("workflows-get_status", json!({"run_id": run_id})),
        (
            "workflows-resume",
            json!({"run_id": run_id, "signal_name": "approval", "payload": {"approved": true}}),
        ),
        ("workflows-cancel", json!({"run_id": run_id})),
    ] {
        let refused = call(&bob, tool, args).await;
        assert_eq!(refused.is_error, Some(true), "{tool}: {refused:?}");
        assert!(
            text(&refused).contains("no workflow run"),
            "{tool}: {}",
            text(&refused)
        );
    }

    let listed = call(&alice, "workflows-runs-list", json!({})).await;
    assert_eq!(json_of(&listed)["runs"][0]["run_id"], run_id);
    let resumed = call(
        &alice,
        "workflows-resume",
        json!({"run_id": run_id, "signal_name": "approval", "payload": {"approved": true}}),
    )
    .await;
    assert_ne!(resumed.is_error, Some(true), "{resumed:?}");
    let mut output = Value::Null;
    for _ in 0..100 {
        let status =
            json_of(&call(&alice, "workflows-get_status", json!({"run_id": run_id})).await);
        if status["status"] == "completed" {
            output = status;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        output.to_string().contains("q3 approved=true for alice"),
        "the run's agents see the principal that started it: {output}"
    );
    let cancelled = call(&bob, "workflows-cancel", json!({"run_id": run_id})).await;
    assert_eq!(cancelled.is_error, Some(true));
}

#[tokio::test]
async fn another_principal_cannot_get_update_or_cancel_a_task() {
    let fixture = Fixture::start().await;
    let alice = fixture.client("alice", true).await;
    let bob = fixture.client("bob", true).await;
    let response = alice
        .call_tool_once(params("publish", json!({"title": "q4"})))
        .await
        .unwrap();
    let CallToolResponse::Task(created) = response else {
        panic!("a run waiting for input becomes a task: {response:?}");
    };
    let task_id = created.task.task_id.clone();
    let accepted: InputResponses = [(
        "approval".to_owned(),
        json!({"action": "accept", "content": {"approved": true}}),
    )]
    .into();

    let get = bob
        .get_task(GetTaskParams::new(task_id.clone()))
        .await
        .unwrap_err();
    assert!(get.to_string().contains("no workflow run"), "{get}");
    let update = bob
        .update_task(UpdateTaskParams::new(task_id.clone(), accepted.clone()))
        .await
        .unwrap_err();
    assert!(update.to_string().contains("no workflow run"), "{update}");
    let cancel = bob
        .cancel_task(CancelTaskParams::new(task_id.clone()))
        .await
        .unwrap_err();
    assert!(cancel.to_string().contains("no workflow run"), "{cancel}");

    let task = alice
        .get_task(GetTaskParams::new(task_id.clone()))
        .await
        .unwrap();
    assert_eq!(
        task.task.status(),
        TaskStatus::InputRequired,
        "bob changed nothing"
    );
    alice
        .update_task(UpdateTaskParams::new(task_id.clone(), accepted))
        .await
        .unwrap();
    alice
        .cancel_task(CancelTaskParams::new(task_id))
        .await
        .unwrap();
}

#[tokio::test]
async fn another_principal_cannot_get_update_or_cancel_an_agents_task() {
    let fixture = Fixture::start().await;
    let alice = fixture.client("alice", true).await;
    let bob = fixture.client("bob", true).await;
    let response = alice
        .call_tool_once(params("slow_report", json!({})))
        .await
        .unwrap();
    let CallToolResponse::Task(created) = response else {
        panic!("a task agent's call becomes a task: {response:?}");
    };
    let task_id = created.task.task_id.clone();

    let get = bob
        .get_task(GetTaskParams::new(task_id.clone()))
        .await
        .unwrap_err();
    // Unknown to bob, as if it did not exist.
    assert!(get.to_string().contains("-32602"), "{get}");
    let update = bob
        .update_task(UpdateTaskParams::new(
            task_id.clone(),
            InputResponses::new(),
        ))
        .await
        .unwrap_err();
    assert!(update.to_string().contains("-32602"), "{update}");
    let cancel = bob
        .cancel_task(CancelTaskParams::new(task_id.clone()))
        .await
        .unwrap_err();
    assert!(cancel.to_string().contains("-32602"), "{cancel}");

    // Bob's cancel changed nothing: alice's task finishes, as alice.
    let result = loop {
        let task = alice
            .get_task(GetTaskParams::new(task_id.clone()))
            .await
            .unwrap();
        match task.task.status() {
            TaskStatus::Working => tokio::time::sleep(Duration::from_millis(50)).await,
            TaskStatus::Completed => break task,
            other => panic!("the task ended {other:?}"),
        }
    };
    let text = serde_json::to_string(&result).unwrap();
    assert!(text.contains("alice"), "{text}");
}

#[tokio::test]
async fn a_request_state_from_one_principal_is_refused_for_another() {
    let fixture = Fixture::start().await;
    let asking = || {
        let mut capabilities = ClientCapabilities::default();
        capabilities.elicitation =
            Some(ElicitationCapability::new().with_form(FormElicitationCapability::default()));
        ClientConfig::new(capabilities, Implementation::new("asker", "0.1"))
    };
    let alice_token = fixture.token("alice").await;
    let alice = connect_as(asking(), fixture.transport(alice_token), Era::Stateless).await;
    let bob_token = fixture.token("bob").await;
    let bob = connect_as(asking(), fixture.transport(bob_token), Era::Stateless).await;
    let first = alice
        .call_tool_once(params("order", json!({})))
        .await
        .unwrap();
    let CallToolResponse::InputRequired(input) = first else {
        panic!("the first round asks for input: {first:?}");
    };
    let state = input.request_state.clone().expect("a request state");
    let key = input
        .input_requests
        .as_ref()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let answers: InputResponses = [(
        key,
        json!({"action": "accept", "content": {"pizza": "margherita"}}),
    )]
    .into();
    let retry = || {
        let mut retry = params("order", json!({}));
        retry.request_state = Some(state.clone());
        retry.input_responses = Some(answers.clone());
        retry
    };
    let stolen = bob.call_tool_once(retry()).await.unwrap_err();
    assert!(stolen.to_string().contains("requestState"), "{stolen}");
    match alice.call_tool_once(retry()).await.unwrap() {
        CallToolResponse::Complete(result) => assert_eq!(text(&result), "margherita"),
        other => panic!("alice's retry completes: {other:?}"),
    }
}

#[tokio::test]
async fn a_session_opened_by_one_principal_is_unknown_to_another() {
    let fixture = Fixture::start().await;
    let post = |token: String, session: Option<String>, body: Value| {
        let mut request = reqwest::Client::new()
            .post(fixture.url())
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("authorization", format!("Bearer {token}"))
            .body(body.to_string());
        if let Some(session) = session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", "2025-11-25");
        }
        request.send()
    };
    let alice = fixture.token("alice").await;
    let bob = fixture.token("bob").await;
    let opened = post(
        alice.clone(),
        None,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "alice", "version": "1"}}}),
    )
    .await
    .unwrap();
    assert!(opened.status().is_success());
    let session = opened.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let stolen = post(bob, Some(session.clone()), list.clone())
        .await
        .unwrap();
    assert_eq!(stolen.status(), reqwest::StatusCode::NOT_FOUND);
    let own = post(alice, Some(session), list).await.unwrap();
    assert!(own.status().is_success(), "{}", own.status());
}
