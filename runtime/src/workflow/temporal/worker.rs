//! [`run_worker`]: the process that executes runs on Temporal.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use rmcp::model::JsonObject;
use serde_json::Value;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

use super::CallAgent;
use super::agent_call::{AgentCalls, HEARTBEAT_EVERY};
use super::connection::connect;
use super::dispatcher::{Dispatcher, Recorder, WorkerSetup, install};
use super::step_run::StepRuns;
use crate::agent::context::AgentContext;
use crate::agent::host::Host;
use crate::agent::{AgentDefinition, CallError};
use crate::budget::Budget;
use crate::workflow::TemporalSettings;

/// Executes the workflows among `definitions` for the task queue of
/// `server_name` until `stop` resolves: it polls workflow tasks (the
/// dispatcher), the agent calls of runs (the activity `agentwire.agent`,
/// made with `call`), their steps (the activity `agentwire.step`), and the
/// activity that records steps' outcomes of runs started before steps
/// became activities. Run
/// as many as you like, on as many machines; they share the queue.
///
/// Must be awaited on the thread of a tokio runtime (the SDK polls workflow
/// code, which is not `Send`, on it); one worker per process.
pub async fn run_worker(
    settings: &TemporalSettings,
    server_name: &str,
    definitions: impl IntoIterator<Item = &'static AgentDefinition>,
    host: Arc<Host>,
    call: CallAgent,
    stop: impl Future<Output = ()>,
) -> Result<(), String> {
    install(setup_of(definitions, host, call, settings.task_timeout));
    let runtime = Runtime::from_current_tokio(Default::default())
        .map_err(|e| format!("cannot start the Temporal runtime: {e}"))?;
    let client = connect(settings).await?;
    let task_queue = settings.task_queue_for(server_name);
    let mut options = WorkerOptions::new(task_queue.clone())
        .register_workflow::<Dispatcher>()
        .map_err(|e| format!("cannot register the dispatcher workflow: {e}"))?
        .register_activities(Recorder)
        .register_activities(AgentCalls)
        .register_activities(StepRuns)
        .build();
    // The workflow's code is agentwire's, polled inside the workflow task:
    // its steps and agent calls wake it through tokio, by design.
    options.detect_nondeterministic_futures = false;
    options.max_heartbeat_throttle_interval = HEARTBEAT_EVERY;
    let mut worker = Worker::new(&runtime, client, options)
        .map_err(|e| format!("cannot start the Temporal worker: {e}"))?;
    let shutdown = worker.shutdown_handle();
    tracing::info!(task_queue, address = %settings.address, namespace = %settings.namespace, "Temporal worker polling");
    let run = worker.run();
    tokio::pin!(run);
    tokio::select! {
        outcome = &mut run => outcome.map_err(|e| format!("the Temporal worker stopped: {e}")),
        () = stop => {
            shutdown();
            run.await.map_err(|e| format!("the Temporal worker stopped: {e}"))
        }
    }
}

/// Replays recorded Temporal histories (JSON, as `temporal workflow show
/// --output json` or the SDK writes them) against the workflows among
/// `definitions`: `Err` names each history the code no longer matches.
/// Run it in CI over histories of runs in production before deploying new
/// workflow code.
pub async fn replay(
    histories: Vec<(String, Vec<u8>)>,
    definitions: impl IntoIterator<Item = &'static AgentDefinition>,
    host: Arc<Host>,
) -> Result<(), String> {
    use temporalio_client::WorkflowHistory;
    use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

    install(setup_of(
        definitions,
        host,
        refuse_calls,
        TemporalSettings::default().task_timeout,
    ));
    let mut names = Vec::new();
    let mut parsed = Vec::new();
    for (name, bytes) in histories {
        let history = WorkflowHistory::from_json(&bytes)
            .map_err(|e| format!("{name} is not a Temporal history: {e}"))?;
        names.push(name);
        parsed.push(history);
    }
    let mut options = WorkflowReplayerOptions::new()
        .register_workflow::<Dispatcher>()
        .map_err(|e| format!("cannot register the dispatcher workflow: {e}"))?
        .build();
    options.detect_nondeterministic_futures = false;
    let replayer =
        WorkflowReplayer::new(options).map_err(|e| format!("cannot start a replayer: {e}"))?;
    let results = replayer
        .replay_workflows(parsed)
        .await
        .map_err(|e| format!("the replay failed: {e}"))?;
    let failures: Vec<String> = names
        .iter()
        .zip(results)
        .filter_map(|(name, result)| result.replay_failure.map(|f| format!("{name}: {f}")))
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// The workflows among `definitions` and every agent they (or the agents
/// among `definitions`) call, remote ones included, by name.
fn setup_of(
    definitions: impl IntoIterator<Item = &'static AgentDefinition>,
    host: Arc<Host>,
    call: CallAgent,
    task_timeout: Duration,
) -> WorkerSetup {
    let mut workflows = BTreeMap::new();
    let mut agents = BTreeMap::new();
    for definition in definitions {
        if let Some(workflow) = definition.workflow() {
            workflows.insert(definition.name, (definition, workflow));
        } else {
            agents.insert(definition.name, definition);
        }
        for callee in (definition.callees)() {
            if !callee.is_workflow() {
                agents.entry(callee.name).or_insert(*callee);
            }
        }
    }
    WorkerSetup {
        workflows,
        agents,
        call,
        host,
        task_timeout,
    }
}

/// A replay runs no activity.
fn refuse_calls(
    _caller: AgentContext,
    callee: &'static AgentDefinition,
    _arguments: JsonObject,
    _narrowing: Budget,
) -> BoxFuture<'static, Result<Value, CallError>> {
    Box::pin(async move {
        Err(CallError::Agent {
            agent: callee.name,
            message: "a replay calls no agent".to_owned(),
        })
    })
}
