//! Workflows over MCP: a `tools/call` of a workflow, answered with the
//! result when the run finishes soon, else with an MCP task (extension
//! `io.modelcontextprotocol/tasks`) whose id is the run's id; and
//! `tasks/get`, `tasks/update`, `tasks/cancel` on those tasks, read from the
//! store, so a task survives a restart of the server.

use rmcp::ErrorData;
use rmcp::model::{
    CallToolResponse, CallToolResult, CancelTaskParams, CreateTaskResult, DetailedTask,
    GetTaskParams, GetTaskResult, InputRequest, InputRequests, InputResponses, JsonObject,
    TASKS_EXTENSION_ID, Task, TaskPayload, TaskStatus, UpdateTaskParams,
};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::{Value, json};

use super::caller::{owned_run, principal_of};
use super::workflow_tools as tools;
use super::{AgentServer, Workflows};
use crate::agent::Principal;
use crate::agent::definition::AgentDefinition;
use crate::agent::output::{error_result, tool_result};
use crate::budget::Budget;
use crate::mcp::meta::{ERROR_KEY, USAGE_KEY, budget_error_value};
use crate::workflow::backend::{ControlError, RunView};
use crate::workflow::record::RunStatus;
use crate::workflow::time::rfc3339;

/// Whether the client declared the tasks extension (SEP-2663), at
/// `initialize` or in the request's `_meta`.
pub fn client_has_tasks(context: &RequestContext<RoleServer>) -> bool {
    context
        .client_capabilities()
        .is_some_and(|capabilities| capabilities.supports_tasks())
}

/// `MissingRequiredClientCapabilityError` (-32021) naming the tasks
/// extension: for a client that did not declare it and calls `tasks/*` or a
/// tool that only runs as a task.
pub fn tasks_required() -> ErrorData {
    let required = json!({ "extensions": { TASKS_EXTENSION_ID: {} } });
    ErrorData::missing_required_client_capability(
        serde_json::from_value(required).unwrap_or_default(),
    )
}

/// A task id this server does not know (-32602).
fn unknown_task(task_id: &str) -> ErrorData {
    ErrorData::invalid_params(format!("no task has the id `{task_id}`"), None)
}

/// The tool result of a run that is over.
pub fn final_result(view: &RunView) -> CallToolResult {
    let record = &view.record;
    let mut result = match record.status {
        RunStatus::Completed => tool_result(record.output.clone().unwrap_or(Value::Null)),
        _ => {
            let message = record
                .error
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_else(|| format!("the run is {}", record.status));
            let mut result = error_result(message);
            if let Some(budget) = record.error.as_ref().and_then(|e| e.budget.as_ref()) {
                result.meta.get_or_insert_with(Default::default).insert(
                    ERROR_KEY.into(),
                    budget_error_value(&budget.exceeded, &budget.agent),
                );
            }
            result
        }
    };
    let meta = result.meta.get_or_insert_with(Default::default);
    meta.insert(
        USAGE_KEY.into(),
        serde_json::to_value(view.usage).unwrap_or_default(),
    );
    meta.insert(
        "dev.agentwire/run".into(),
        json!({ "runId": record.run_id }),
    );
    result
}

/// What a client without tasks gets when a run waits for input: not an
/// error, but how to go on.
fn waiting_result(view: &RunView) -> CallToolResult {
    let record = &view.record;
    let waiting_for = view
        .waits
        .first()
        .map(|w| w.name.clone())
        .or_else(|| record.waiting_for.clone())
        .unwrap_or_default();
    let text = format!(
        "Workflow run `{}` of `{}` is waiting for input `{waiting_for}`. Send it with the \
         tool `workflows-resume` ({{\"run_id\": \"{}\", \"signal_name\": \"{waiting_for}\", \
         \"payload\": ...}}), then read the result with `workflows-get_status`.",
        record.run_id, record.workflow, record.run_id
    );
    let mut result = CallToolResult::success(vec![rmcp::model::ContentBlock::text(text)]);
    result.structured_content = Some(tools::status(view));
    result
}

/// The MCP task of a run.
fn task(view: &RunView, workflows: &Workflows) -> Task {
    let record = &view.record;
    let status = match record.status {
        RunStatus::Running => TaskStatus::Working,
        RunStatus::InputRequired => TaskStatus::InputRequired,
        // A run whose workflow returned an error ran as a tool does: its
        // task is completed with an `isError` result. Only a run that broke
        // (a panic, a journal that no longer matches) failed.
        RunStatus::Failed if broke(view) => TaskStatus::Failed,
        RunStatus::Completed | RunStatus::Failed => TaskStatus::Completed,
        RunStatus::Cancelled => TaskStatus::Cancelled,
    };
    let mut task = Task::new(
        record.run_id.clone(),
        status,
        rfc3339(record.created_ms),
        rfc3339(record.updated_ms),
    )
    .with_poll_interval_ms(workflows.poll_interval.as_millis() as u64)
    .with_ttl_ms(workflows.retain_finished.as_millis() as u64);
    let message = match record.status {
        RunStatus::Running => view
            .current_step
            .as_ref()
            .map(|step| format!("running `{step}`")),
        RunStatus::InputRequired => Some(format!(
            "waiting for input `{}`",
            view.waits
                .first()
                .map(|w| w.name.clone())
                .or_else(|| record.waiting_for.clone())
                .unwrap_or_default()
        )),
        RunStatus::Failed | RunStatus::Cancelled => {
            record.error.as_ref().map(|e| e.message.clone())
        }
        RunStatus::Completed => None,
    };
    if let Some(message) = message {
        task = task.with_status_message(message);
    }
    task
}

/// An elicitation request asking a person for the payload of a wait.
fn elicitation(view: &RunView, name: &str, schema: &Value) -> Option<InputRequest> {
    let message = format!(
        "Workflow `{}` (run {}) waits for `{name}`.",
        view.record.workflow, view.record.run_id
    );
    let request = |schema: &Value| {
        serde_json::from_value::<InputRequest>(json!({
            "method": "elicitation/create",
            "params": { "mode": "form", "message": message, "requestedSchema": schema },
        }))
        .ok()
    };
    let mut schema = schema.clone();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
        object.remove("title");
    }
    // An elicitation form takes flat objects of simple values; anything
    // else is asked for as an open form.
    request(&schema).or_else(|| request(&json!({ "type": "object", "properties": {} })))
}

fn detailed(view: &RunView, workflows: &Workflows) -> DetailedTask {
    let record = &view.record;
    let payload = match record.status {
        RunStatus::Running => TaskPayload::Working,
        RunStatus::InputRequired => {
            let mut requests = InputRequests::new();
            let mut waits: Vec<(String, Value)> = view
                .waits
                .iter()
                .map(|w| (w.name.clone(), w.schema.clone()))
                .collect();
            if waits.is_empty()
                && let Some(name) = &record.waiting_for
            {
                waits.push((name.clone(), json!({ "type": "object" })));
            }
            for (name, schema) in waits {
                if let Some(request) = elicitation(view, &name, &schema) {
                    requests.insert(name, request);
                }
            }
            TaskPayload::InputRequired {
                input_requests: requests,
            }
        }
        RunStatus::Cancelled => TaskPayload::Cancelled,
        RunStatus::Failed if broke(view) => {
            let message = record
                .error
                .as_ref()
                .map_or_else(|| "the run broke".to_owned(), |e| e.message.clone());
            let error =
                json!({ "code": rmcp::model::ErrorCode::INTERNAL_ERROR.0, "message": message });
            TaskPayload::Failed {
                error: error.as_object().cloned().unwrap_or_default(),
            }
        }
        RunStatus::Completed | RunStatus::Failed => {
            let result = serde_json::to_value(final_result(view))
                .ok()
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default();
            TaskPayload::Completed { result }
        }
    };
    DetailedTask::new(task(view, workflows), payload)
}

/// Whether a failed run broke rather than returned its workflow's error.
fn broke(view: &RunView) -> bool {
    view.record.error.as_ref().is_some_and(|error| error.broke)
}

fn control_error(error: ControlError) -> ErrorData {
    match error {
        ControlError::Store(error) => ErrorData::internal_error(error.to_string(), None),
        ControlError::NotFound(_) => ErrorData::invalid_params(error.to_string(), None),
        other => ErrorData::invalid_params(other.to_string(), None),
    }
}

/// Answers a `tools/call` of the workflow `definition`: starts a run, waits
/// for it while the client waits, and answers with its result; a client
/// that supports tasks gets a task instead once `task_after` has passed or
/// the run waits for input.
pub async fn call_workflow(
    workflows: &Workflows,
    definition: &'static AgentDefinition,
    arguments: JsonObject,
    grant: Option<Budget>,
    client_has_tasks: bool,
    cancelled: tokio_util::sync::CancellationToken,
    caller: Option<&Principal>,
) -> Result<CallToolResponse, ErrorData> {
    let backend = &workflows.backend;
    let owner = caller.cloned();
    let record = match backend.start_for(definition, arguments, grant, owner).await {
        Ok(record) => record,
        Err(ControlError::Store(error)) => {
            return Err(ErrorData::internal_error(error.to_string(), None));
        }
        Err(error) => return Ok(error_result(error.to_string()).into()),
    };
    let run_id = record.run_id;
    let within = client_has_tasks.then_some(workflows.task_after);
    // A client that goes away stops waiting; the run goes on.
    let view = tokio::select! {
        view = backend.settle(&run_id, within) => view.map_err(control_error)?,
        () = cancelled.cancelled() => backend.status(&run_id).await.map_err(control_error)?,
    };
    if view.record.status.is_terminal() {
        return Ok(final_result(&view).into());
    }
    if client_has_tasks {
        return Ok(CreateTaskResult::new(task(&view, workflows)).into());
    }
    if view.record.status == RunStatus::InputRequired {
        return Ok(waiting_result(&view).into());
    }
    // The request was cancelled while the run goes on.
    let mut result = waiting_result(&view);
    result.content = vec![rmcp::model::ContentBlock::text(format!(
        "Workflow run `{run_id}` goes on; read its result with `workflows-get_status`."
    ))];
    Ok(result.into())
}

/// `tasks/get`.
pub async fn get(
    workflows: &Workflows,
    task_id: &str,
    caller: Option<&Principal>,
) -> Result<DetailedTask, ErrorData> {
    let view = owned_run(workflows.backend.as_ref(), task_id, caller)
        .await
        .map_err(control_error)?;
    Ok(detailed(&view, workflows))
}

/// `tasks/update`: each response goes to the wait of the same name. An
/// elicitation result's `content` is the payload; a declined one is refused.
pub async fn update(
    workflows: &Workflows,
    task_id: &str,
    responses: InputResponses,
    caller: Option<&Principal>,
) -> Result<(), ErrorData> {
    owned_run(workflows.backend.as_ref(), task_id, caller)
        .await
        .map_err(control_error)?;
    for (name, response) in responses {
        let payload = match response.get("action").and_then(Value::as_str) {
            Some("accept") => response.get("content").cloned().unwrap_or(json!({})),
            Some(other) => {
                return Err(ErrorData::invalid_params(
                    format!(
                        "the input for `{name}` was not given (action `{other}`); the run \
                         keeps waiting"
                    ),
                    None,
                ));
            }
            None => response,
        };
        workflows
            .backend
            .resume(task_id, name, payload)
            .await
            .map_err(control_error)?;
    }
    Ok(())
}

/// `tasks/cancel`.
pub async fn cancel(
    workflows: &Workflows,
    task_id: &str,
    caller: Option<&Principal>,
) -> Result<(), ErrorData> {
    owned_run(workflows.backend.as_ref(), task_id, caller)
        .await
        .map_err(control_error)?;
    match workflows.backend.cancel(task_id).await {
        Ok(_) => Ok(()),
        // Cancelling a task that is already over is not an error.
        Err(ControlError::Finished { .. }) => Ok(()),
        Err(error) => Err(control_error(error)),
    }
}

impl AgentServer {
    pub(super) async fn serve_get_task(
        &self,
        request: GetTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        let workflows = self.task_workflows(&context)?;
        let caller = principal_of(&context);
        let agent_tasks = &self.shared.agent_tasks;
        if let Some(task) = agent_tasks.detailed(&request.task_id, caller.as_deref()) {
            return Ok(GetTaskResult::new(task));
        }
        let workflows = workflows.ok_or_else(|| unknown_task(&request.task_id))?;
        let task = get(workflows, &request.task_id, caller.as_deref()).await?;
        Ok(GetTaskResult::new(task))
    }

    pub(super) async fn serve_update_task(
        &self,
        request: UpdateTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let workflows = self.task_workflows(&context)?;
        let caller = principal_of(&context);
        let agent_tasks = &self.shared.agent_tasks;
        if agent_tasks
            .update(
                &request.task_id,
                request.input_responses.clone(),
                caller.as_deref(),
            )
            .is_some()
        {
            return Ok(());
        }
        let workflows = workflows.ok_or_else(|| unknown_task(&request.task_id))?;
        update(
            workflows,
            &request.task_id,
            request.input_responses,
            caller.as_deref(),
        )
        .await
    }

    pub(super) async fn serve_cancel_task(
        &self,
        request: CancelTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let workflows = self.task_workflows(&context)?;
        let caller = principal_of(&context);
        let agent_tasks = &self.shared.agent_tasks;
        if agent_tasks
            .cancel(&request.task_id, caller.as_deref())
            .is_some()
        {
            return Ok(());
        }
        let workflows = workflows.ok_or_else(|| unknown_task(&request.task_id))?;
        cancel(workflows, &request.task_id, caller.as_deref()).await
    }

    /// The workflows whose runs are tasks of `tasks/*`, if any: a server
    /// with neither workflows nor task agents has no such methods (-32601);
    /// a client that did not declare the tasks extension may not use them
    /// (-32021, SEP-2663).
    fn task_workflows(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<Option<&Workflows>, ErrorData> {
        let workflows = self.shared.workflows.as_ref();
        if workflows.is_none() && !self.shared.task_agents {
            return Err(ErrorData::method_not_found::<rmcp::model::GetTaskMethod>());
        }
        if !client_has_tasks(context) {
            return Err(tasks_required());
        }
        Ok(workflows)
    }
}
