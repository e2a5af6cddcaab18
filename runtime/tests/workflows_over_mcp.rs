//! Workflows seen by MCP clients (rmcp's, over an in-process pipe): a client
//! with the tasks extension gets a task, answers its input request with
//! `tasks/update`, and reads the result with `tasks/get`, also after the
//! server restarted; a client without tasks uses the `workflows-*` tools.

use std::sync::Arc;
use std::time::Duration;

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::workflow::store::{JournalStore, MemoryStore};
use agentwire::workflow::{BackendKind, WorkflowSettings};
use agentwire::{AgentDefinition, AgentServer, Registry, ServerIdentity};
use rmcp::ServiceExt;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CancelTaskParams, ClientCapabilities,
    ClientConfig, GetTaskParams, Implementation, InputResponses, TaskPayload, TaskStatus,
    UpdateTaskParams, object,
};
use rmcp::service::{RoleClient, RunningService};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
struct Approval {
    approved: bool,
}

/// Drafts, waits for approval, publishes.
#[workflow]
async fn publish(ctx: &WorkflowContext, title: String) -> Result<String, WorkflowError> {
    let draft = ctx
        .step("draft", || async {
            Ok::<_, std::io::Error>(format!("draft of {title}"))
        })
        .await?;
    let approval: Approval = ctx.wait_for("approval", Duration::from_secs(60)).await?;
    Ok(if approval.approved {
        format!("published {draft}")
    } else {
        format!("shelved {draft}")
    })
}

/// Finishes at once.
#[workflow]
async fn quick(ctx: &WorkflowContext, n: u32) -> Result<u32, WorkflowError> {
    ctx.step("double", || async move { Ok::<_, std::io::Error>(n * 2) })
        .await
}

/// An agent, so that the registry also has a plain tool.
#[agent]
async fn echo(text: String) -> String {
    text
}

const DEFINITIONS: [&AgentDefinition; 3] =
    [publish::DEFINITION, quick::DEFINITION, echo::DEFINITION];

fn server(store: Arc<dyn JournalStore>) -> AgentServer {
    let settings = WorkflowSettings {
        backend: BackendKind::Memory,
        task_after: Duration::from_millis(300),
        ..WorkflowSettings::default()
    };
    AgentServer::with_workflow_store(
        Registry::from_definitions(DEFINITIONS).unwrap(),
        ServerIdentity::new("mcp-workflows", "0.0.1"),
        &Config::default(),
        store,
        &settings,
    )
}

async fn client(server: AgentServer, tasks: bool) -> RunningService<RoleClient, ClientConfig> {
    let (client_end, server_end) = tokio::io::duplex(256 * 1024);
    tokio::spawn(async move {
        let (read, write) = tokio::io::split(server_end);
        if let Ok(running) = server.serve((read, write)).await {
            let _ = running.waiting().await;
        }
    });
    let capabilities = if tasks {
        ClientCapabilities::builder().enable_tasks().build()
    } else {
        ClientCapabilities::default()
    };
    let config = ClientConfig::new(capabilities, Implementation::new("test-client", "0.1"));
    let (read, write) = tokio::io::split(client_end);
    config.serve((read, write)).await.expect("initialize")
}

fn params(tool: &'static str, args: Value) -> CallToolRequestParams {
    CallToolRequestParams::new(tool).with_arguments(object(args))
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect()
}

#[tokio::test]
async fn a_client_with_tasks_follows_a_long_run_as_a_task_across_a_restart() {
    let store: Arc<dyn JournalStore> = Arc::new(MemoryStore::new());
    let first = server(store.clone());
    let backend = first.workflow_backend().unwrap().clone();
    let client1 = client(first, true).await;

    // A quick run is answered with its result, no task.
    let quick = client1
        .call_tool_once(params("quick", json!({"n": 21})))
        .await
        .unwrap();
    let CallToolResponse::Complete(result) = quick else {
        panic!("a quick run is answered directly: {quick:?}");
    };
    assert_eq!(text(&result), "42");

    let response = client1
        .call_tool_once(params("publish", json!({"title": "notes"})))
        .await
        .unwrap();
    let CallToolResponse::Task(created) = response else {
        panic!("a run waiting for input becomes a task: {response:?}");
    };
    assert_eq!(created.task.status, TaskStatus::InputRequired);
    let task_id = created.task.task_id.clone();
    let task = client1
        .get_task(GetTaskParams::new(task_id.clone()))
        .await
        .unwrap();
    assert_eq!(task.task.status(), TaskStatus::InputRequired);
    let TaskPayload::InputRequired { input_requests } = &task.task.payload else {
        panic!("{task:?}");
    };
    let request = serde_json::to_value(&input_requests["approval"]).unwrap();
    assert_eq!(request["method"], "elicitation/create", "{request}");
    assert_eq!(
        request["params"]["requestedSchema"]["properties"]["approved"]["type"], "boolean",
        "{request}"
    );

    // The server restarts (same store); the task is still there.
    backend.shutdown();
    drop(client1);
    let second = server(store.clone());
    second.recover_workflows().await.unwrap();
    let client2 = client(second, true).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let task = client2
        .get_task(GetTaskParams::new(task_id.clone()))
        .await
        .unwrap();
    assert_eq!(task.task.status(), TaskStatus::InputRequired);

    let declined: InputResponses = [("approval".to_owned(), json!({"action": "decline"}))].into();
    let refused = client2
        .update_task(UpdateTaskParams::new(task_id.clone(), declined))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("keeps waiting"), "{refused}");

    let accepted: InputResponses = [(
        "approval".to_owned(),
        json!({"action": "accept", "content": {"approved": true}}),
    )]
    .into();
    client2
        .update_task(UpdateTaskParams::new(task_id.clone(), accepted))
        .await
        .unwrap();
    let mut status = TaskStatus::Working;
    for _ in 0..100 {
        let task = client2
            .get_task(GetTaskParams::new(task_id.clone()))
            .await
            .unwrap();
        status = task.task.status();
        if let TaskPayload::Completed { result } = &task.task.payload {
            assert_eq!(
                result["content"][0]["text"], "published draft of notes",
                "{result:?}"
            );
            assert_eq!(result["isError"], false);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, TaskStatus::Completed);
    // Cancelling a finished task is acknowledged; an unknown one is an error.
    client2
        .cancel_task(CancelTaskParams::new(task_id))
        .await
        .unwrap();
    let unknown = client2
        .get_task(GetTaskParams::new("no-such-task"))
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("no workflow run"), "{unknown}");
}

#[tokio::test]
async fn a_client_without_tasks_manages_runs_with_the_workflows_tools() {
    let client = client(server(Arc::new(MemoryStore::new())), false).await;
    let tools: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    for name in [
        "publish",
        "quick",
        "echo",
        "workflows-list",
        "workflows-run",
        "workflows-get_status",
        "workflows-resume",
        "workflows-cancel",
        "workflows-runs-list",
    ] {
        assert!(tools.contains(&name.to_owned()), "{name} in {tools:?}");
    }

    // Calling the workflow's tool waits; a run that needs input says how to go on.
    let waiting = client
        .call_tool(params("publish", json!({"title": "a"})))
        .await
        .unwrap();
    assert_ne!(waiting.is_error, Some(true));
    let handle = waiting.structured_content.clone().unwrap();
    assert_eq!(handle["status"], "input_required", "{handle}");
    assert!(
        text(&waiting).contains("workflows-resume"),
        "{}",
        text(&waiting)
    );
    let run_id = handle["run_id"].as_str().unwrap().to_owned();

    let listed = client
        .call_tool(params("workflows-list", json!({})))
        .await
        .unwrap();
    let workflows = listed.structured_content.unwrap()["workflows"].clone();
    assert_eq!(workflows.as_array().unwrap().len(), 2, "{workflows}");

    // A payload goes only to a wait of its own name: without a name it is
    // refused, naming the wait the run is in...
    let unnamed = client
        .call_tool(params(
            "workflows-resume",
            json!({"run_id": run_id, "payload": {"approved": true}}),
        ))
        .await
        .unwrap();
    assert_eq!(unnamed.is_error, Some(true), "{unnamed:?}");
    assert!(
        text(&unnamed).contains("signal_name") && text(&unnamed).contains("`approval`"),
        "{}",
        text(&unnamed)
    );
    // ...and under another name it is kept for a later wait, not given to
    // this one; the answer says which wait the run is in.
    let misnamed = client
        .call_tool(params(
            "workflows-resume",
            json!({"run_id": run_id, "signal_name": "aproval", "payload": {"approved": true}}),
        ))
        .await
        .unwrap();
    let misnamed = misnamed.structured_content.unwrap();
    assert_eq!(misnamed["queued"], true, "{misnamed}");
    assert_eq!(misnamed["delivered_to"], Value::Null, "{misnamed}");
    assert_eq!(misnamed["status"], "input_required", "{misnamed}");
    assert_eq!(misnamed["waiting_for"], json!(["approval"]), "{misnamed}");
    let resume = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "workflows-resume")
        .unwrap();
    let required = resume.input_schema.get("required").cloned();
    assert!(
        required
            .as_ref()
            .and_then(Value::as_array)
            .is_some_and(|r| r.contains(&json!("signal_name"))),
        "{required:?}"
    );

    let bad = client
        .call_tool(params(
            "workflows-resume",
            json!({"run_id": run_id, "signal_name": "approval", "payload": {"approved": 1}}),
        ))
        .await
        .unwrap();
    assert_eq!(bad.is_error, Some(true));
    assert!(text(&bad).contains("does not fit"), "{}", text(&bad));

    let resumed = client
        .call_tool(params(
            "workflows-resume",
            json!({"run_id": run_id, "signal_name": "approval", "payload": {"approved": false}}),
        ))
        .await
        .unwrap();
    assert_eq!(
        resumed.structured_content.unwrap()["delivered_to"],
        "approval"
    );
    let mut status = Value::Null;
    for _ in 0..100 {
        status = client
            .call_tool(params("workflows-get_status", json!({"run_id": run_id})))
            .await
            .unwrap()
            .structured_content
            .unwrap();
        if status["status"] == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status["result"], "shelved draft of a", "{status}");
    assert!(
        status["budget_used"]["calls"].as_u64().unwrap() >= 1,
        "{status}"
    );

    // workflows-run starts runs at once; runs-list pages through them.
    let mut started = vec![run_id.clone()];
    for n in 0..4 {
        let run = client
            .call_tool(params(
                "workflows-run",
                json!({"workflow_name": "quick", "run_parameters": {"n": n}}),
            ))
            .await
            .unwrap()
            .structured_content
            .unwrap();
        started.push(run["run_id"].as_str().unwrap().to_owned());
    }
    let cancelled = client
        .call_tool(params(
            "workflows-run",
            json!({"workflow_name": "publish", "run_parameters": {"title": "b"}}),
        ))
        .await
        .unwrap()
        .structured_content
        .unwrap();
    let cancel_id = cancelled["run_id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let cancel = client
        .call_tool(params("workflows-cancel", json!({"run_id": cancel_id})))
        .await
        .unwrap();
    assert_eq!(cancel.structured_content.unwrap()["status"], "cancelled");
    started.push(cancel_id);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut args = json!({"limit": 2});
        if let Some(cursor) = &cursor {
            args["cursor"] = cursor.clone().into();
        }
        let page = client
            .call_tool(params("workflows-runs-list", args))
            .await
            .unwrap()
            .structured_content
            .unwrap();
        pages += 1;
        for run in page["runs"].as_array().unwrap() {
            seen.push(run["run_id"].as_str().unwrap().to_owned());
        }
        match page.get("next_cursor").and_then(Value::as_str) {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    seen.sort();
    started.sort();
    assert_eq!(seen, started);

    let bad_cursor = client
        .call_tool(params("workflows-runs-list", json!({"cursor": "nonsense"})))
        .await
        .unwrap();
    assert_eq!(bad_cursor.is_error, Some(true));
    let missing = client
        .call_tool(params("workflows-get_status", json!({"run_id": "nope"})))
        .await
        .unwrap();
    assert_eq!(missing.is_error, Some(true));
    assert!(
        text(&missing).contains("no workflow run `nope`"),
        "{}",
        text(&missing)
    );
    let wrong = client
        .call_tool(params("workflows-run", json!({"workflow_name": "echo"})))
        .await
        .unwrap();
    assert!(
        text(&wrong).contains("there is no workflow `echo`"),
        "{}",
        text(&wrong)
    );
    let bad_args = client
        .call_tool(params("quick", json!({"n": "two"})))
        .await
        .unwrap();
    assert_eq!(bad_args.is_error, Some(true));
    assert!(text(&bad_args).contains("`n`"), "{}", text(&bad_args));
}

#[tokio::test]
async fn a_server_without_workflows_offers_neither_tasks_nor_workflows_tools() {
    let server = AgentServer::new(
        Registry::from_definitions([echo::DEFINITION]).unwrap(),
        ServerIdentity::new("plain", "0.0.1"),
    );
    let client = client(server, true).await;
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 1);
    let info = client.peer_info().unwrap();
    assert!(!info.capabilities.supports_tasks());
}
