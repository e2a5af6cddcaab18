//! MCP tasks of agents and workflows (SEP-2663) and missing client
//! capabilities (SEP-2575), against rmcp's client over streamable HTTP in
//! the 2026-07-28 protocol: what the conformance suite 0.2 checks, proven
//! with a second client.

#![allow(deprecated)] // Sampling is deprecated by SEP-2577, still in 2026.

mod support;

use std::time::Duration;

use agentwire::prelude::*;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::ClientHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelTaskParams, ClientCapabilities, ClientInfo,
    ElicitationCapability, ErrorCode, FormElicitationCapability, GetTaskParams, Implementation,
    InputResponses, TaskPayload, TaskStatus, UpdateTaskParams, object,
};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support::{Era, connect_as};

/// A name.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Name {
    name: String,
}

/// Asks for a name, then works on as a task.
#[agent(task = "required")]
async fn greet_later(ctx: &AgentContext) -> Result<String, ClientRequestError> {
    let answer = ctx.keyed("who").elicit::<Name>("Who are you?").await?;
    let name = answer.accepted().map_or_else(String::new, |n| n.name);
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(format!("Hello later, {name}"))
}

/// Works a moment (so it becomes a task), then asks two questions at once.
#[agent(task = "optional")]
async fn asks_late(ctx: &AgentContext) -> Result<String, ClientRequestError> {
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (first, second) = tokio::join!(
        ctx.keyed("first").elicit::<Name>("First name?"),
        ctx.keyed("second").elicit::<Name>("Second name?"),
    );
    let name = |answer: Elicitation<Name>| answer.accepted().map_or_else(String::new, |n| n.name);
    Ok(format!("{} and {}", name(first?), name(second?)))
}

/// Needs the client's model.
#[agent]
async fn needs_a_model(ctx: &AgentContext) -> Result<String, ClientRequestError> {
    let answer = ctx.sample(SamplingRequest::new("hi").max_tokens(5)).await?;
    Ok(answer.text())
}

/// Breaks after a moment: its task fails rather than completes.
#[workflow]
async fn breaks(ctx: &WorkflowContext) -> Result<String, WorkflowError> {
    ctx.sleep(Duration::from_millis(1200)).await?;
    panic!("broken on purpose");
}

/// A client of the 2026 protocol declaring form elicitation and, with
/// `tasks`, the tasks extension; it answers nothing itself (the tests
/// drive the rounds).
#[derive(Clone)]
struct Declaring {
    tasks: bool,
}

impl ClientHandler for Declaring {
    fn get_info(&self) -> ClientInfo {
        let mut capabilities = if self.tasks {
            ClientCapabilities::builder().enable_tasks().build()
        } else {
            ClientCapabilities::default()
        };
        capabilities.elicitation =
            Some(ElicitationCapability::new().with_form(FormElicitationCapability::default()));
        ClientInfo::new(capabilities, Implementation::new("declaring-client", "0.1"))
    }
}

async fn start() -> HttpServer {
    let registry = Registry::collect().expect("agents are registered");
    let server = AgentServer::new(registry, ServerIdentity::new("tasks-test", "1.0.0"));
    HttpServer::bind(
        server,
        "127.0.0.1:0".parse().unwrap(),
        HttpOptions::default(),
    )
    .await
    .expect("bind a free loopback port")
}

async fn connect(server: &HttpServer, tasks: bool) -> RunningService<RoleClient, Declaring> {
    let transport =
        StreamableHttpClientTransport::from_uri(format!("http://{}/mcp", server.local_addr()));
    connect_as(Declaring { tasks }, transport, Era::Stateless).await
}

fn call(tool: &'static str) -> CallToolRequestParams {
    CallToolRequestParams::new(tool).with_arguments(object(json!({})))
}

/// The JSON-RPC error of a failed request.
fn rpc_error(error: ServiceError) -> rmcp::ErrorData {
    match error {
        ServiceError::McpError(error) => error,
        other => panic!("expected a JSON-RPC error, got {other}"),
    }
}

/// Polls `task_id` until it leaves `working`.
async fn settled(
    client: &RunningService<RoleClient, Declaring>,
    task_id: &str,
) -> rmcp::model::GetTaskResult {
    for _ in 0..200 {
        let task = client
            .get_task(GetTaskParams::new(task_id.to_owned()))
            .await
            .expect("tasks/get");
        if task.task.status() != TaskStatus::Working {
            return task;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("task {task_id} stays working");
}

#[tokio::test]
async fn a_task_agent_gathers_input_in_the_request_then_finishes_as_a_task() {
    let server = start().await;
    let client = connect(&server, true).await;

    let first = client.call_tool_once(call("greet_later")).await.unwrap();
    let CallToolResponse::InputRequired(asked) = first else {
        panic!("the question comes first, in the request: {first:?}");
    };
    let requests = asked.input_requests.expect("a question");
    assert_eq!(requests.keys().collect::<Vec<_>>(), ["who"]);

    let answers: InputResponses = [(
        "who".to_owned(),
        json!({"action": "accept", "content": {"name": "Ada"}}),
    )]
    .into();
    let mut retry = call("greet_later");
    retry.input_responses = Some(answers);
    retry.request_state = asked.request_state;
    let second = client.call_tool_once(retry).await.unwrap();
    let CallToolResponse::Task(created) = second else {
        panic!("the answered call becomes a task: {second:?}");
    };
    assert_eq!(created.task.status, TaskStatus::Working);
    assert!(created.task.ttl_ms.is_some());

    let task_id = created.task.task_id.clone();
    let done = settled(&client, &task_id).await;
    let TaskPayload::Completed { result } = &done.task.payload else {
        panic!("{done:?}");
    };
    assert_eq!(
        result["content"][0]["text"], "Hello later, Ada",
        "{result:?}"
    );
    // Cancelling a finished task is acknowledged and changes nothing.
    client
        .cancel_task(CancelTaskParams::new(task_id.clone()))
        .await
        .unwrap();
    let after = settled(&client, &task_id).await;
    assert_eq!(after.task.status(), TaskStatus::Completed);

    // An id nobody issued is the client's mistake (-32602).
    let unknown = client
        .get_task(GetTaskParams::new("no-such-task".to_owned()))
        .await
        .unwrap_err();
    assert_eq!(rpc_error(unknown).code, ErrorCode::INVALID_PARAMS);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_task_that_asks_waits_in_input_required_until_every_answer_is_in() {
    let server = start().await;
    let client = connect(&server, true).await;
    let response = client.call_tool_once(call("asks_late")).await.unwrap();
    let CallToolResponse::Task(created) = response else {
        panic!("a call that works a while becomes a task: {response:?}");
    };
    let task_id = created.task.task_id;
    let waiting = settled(&client, &task_id).await;
    let TaskPayload::InputRequired { input_requests } = &waiting.task.payload else {
        panic!("{waiting:?}");
    };
    let mut keys: Vec<_> = input_requests.keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["first", "second"]);

    let answer = |key: &str, name: &str| -> InputResponses {
        [(
            key.to_owned(),
            json!({"action": "accept", "content": {"name": name}}),
        )]
        .into()
    };
    client
        .update_task(UpdateTaskParams::new(
            task_id.clone(),
            answer("first", "Ada"),
        ))
        .await
        .unwrap();
    let partly = settled(&client, &task_id).await;
    let TaskPayload::InputRequired { input_requests } = &partly.task.payload else {
        panic!("one answer of two keeps the task waiting: {partly:?}");
    };
    assert_eq!(input_requests.keys().collect::<Vec<_>>(), ["second"]);

    client
        .update_task(UpdateTaskParams::new(
            task_id.clone(),
            answer("second", "Grace"),
        ))
        .await
        .unwrap();
    let mut outcome = None;
    for _ in 0..200 {
        let task = settled(&client, &task_id).await;
        if let TaskPayload::Completed { result } = &task.task.payload {
            outcome = Some(result["content"][0]["text"].clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(outcome, Some(json!("Ada and Grace")));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_client_without_the_tasks_extension_is_told_what_it_lacks() {
    let server = start().await;
    let client = connect(&server, false).await;

    let error = rpc_error(
        client
            .call_tool_once(call("greet_later"))
            .await
            .unwrap_err(),
    );
    assert_eq!(error.code, ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY);
    let data = error.data.expect("the data names the capability");
    assert_eq!(
        data["requiredCapabilities"]["extensions"]["io.modelcontextprotocol/tasks"],
        json!({}),
        "{data}"
    );

    let error = rpc_error(
        client
            .get_task(GetTaskParams::new("anything".to_owned()))
            .await
            .unwrap_err(),
    );
    assert_eq!(error.code, ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_agent_that_fails_for_want_of_sampling_is_a_missing_capability_error() {
    let server = start().await;
    let client = connect(&server, false).await;
    let error = rpc_error(
        client
            .call_tool_once(call("needs_a_model"))
            .await
            .unwrap_err(),
    );
    assert_eq!(error.code, ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY);
    let data: Value = error.data.expect("the data names the capability");
    assert_eq!(
        data["requiredCapabilities"]["sampling"],
        json!({}),
        "{data}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_workflow_that_breaks_is_a_failed_task_with_an_error_not_a_result() {
    let server = start().await;
    let client = connect(&server, true).await;
    let response = client.call_tool_once(call("breaks")).await.unwrap();
    let CallToolResponse::Task(created) = response else {
        panic!("a second-long run becomes a task: {response:?}");
    };
    let done = settled(&client, &created.task.task_id).await;
    assert_eq!(done.task.status(), TaskStatus::Failed);
    let TaskPayload::Failed { error } = &done.task.payload else {
        panic!("{done:?}");
    };
    assert_eq!(error["code"], ErrorCode::INTERNAL_ERROR.0, "{error:?}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("broken on purpose")),
        "{error:?}"
    );
    server.shutdown().await.unwrap();
}
