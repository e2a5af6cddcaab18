//! [`TemporalBackend`]: the control plane of runs kept by a Temporal
//! cluster. Every answer is read from the cluster, so any number of MCP
//! servers can serve the same runs, and none of them runs workflows.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use rmcp::model::JsonObject;
use serde_json::{Map, Value};
use temporalio_client::errors::{WorkflowInteractionError, WorkflowStartError};
use temporalio_client::{
    Client, RpcOptions, WorkflowCancelOptions, WorkflowDescribeOptions, WorkflowExecutionStatus,
    WorkflowGetResultOptions, WorkflowListOptions, WorkflowQueryOptions, WorkflowSignalOptions,
    WorkflowStartOptions,
};
use temporalio_common::MemoValues;

use super::connection::connect;
use super::dispatcher::Dispatcher;
use super::{Ending, Progress, Resume, RunInput};
use crate::agent::{AgentDefinition, Principal};
use crate::budget::{Budget, Scope, Usage};
use crate::mcp::meta::{BUDGET_KEY, grant_value, read_grant};
use crate::telemetry::inject_into;
use crate::workflow::TemporalSettings;
use crate::workflow::backend::{
    ControlError, Recovery, Resumed, RunView, WaitInfo, WorkflowBackend,
};
use crate::workflow::record::{Damaged, RunError, RunRecord, RunStatus};
use crate::workflow::store::{ListedRun, RunQuery, StoreError};
use crate::workflow::time::now_ms;

/// The memo key holding a run's [`RunInput`], read back by listings.
const MEMO_KEY: &str = "agentwire";

/// How many times a start is tried (100 ms, then twice as long each time).
const START_ATTEMPTS: u32 = 6;

/// How long a start may take (a busy cluster is slow, not gone).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a status waits for a worker to answer the `progress` query.
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs on a Temporal cluster, seen from an MCP server.
pub struct TemporalBackend {
    client: Client,
    task_queue: String,
    address: String,
    namespace: String,
    task_timeout: Duration,
    /// The workflows this server serves, and the server's default budget.
    workflows: BTreeMap<&'static str, &'static AgentDefinition>,
    server_budget: Budget,
}

fn unavailable(action: &'static str, error: impl std::fmt::Display) -> ControlError {
    ControlError::Store(StoreError::Io {
        action,
        message: format!("Temporal: {error}"),
    })
}

impl TemporalBackend {
    /// A control plane for the workflows among `definitions`, on the cluster
    /// and task queue `settings` name (`server_name`'s queue by default).
    pub async fn connect(
        settings: &TemporalSettings,
        server_name: &str,
        definitions: impl IntoIterator<Item = &'static AgentDefinition>,
        server_budget: Budget,
    ) -> Result<Self, String> {
        let client = connect(settings).await?;
        Ok(TemporalBackend {
            client,
            task_queue: settings.task_queue_for(server_name),
            address: settings.address.clone(),
            namespace: settings.namespace.clone(),
            task_timeout: settings.task_timeout,
            workflows: definitions
                .into_iter()
                .filter(|d| d.is_workflow())
                .map(|d| (d.name, d))
                .collect(),
            server_budget,
        })
    }

    fn handle(&self, run_id: &str) -> temporalio_client::WorkflowHandle<Client, Dispatcher> {
        self.client.get_workflow_handle::<Dispatcher>(run_id)
    }

    async fn view(&self, run_id: &str) -> Result<RunView, ControlError> {
        let handle = self.handle(run_id);
        let description = match handle.describe(WorkflowDescribeOptions::default()).await {
            Ok(description) => description,
            Err(WorkflowInteractionError::NotFound(_)) => {
                return Err(ControlError::NotFound(run_id.to_owned()));
            }
            Err(error) => return Err(unavailable("read", error)),
        };
        let input: Option<RunInput> = description.memo().get(MEMO_KEY).ok().flatten();
        let Some(input) = input else {
            return Err(ControlError::NotFound(run_id.to_owned()));
        };
        let started = millis(description.start_time()).unwrap_or(input.created_ms);
        let closed = millis(description.close_time());
        let mut record = record(
            run_id,
            &input,
            RunStatus::Running,
            closed.unwrap_or(started),
        );
        let mut view = RunView {
            record: record.clone(),
            current_step: None,
            usage: Usage::default(),
            waits: Vec::new(),
        };
        match description.status() {
            WorkflowExecutionStatus::Running | WorkflowExecutionStatus::Paused => {
                let mut rpc_options = RpcOptions::default();
                rpc_options.timeout = Some(QUERY_TIMEOUT);
                let mut options = WorkflowQueryOptions::default();
                options.rpc_options = rpc_options;
                // No worker to answer: the run is still running, as far
                // as anyone can tell.
                if let Ok(progress) = handle.query(Dispatcher::progress, (), options).await
                    && let Ok(progress) = serde_json::from_value::<Progress>(progress)
                {
                    if !progress.waits.is_empty() {
                        record.status = RunStatus::InputRequired;
                        record.waiting_for = progress.waits.first().map(|w| w.0.clone());
                    }
                    view.current_step = progress.current;
                    view.usage = progress.usage;
                    view.waits = progress
                        .waits
                        .into_iter()
                        .map(|(name, schema)| WaitInfo { name, schema })
                        .collect();
                }
            }
            WorkflowExecutionStatus::Completed => {
                let result = handle.get_result(WorkflowGetResultOptions::default()).await;
                match result.map(serde_json::from_value::<Ending>) {
                    Ok(Ok(ending)) => {
                        record.status = ending.status;
                        record.output = ending.output;
                        record.error = ending.error;
                        record.usage = Some(ending.usage);
                        view.usage = ending.usage;
                    }
                    Ok(Err(error)) => {
                        fail(&mut record, format!("its result cannot be read: {error}"))
                    }
                    Err(error) => return Err(unavailable("read", error)),
                }
            }
            WorkflowExecutionStatus::Canceled => {
                record.status = RunStatus::Cancelled;
                record.error = Some(RunError::new("the run was cancelled by a client"));
            }
            status => fail(
                &mut record,
                format!("its Temporal execution ended as {status:?}"),
            ),
        }
        view.record = record;
        Ok(view)
    }
}

fn fail(record: &mut RunRecord, message: String) {
    let mut error = RunError::new(message);
    error.broke = true;
    record.status = RunStatus::Failed;
    record.error = Some(error);
}

fn millis(time: Option<std::time::SystemTime>) -> Option<u64> {
    time.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64)
}

/// The record of a run from its input.
fn record(run_id: &str, input: &RunInput, status: RunStatus, updated_ms: u64) -> RunRecord {
    let mut meta = Map::new();
    meta.insert(BUDGET_KEY.into(), input.limits.clone());
    RunRecord {
        run_id: run_id.to_owned(),
        workflow: input.workflow.clone(),
        status,
        input: Value::Object(input.arguments.clone()),
        limits: read_grant(&meta).ok().flatten().unwrap_or_default(),
        seed: input.seed,
        created_ms: input.created_ms,
        updated_ms,
        waiting_for: None,
        output: None,
        error: None,
        usage: None,
        owner: input.owner.clone(),
    }
}

fn listed_status(status: WorkflowExecutionStatus) -> RunStatus {
    match status {
        WorkflowExecutionStatus::Running | WorkflowExecutionStatus::Paused => RunStatus::Running,
        WorkflowExecutionStatus::Completed => RunStatus::Completed,
        WorkflowExecutionStatus::Canceled => RunStatus::Cancelled,
        _ => RunStatus::Failed,
    }
}

impl WorkflowBackend for TemporalBackend {
    fn location(&self) -> String {
        format!(
            "Temporal {} namespace {} task queue {}",
            self.address, self.namespace, self.task_queue
        )
    }

    fn start_for(
        &self,
        definition: &'static AgentDefinition,
        arguments: JsonObject,
        grant: Option<Budget>,
        owner: Option<Principal>,
    ) -> BoxFuture<'_, Result<RunRecord, ControlError>> {
        async move {
            let Some(workflow) = self
                .workflows
                .get(definition.name)
                .and_then(|d| d.workflow())
            else {
                return Err(ControlError::UnknownWorkflow(definition.name.to_owned()));
            };
            (workflow.check)(&arguments).map_err(ControlError::Arguments)?;
            let server = Budget {
                time: None,
                ..self.server_budget
            };
            let limits = server
                .min(definition.policy)
                .min(grant.unwrap_or(Budget::UNLIMITED));
            Scope::root(definition.name, limits).map_err(ControlError::Budget)?;
            let id = uuid::Uuid::new_v4();
            let seed = u64::from_le_bytes(id.as_bytes()[..8].try_into().unwrap_or_default());
            let mut trace = Map::new();
            inject_into(&tracing::Span::current(), &mut trace);
            let input = RunInput {
                workflow: definition.name.to_owned(),
                arguments,
                limits: grant_value(&limits),
                seed,
                created_ms: now_ms(),
                owner,
                trace,
                task_timeout_ms: Some(self.task_timeout.as_millis() as u64),
            };
            let mut memo = MemoValues::new();
            memo.insert(MEMO_KEY, serde_json::to_value(&input).unwrap_or(Value::Null));
            let mut rpc_options = RpcOptions::default();
            rpc_options.timeout = Some(START_TIMEOUT);
            let options = WorkflowStartOptions::new(self.task_queue.clone(), id.to_string())
                .maybe_execution_timeout(limits.time)
                .task_timeout(self.task_timeout)
                .memo(memo)
                .rpc_options(rpc_options)
                .build();
            let value = serde_json::to_value(&input).unwrap_or(Value::Null);
            // A busy cluster refuses now and then (a timeout, a namespace
            // cache being refreshed): try again for a few seconds. A start
            // that went through before is one the retry finds.
            let mut pause = Duration::from_millis(100);
            let mut attempt = 1;
            loop {
                let started = self
                    .client
                    .start_workflow(Dispatcher::run, value.clone(), options.clone())
                    .await;
                match started {
                    Ok(_) | Err(WorkflowStartError::AlreadyStarted { .. }) => break,
                    Err(WorkflowStartError::Rpc(status)) if attempt < START_ATTEMPTS => {
                        tracing::warn!(run = %id, attempt, "Temporal refused a start, trying again: {status}");
                        tokio::time::sleep(pause).await;
                        pause *= 2;
                        attempt += 1;
                    }
                    Err(error) => return Err(unavailable("written", error)),
                }
            }
            tracing::info!(run = %id, workflow = definition.name, "workflow run started on Temporal");
            let created = input.created_ms;
            Ok(record(&id.to_string(), &input, RunStatus::Running, created))
        }
        .boxed()
    }

    fn status(&self, run_id: &str) -> BoxFuture<'_, Result<RunView, ControlError>> {
        let run_id = run_id.to_owned();
        async move { self.view(&run_id).await }.boxed()
    }

    fn runs(&self, query: RunQuery) -> BoxFuture<'_, Result<Vec<ListedRun>, ControlError>> {
        async move {
            let filter = format!(
                "WorkflowType = '{}' AND TaskQueue = '{}'",
                super::WORKFLOW_TYPE,
                self.task_queue.replace('\'', "")
            );
            let mut stream = self
                .client
                .list_workflows(filter, WorkflowListOptions::default());
            let mut runs = Vec::new();
            while let Some(execution) = stream.next().await {
                let execution = execution.map_err(|e| unavailable("read", e))?;
                let run_id = execution.id().to_owned();
                let input: Option<RunInput> = execution.memo().get(MEMO_KEY).ok().flatten();
                let Some(input) = input else {
                    runs.push(Err(Damaged {
                        run_id,
                        problem: "its Temporal memo has no agentwire input".to_owned(),
                    }));
                    continue;
                };
                let updated = millis(execution.close_time())
                    .or(millis(execution.start_time()))
                    .unwrap_or(input.created_ms);
                let run = record(&run_id, &input, listed_status(execution.status()), updated);
                let after = query
                    .after
                    .as_ref()
                    .is_none_or(|(created, id)| (run.created_ms, &run.run_id) < (*created, id));
                if query.matches(&run) && after {
                    runs.push(Ok(run));
                }
            }
            runs.sort_by(|a, b| match (a, b) {
                (Ok(a), Ok(b)) => (b.created_ms, &b.run_id).cmp(&(a.created_ms, &a.run_id)),
                (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
                (Ok(_), Err(_)) => std::cmp::Ordering::Less,
                (Err(a), Err(b)) => a.run_id.cmp(&b.run_id),
            });
            runs.truncate(query.limit.unwrap_or(usize::MAX));
            Ok(runs)
        }
        .boxed()
    }

    fn resume(
        &self,
        run_id: &str,
        name: String,
        payload: Value,
    ) -> BoxFuture<'_, Result<Resumed, ControlError>> {
        let run_id = run_id.to_owned();
        async move {
            let view = self.view(&run_id).await?;
            if view.record.status.is_terminal() {
                return Err(ControlError::Finished {
                    run_id,
                    status: view.record.status,
                });
            }
            if name.is_empty() {
                return Err(ControlError::UnnamedSignal {
                    run_id,
                    waiting_for: view.waits.iter().map(|w| w.name.clone()).collect(),
                });
            }
            let delivered = view.waits.iter().any(|w| w.name == name);
            let signal = serde_json::to_value(Resume {
                name: name.clone(),
                payload,
            })
            .unwrap_or(Value::Null);
            self.handle(&run_id)
                .signal(Dispatcher::resume, signal, WorkflowSignalOptions::default())
                .await
                .map_err(|e| match e {
                    WorkflowInteractionError::NotFound(_) => ControlError::NotFound(run_id.clone()),
                    e => unavailable("written", e),
                })?;
            Ok(Resumed {
                delivered_to: delivered.then_some(name),
            })
        }
        .boxed()
    }

    fn cancel(&self, run_id: &str) -> BoxFuture<'_, Result<RunView, ControlError>> {
        let run_id = run_id.to_owned();
        async move {
            let view = self.view(&run_id).await?;
            if view.record.status.is_terminal() {
                return Err(ControlError::Finished {
                    run_id,
                    status: view.record.status,
                });
            }
            self.handle(&run_id)
                .cancel(WorkflowCancelOptions::default())
                .await
                .map_err(|e| unavailable("written", e))?;
            let mut view = self.view(&run_id).await?;
            // Cancellation is asynchronous on Temporal: the run is
            // cancelled from the client's point of view at once.
            if !view.record.status.is_terminal() {
                view.record.status = RunStatus::Cancelled;
                view.record.error = Some(RunError::new("the run was cancelled by a client"));
                view.waits.clear();
            }
            Ok(view)
        }
        .boxed()
    }

    fn settle(
        &self,
        run_id: &str,
        within: Option<Duration>,
    ) -> BoxFuture<'_, Result<RunView, ControlError>> {
        let run_id = run_id.to_owned();
        async move {
            let deadline = within.map(|w| tokio::time::Instant::now() + w);
            let mut pause = Duration::from_millis(20);
            loop {
                let view = self.view(&run_id).await?;
                let past = deadline.is_some_and(|d| tokio::time::Instant::now() >= d);
                if view.record.status != RunStatus::Running || past {
                    return Ok(view);
                }
                let mut sleep = pause;
                if let Some(deadline) = deadline {
                    sleep =
                        sleep.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
                }
                tokio::time::sleep(sleep).await;
                pause = (pause * 2).min(Duration::from_millis(250));
            }
        }
        .boxed()
    }

    fn recover(&self) -> BoxFuture<'_, Result<Recovery, ControlError>> {
        // The cluster owns its runs: there is nothing to start again here.
        async { Ok(Recovery::default()) }.boxed()
    }

    fn shutdown(&self) {}
}

/// The history of the run `run_id` as JSON, in the form
/// [`replay`](super::replay) reads: record runs of today's code, and replay
/// them against tomorrow's before deploying it.
pub async fn history(settings: &TemporalSettings, run_id: &str) -> Result<Vec<u8>, String> {
    let client = connect(settings).await?;
    client
        .get_workflow_handle::<Dispatcher>(run_id)
        .fetch_history(temporalio_client::WorkflowFetchHistoryOptions::default())
        .to_json()
        .await
        .map_err(|e| format!("cannot read the history of run {run_id}: {e}"))
}
