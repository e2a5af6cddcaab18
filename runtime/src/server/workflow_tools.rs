//! The `workflows-*` tools, for clients without MCP tasks (after
//! mcp-agent's): list workflows, run one, read a run's status, resume it,
//! cancel it, list runs page by page. Everything is read from the store, so
//! statuses and results survive restarts.

use std::borrow::Cow;
use std::sync::Arc;

use rmcp::model::{CallToolResult, JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::Workflows;
use super::caller::{owned_run, owner_filter};
use crate::agent::Principal;
use crate::agent::output::{error_result, tool_result};
use crate::budget::Budget;
use crate::mcp::meta::{ERROR_KEY, budget_error_value};
use crate::registry::Registry;
use crate::workflow::backend::{ControlError, RunView};
use crate::workflow::record::{RunRecord, RunStatus};
use crate::workflow::store::RunQuery;
use crate::workflow::time::rfc3339;

/// `workflows-run`'s arguments.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RunArgs {
    /// The workflow to run (its tool name, as `workflows-list` shows).
    workflow_name: String,
    /// The workflow's arguments, as its input schema describes them.
    #[serde(default)]
    run_parameters: Option<JsonObject>,
}

/// Arguments naming one run.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RunIdArgs {
    /// The run's id, as `workflows-run` returned it.
    run_id: String,
}

/// `workflows-resume`'s arguments.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ResumeArgs {
    /// The run's id.
    run_id: String,
    /// What the run waits for: a signal, or a person's answer.
    payload: Value,
    /// The name of the wait it is for (`waiting_for` in the run's status);
    /// a payload goes only to a wait of its name.
    signal_name: String,
}

/// `workflows-runs-list`'s arguments.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RunsListArgs {
    /// Only runs with this status.
    #[serde(default)]
    status: Option<RunStatus>,
    /// Only runs of this workflow.
    #[serde(default)]
    workflow_name: Option<String>,
    /// At most this many runs (default 20, at most 100).
    #[serde(default)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    cursor: Option<String>,
}

/// `workflows-list` takes no arguments.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

fn input_schema<T: JsonSchema>() -> Arc<JsonObject> {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.meta_schema = None;
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let mut object = match schema.to_value() {
        Value::Object(object) => object,
        _ => JsonObject::new(),
    };
    object.remove("title");
    object.remove("description");
    object.insert("type".into(), "object".into());
    Arc::new(object)
}

fn tool(
    name: &'static str,
    description: &'static str,
    schema: Arc<JsonObject>,
    read_only: bool,
) -> Tool {
    let mut tool = Tool::new_with_raw(name, Some(Cow::Borrowed(description)), schema);
    let mut annotations = ToolAnnotations::new();
    annotations.read_only_hint = Some(read_only);
    annotations.open_world_hint = Some(false);
    tool.annotations = Some(annotations);
    tool
}

/// The management tools, as `tools/list` shows them.
pub fn tools() -> Vec<Tool> {
    vec![
        tool(
            "workflows-list",
            "Lists the workflows this server runs, with their input schemas.",
            input_schema::<NoArgs>(),
            true,
        ),
        tool(
            "workflows-run",
            "Starts a run of a workflow and returns its run_id at once; follow it with \
             workflows-get_status.",
            input_schema::<RunArgs>(),
            false,
        ),
        tool(
            "workflows-get_status",
            "The status of a workflow run (running, input_required, completed, failed, \
             cancelled), its result or error, its current step and the budget it used.",
            input_schema::<RunIdArgs>(),
            true,
        ),
        tool(
            "workflows-resume",
            "Sends a signal or a person's answer to a run, typically one whose status is \
             input_required.",
            input_schema::<ResumeArgs>(),
            false,
        ),
        tool(
            "workflows-cancel",
            "Cancels a workflow run that has not finished.",
            input_schema::<RunIdArgs>(),
            false,
        ),
        tool(
            "workflows-runs-list",
            "Lists workflow runs, newest first, a page at a time.",
            input_schema::<RunsListArgs>(),
            true,
        ),
    ]
}

fn arguments<T: DeserializeOwned>(tool: &str, arguments: JsonObject) -> Result<T, CallToolResult> {
    serde_path_to_error::deserialize(Value::Object(arguments)).map_err(|error| {
        let path = error.path().to_string();
        let at = if path == "." {
            String::new()
        } else {
            format!(" `{path}`")
        };
        error_result(format!(
            "the call to `{tool}` has an invalid argument{at}: {}",
            error.into_inner()
        ))
    })
}

/// Runs the management tool `name`; `None` when `name` is not one.
pub async fn call(
    workflows: &Workflows,
    registry: &Registry,
    name: &str,
    args: JsonObject,
    grant: Option<Budget>,
    caller: Option<&Principal>,
) -> Option<CallToolResult> {
    let backend = workflows.backend.as_ref();
    let result = match name {
        "workflows-list" => arguments::<NoArgs>(name, args).map(|_| list(registry)),
        "workflows-run" => match arguments::<RunArgs>(name, args) {
            Ok(args) => Ok(run(workflows, registry, args, grant, caller).await),
            Err(error) => Err(error),
        },
        "workflows-get_status" => match arguments::<RunIdArgs>(name, args) {
            Ok(args) => Ok(answer(
                owned_run(backend, &args.run_id, caller)
                    .await
                    .map(|v| status(&v)),
            )),
            Err(error) => Err(error),
        },
        "workflows-resume" => match unnamed_signal(backend, &args, caller).await {
            Some(refused) => Err(refused),
            None => match arguments::<ResumeArgs>(name, args) {
                Ok(args) => Ok(resume(workflows, args, caller).await),
                Err(error) => Err(error),
            },
        },
        "workflows-cancel" => match arguments::<RunIdArgs>(name, args) {
            Ok(args) => Ok(answer(
                match owned_run(backend, &args.run_id, caller).await {
                    Ok(_) => backend.cancel(&args.run_id).await.map(|v| status(&v)),
                    Err(error) => Err(error),
                },
            )),
            Err(error) => Err(error),
        },
        "workflows-runs-list" => match arguments::<RunsListArgs>(name, args) {
            Ok(args) => Ok(runs(workflows, args, caller).await),
            Err(error) => Err(error),
        },
        _ => return None,
    };
    Some(result.unwrap_or_else(|error| error))
}

/// The refusal of a `workflows-resume` without `signal_name`, naming the
/// waits the run is in, so the caller can send it again with the right one.
async fn unnamed_signal(
    backend: &dyn crate::workflow::WorkflowBackend,
    args: &JsonObject,
    caller: Option<&Principal>,
) -> Option<CallToolResult> {
    if args.contains_key("signal_name") {
        return None;
    }
    let run_id = args.get("run_id")?.as_str()?;
    let view = match owned_run(backend, run_id, caller).await {
        Ok(view) => view,
        Err(error) => return Some(error_result(error.to_string())),
    };
    let waiting_for = match view.waits.is_empty() {
        false => view.waits.iter().map(|w| w.name.clone()).collect(),
        true => view.record.waiting_for.into_iter().collect(),
    };
    let refused = ControlError::UnnamedSignal {
        run_id: run_id.to_owned(),
        waiting_for,
    };
    Some(error_result(refused.to_string()))
}

fn answer(result: Result<Value, ControlError>) -> CallToolResult {
    match result {
        Ok(value) => tool_result(value),
        Err(error) => error_result(error.to_string()),
    }
}

fn list(registry: &Registry) -> CallToolResult {
    let workflows: Vec<Value> = registry
        .definitions()
        .filter(|d| d.workflow().is_some())
        .map(|d| {
            let tool = d.tool();
            json!({
                "name": d.name,
                "title": d.title,
                "description": d.description,
                "input_schema": Value::Object((*tool.input_schema).clone()),
                "calls": (d.callees)().iter().map(|c| c.name).collect::<Vec<_>>(),
            })
        })
        .collect();
    tool_result(json!({ "workflows": workflows }))
}

async fn run(
    workflows: &Workflows,
    registry: &Registry,
    args: RunArgs,
    grant: Option<Budget>,
    caller: Option<&Principal>,
) -> CallToolResult {
    let Some(definition) = registry
        .get(&args.workflow_name)
        .filter(|d| d.workflow().is_some())
    else {
        let known: Vec<_> = registry
            .definitions()
            .filter(|d| d.workflow().is_some())
            .map(|d| d.name)
            .collect();
        return error_result(format!(
            "there is no workflow `{}`; the workflows are: {}",
            args.workflow_name,
            known.join(", ")
        ));
    };
    let parameters = args.run_parameters.unwrap_or_default();
    let owner = caller.cloned();
    match workflows
        .backend
        .start_for(definition, parameters, grant, owner)
        .await
    {
        Ok(record) => tool_result(json!({
            "run_id": record.run_id,
            "workflow_name": record.workflow,
            "status": record.status,
        })),
        Err(error) => error_result(error.to_string()),
    }
}

async fn resume(
    workflows: &Workflows,
    args: ResumeArgs,
    caller: Option<&Principal>,
) -> CallToolResult {
    let backend = workflows.backend.as_ref();
    if let Err(error) = owned_run(backend, &args.run_id, caller).await {
        return error_result(error.to_string());
    }
    match backend
        .resume(&args.run_id, args.signal_name, args.payload)
        .await
    {
        Ok(resumed) => {
            // Give the run a moment to take the payload, so the status read
            // back usually shows it going on.
            let view = backend
                .settle(&args.run_id, Some(std::time::Duration::from_millis(50)))
                .await;
            let status = view
                .as_ref()
                .map(|v| v.record.status)
                .unwrap_or(RunStatus::Running);
            let mut answer = json!({
                "run_id": args.run_id,
                "status": status,
                "delivered_to": resumed.delivered_to,
                "queued": resumed.delivered_to.is_none(),
            });
            // Kept for a later wait: say which waits the run is in now, so
            // a misspelt name shows.
            if let (None, Ok(view)) = (&resumed.delivered_to, &view) {
                answer["waiting_for"] = view.waits.iter().map(|w| w.name.clone()).collect();
            }
            tool_result(answer)
        }
        Err(error) => error_result(error.to_string()),
    }
}

/// Cursors are `<created_ms>.<run_id>` of the last run of the page.
fn parse_cursor(cursor: &str) -> Option<(u64, String)> {
    let (created, run_id) = cursor.split_once('.')?;
    Some((created.parse().ok()?, run_id.to_owned()))
}

async fn runs(
    workflows: &Workflows,
    args: RunsListArgs,
    caller: Option<&Principal>,
) -> CallToolResult {
    let limit = args.limit.unwrap_or(20).clamp(1, 100) as usize;
    let after = match args.cursor.as_deref().map(parse_cursor) {
        None => None,
        Some(Some(after)) => Some(after),
        Some(None) => {
            return error_result(
                "the cursor is not one this server gave: pass the `next_cursor` of the \
                 previous page, or leave it out for the first page",
            );
        }
    };
    let query = RunQuery {
        statuses: args.status.into_iter().collect(),
        workflow: args.workflow_name,
        after,
        // One more than asked tells whether there is a next page.
        limit: Some(limit + 1),
        owner: owner_filter(caller),
        updated_before: None,
    };
    match workflows.backend.runs(query).await {
        Ok(mut listed) => {
            let more = listed.len() > limit;
            listed.truncate(limit);
            let next_cursor = if more {
                listed.last().map(|run| match run {
                    Ok(record) => format!("{}.{}", record.created_ms, record.run_id),
                    Err(_) => String::new(),
                })
            } else {
                None
            };
            let runs: Vec<Value> = listed
                .iter()
                .map(|run| match run {
                    Ok(record) => summary(record),
                    Err(damaged) => json!({
                        "run_id": damaged.run_id,
                        "status": "failed",
                        "error": damaged.to_string(),
                    }),
                })
                .collect();
            let mut page = json!({ "runs": runs });
            if let Some(cursor) = next_cursor {
                page["next_cursor"] = cursor.into();
            }
            tool_result(page)
        }
        Err(error) => error_result(error.to_string()),
    }
}

/// A run's record as JSON, without what only the running process knows.
pub fn summary(record: &RunRecord) -> Value {
    let mut value = json!({
        "run_id": record.run_id,
        "workflow_name": record.workflow,
        "status": record.status,
        "created_at": rfc3339(record.created_ms),
        "updated_at": rfc3339(record.updated_ms),
    });
    if let Some(waiting_for) = &record.waiting_for {
        value["waiting_for"] = waiting_for.clone().into();
    }
    if let Some(output) = &record.output {
        value["result"] = output.clone();
    }
    if let Some(error) = &record.error {
        value["error"] = error.message.clone().into();
        if let Some(budget) = &error.budget {
            value[ERROR_KEY] = budget_error_value(&budget.exceeded, &budget.agent);
        }
    }
    if let Some(usage) = &record.usage {
        value["budget_used"] = serde_json::to_value(usage).unwrap_or_default();
    }
    value
}

/// A run's full status, as `workflows-get_status` answers.
pub fn status(view: &RunView) -> Value {
    let mut value = summary(&view.record);
    value["budget_used"] = serde_json::to_value(view.usage).unwrap_or_default();
    value["budget_granted"] = crate::mcp::meta::grant_value(&view.record.limits);
    if let Some(step) = &view.current_step {
        value["current_step"] = step.clone().into();
    }
    if let Some(wait) = view.waits.first() {
        value["waiting_for"] = wait.name.clone().into();
        value["payload_schema"] = wait.schema.clone();
    }
    value
}
