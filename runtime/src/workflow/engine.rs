//! The journal engine: the [`WorkflowBackend`] of the `memory` and
//! `embedded` backends. It creates runs in its [`JournalStore`], executes
//! each in a tokio task (replaying its journal first), and starts unfinished
//! runs again after a restart.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use rmcp::model::JsonObject;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::backend::{ControlError, Recovery, Resumed, RunView, WorkflowBackend};
use super::context::WorkflowContext;
use super::definition::WorkflowDefinition;
use super::live::LiveRun;
use super::record::{EntryState, JournalEntry, RunError, RunRecord, RunStatus, RunUpdate, Signal};
use super::replay::{Fatal, JournalRun, RunSetup};
use super::settings::WorkflowSettings;
use super::store::{JournalStore, ListedRun, RunQuery, StoreError, Write};
use super::time::now_ms;
use crate::agent::Principal;
use crate::agent::context::AgentContext;
use crate::agent::execution::{exceeded_below, guarded};
use crate::agent::host::Host;
use crate::agent::{AgentDefinition, Failure, Interrupted, InvokeError, Subject};
use crate::budget::{Budget, BudgetExceeded, Dimension, Scope, Usage};

/// Runs workflows on a journal store, replaying each run's journal.
pub struct JournalEngine {
    store: Arc<dyn JournalStore>,
    workflows: BTreeMap<&'static str, (&'static AgentDefinition, &'static WorkflowDefinition)>,
    host: Arc<Host>,
    live: Mutex<HashMap<String, Arc<LiveRun>>>,
    limits: RunLimits,
    shutdown: CancellationToken,
    me: Weak<JournalEngine>,
}

/// The bounds the engine keeps runs within ([`WorkflowSettings`]).
#[derive(Debug, Clone, Copy)]
struct RunLimits {
    max_live_runs: usize,
    max_signals_per_run: usize,
    retain_finished: Duration,
    run_lifetime: Duration,
}

/// Finished runs removed by one write of a sweep.
const SWEEP_BATCH: usize = 256;

/// How a run ended, for its record.
struct Ending {
    status: RunStatus,
    output: Option<Value>,
    error: Option<RunError>,
}

impl Ending {
    /// A run that broke: its code no longer matches its journal.
    fn broke(message: impl Into<String>) -> Self {
        Ending {
            status: RunStatus::Failed,
            output: None,
            error: Some(RunError::broke(message)),
        }
    }

    /// The ending of a run of `workflow` that ran out of `exceeded`.
    fn budget(message: &str, exceeded: BudgetExceeded, workflow: &'static AgentDefinition) -> Self {
        let subject = Subject::new("workflow", workflow.name);
        let at = workflow.name.to_owned();
        Ending::from_failure(Failure::out_of_budget(
            subject,
            message.to_owned(),
            exceeded,
            at,
        ))
    }

    /// The ending of a run that failed: its text, and the budget that ran
    /// out if that is why.
    fn from_failure(failure: Failure) -> Self {
        Ending {
            status: RunStatus::Failed,
            output: None,
            error: Some(RunError::from_failure(&failure)),
        }
    }
}

impl JournalEngine {
    /// An engine over `store` for the workflows among `definitions`, within
    /// the limits of `settings`.
    pub(crate) fn new(
        store: Arc<dyn JournalStore>,
        definitions: impl IntoIterator<Item = &'static AgentDefinition>,
        host: Arc<Host>,
        settings: &WorkflowSettings,
    ) -> Arc<Self> {
        let workflows = definitions
            .into_iter()
            .filter_map(|definition| {
                let workflow = definition.workflow()?;
                Some((definition.name, (definition, workflow)))
            })
            .collect();
        Arc::new_cyclic(|me| JournalEngine {
            store,
            workflows,
            host,
            live: Mutex::new(HashMap::new()),
            limits: RunLimits {
                max_live_runs: settings.max_live_runs,
                max_signals_per_run: settings.max_signals_per_run,
                retain_finished: settings.retain_finished,
                run_lifetime: settings.run_lifetime,
            },
            shutdown: CancellationToken::new(),
            me: me.clone(),
        })
    }

    fn live_run(&self, run_id: &str) -> Option<Arc<LiveRun>> {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(run_id)
            .cloned()
    }

    /// Executes `record` in a new task, unless this process already does.
    fn launch(&self, record: RunRecord) {
        if let Some(live) = self.admit(&record.run_id, None) {
            self.spawn(record, live);
        }
    }

    /// Makes `run_id` one of the runs this process executes: `None` when it
    /// already is, or when `cap` runs already are.
    fn admit(&self, run_id: &str, cap: Option<usize>) -> Option<Arc<LiveRun>> {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if live.contains_key(run_id) || cap.is_some_and(|cap| live.len() >= cap) {
            return None;
        }
        // `Running` until the replay reaches a wait (or the end), so that
        // `settle` does not answer with the status of before the restart.
        let run = Arc::new(LiveRun::new(
            self.shutdown.child_token(),
            RunStatus::Running,
        ));
        live.insert(run_id.to_owned(), run.clone());
        Some(run)
    }

    /// Forgets a run admitted but never spawned.
    fn unadmit(&self, run_id: &str) {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(run_id);
    }

    fn spawn(&self, record: RunRecord, live: Arc<LiveRun>) {
        let Some(engine) = self.me.upgrade() else {
            return;
        };
        tokio::spawn(async move { engine.execute(record, live).await });
    }

    /// Removes the runs that finished longer ago than `retain_finished`;
    /// how many were removed.
    async fn sweep(&self) -> Result<usize, StoreError> {
        let before = now_ms().saturating_sub(self.limits.retain_finished.as_millis() as u64);
        let mut removed = 0;
        loop {
            let old = self
                .store
                .runs(RunQuery {
                    statuses: vec![
                        RunStatus::Completed,
                        RunStatus::Failed,
                        RunStatus::Cancelled,
                    ],
                    updated_before: Some(before),
                    limit: Some(SWEEP_BATCH),
                    ..RunQuery::default()
                })
                .await?;
            let writes: Vec<Write> = old
                .into_iter()
                .filter_map(Result::ok)
                .map(|run| Write::RemoveFinishedRun { run_id: run.run_id })
                .collect();
            if writes.is_empty() {
                return Ok(removed);
            }
            let batch = writes.len();
            self.store.write(writes).await?;
            removed += batch;
            if batch < SWEEP_BATCH {
                return Ok(removed);
            }
        }
    }

    /// Sweeps finished runs out every so often until the engine shuts down.
    fn keep_sweeping(&self) {
        let me = self.me.clone();
        let every = (self.limits.retain_finished / 2)
            .clamp(Duration::from_millis(100), Duration::from_secs(3600));
        let stop = self.shutdown.clone();
        drop(tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(every) => {}
                }
                let Some(engine) = me.upgrade() else {
                    return;
                };
                match engine.sweep().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        "{n} finished workflow runs past their retention were removed"
                    ),
                    Err(error) => {
                        tracing::warn!("finished workflow runs could not be removed: {error}")
                    }
                }
            }
        }));
    }

    async fn execute(self: Arc<Self>, record: RunRecord, live: Arc<LiveRun>) {
        let mut pause = Duration::from_millis(500);
        loop {
            match self.attempt(&record, &live).await {
                Ok(()) => break,
                Err(problem) => {
                    if live.cancel.is_cancelled() {
                        break;
                    }
                    tracing::warn!(
                        run = %record.run_id,
                        "the run is paused and will be retried in {pause:?}: {problem}"
                    );
                    tokio::select! {
                        () = live.cancel.cancelled() => break,
                        () = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(Duration::from_secs(30));
                }
            }
        }
        let mut runs = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if runs
            .get(&record.run_id)
            .is_some_and(|current| Arc::ptr_eq(current, &live))
        {
            runs.remove(&record.run_id);
        }
    }

    /// Runs the workflow's code once, from the start of its journal. `Err`
    /// means the run must be tried again later (the journal failed).
    async fn attempt(&self, record: &RunRecord, live: &Arc<LiveRun>) -> Result<(), String> {
        let Some(&(definition, workflow)) = self.workflows.get(record.workflow.as_str()) else {
            return Ok(());
        };
        match self.run_to_end(record, live, definition, workflow).await? {
            Some(ending) => self.finish(record, live, ending).await,
            None => Ok(()),
        }
    }

    /// Replays the run's journal and runs its code on: how the run ended,
    /// `None` when it was cancelled or stopped (this attempt has nothing to
    /// record), or `Err` when the journal failed.
    async fn run_to_end(
        &self,
        record: &RunRecord,
        live: &Arc<LiveRun>,
        definition: &'static AgentDefinition,
        workflow: &'static WorkflowDefinition,
    ) -> Result<Option<Ending>, String> {
        let entries = match self.store.entries(&record.run_id).await {
            Ok(entries) => entries,
            Err(StoreError::Damaged(damaged)) => {
                let message = format!("{damaged}; the run cannot be replayed");
                return Ok(Some(Ending::broke(message)));
            }
            Err(error) => return Err(error.to_string()),
        };
        let agent = match self.run_agent(record, live, definition, &entries) {
            Ok(agent) => agent,
            Err(ending) => return Ok(Some(ending)),
        };
        let Value::Object(arguments) = record.input.clone() else {
            let ending =
                Ending::broke("the run's input is not a JSON object; the journal is damaged");
            return Ok(Some(ending));
        };
        let driver = Arc::new(JournalRun::new(RunSetup {
            store: self.store.clone(),
            run_id: record.run_id.clone(),
            workflow: definition.name,
            seed: record.seed,
            policy: workflow.step_policy(),
            entries,
            live: live.clone(),
            agent: agent.clone(),
        }));
        let ctx = WorkflowContext::new(driver.clone());
        let outcome = guarded(&agent, (workflow.run)(ctx, arguments)).await;
        run_ending(&driver, outcome, &agent, definition)
    }

    /// The run's root agent context, with the budget the run has left: what
    /// its journal shows it used counts again, and so does the time since it
    /// was created. `Err` is the ending of a run with nothing left.
    fn run_agent(
        &self,
        record: &RunRecord,
        live: &LiveRun,
        definition: &'static AgentDefinition,
        entries: &[JournalEntry],
    ) -> Result<AgentContext, Ending> {
        let limits = remaining_limits(record, definition)?;
        let scope = Scope::root(definition.name, limits)
            .map_err(|exceeded| Ending::budget("the run cannot go on", exceeded, definition))?;
        scope.restore(restored_usage(entries));
        let agent = AgentContext::root(
            definition.name,
            live.cancel.clone(),
            None,
            scope,
            self.host.clone(),
            record.owner.clone().map(Arc::new),
        );
        live.set_agent(agent.clone());
        Ok(agent)
    }

    async fn finish(
        &self,
        record: &RunRecord,
        live: &LiveRun,
        ending: Ending,
    ) -> Result<(), String> {
        let usage = live.usage().unwrap_or_default();
        let update = RunUpdate {
            run_id: record.run_id.clone(),
            status: ending.status,
            updated_ms: now_ms(),
            waiting_for: None,
            output: ending.output,
            error: ending.error,
            usage: Some(usage),
        };
        self.store
            .write(vec![Write::UpdateRun {
                update,
                only_unfinished: true,
            }])
            .await
            .map_err(|e| e.to_string())?;
        if !live.cancel_requested() {
            live.status.send_replace(ending.status);
        }
        tracing::info!(run = %record.run_id, workflow = %record.workflow, status = %ending.status, used = %usage, "workflow run finished");
        Ok(())
    }

    async fn record(&self, run_id: &str) -> Result<RunRecord, ControlError> {
        self.store
            .run(run_id)
            .await?
            .ok_or_else(|| ControlError::NotFound(run_id.to_owned()))
    }

    async fn view(&self, record: RunRecord) -> Result<RunView, ControlError> {
        let live = self.live_run(&record.run_id);
        let mut current_step = live.as_ref().and_then(|l| l.current());
        if current_step.is_none() {
            current_step = match self.store.entries(&record.run_id).await {
                Ok(entries) => entries.last().map(|e| e.name.clone()),
                Err(_) => None,
            };
        }
        let usage = match (&record.usage, &live) {
            (Some(usage), _) if record.status.is_terminal() => *usage,
            (_, Some(live)) => live.usage().unwrap_or_default(),
            (usage, None) => usage.unwrap_or_default(),
        };
        let waits = match (&live, record.status) {
            (Some(live), RunStatus::InputRequired) => live.waits(),
            _ => Vec::new(),
        };
        Ok(RunView {
            record,
            current_step,
            usage,
            waits,
        })
    }
}

/// The run's limits less the time it has already taken (a run's time limit
/// counts from its creation, across restarts). `Err` when no time is left.
fn remaining_limits(
    record: &RunRecord,
    definition: &'static AgentDefinition,
) -> Result<Budget, Ending> {
    let mut limits = record.limits;
    if let Some(time) = limits.time {
        let elapsed = Duration::from_millis(now_ms().saturating_sub(record.created_ms));
        match time.checked_sub(elapsed) {
            Some(left) if !left.is_zero() => limits.time = Some(left),
            _ => {
                let exceeded = BudgetExceeded {
                    dimension: Dimension::Time,
                    limit: time.as_millis() as u64,
                    used: elapsed.as_millis() as u64,
                };
                return Err(Ending::budget(
                    "the run passed its lifetime (the workflow's `budget(time)`, else \
                     [workflows] run_lifetime)",
                    exceeded,
                    definition,
                ));
            }
        }
    }
    Ok(limits)
}

/// How a run whose code returned `outcome` ended: `Err` when the journal
/// failed under it (try again later), `None` when it was cancelled or
/// stopped.
fn run_ending(
    driver: &JournalRun,
    outcome: Result<Result<Value, InvokeError>, Interrupted>,
    agent: &AgentContext,
    definition: &'static AgentDefinition,
) -> Result<Option<Ending>, String> {
    match driver.fatal() {
        Some(Fatal::Store(problem)) => return Err(problem),
        Some(Fatal::Replay(problem)) => return Ok(Some(Ending::broke(problem))),
        None => {}
    }
    if let Err(Interrupted::Cancelled) = outcome {
        return Ok(None);
    }
    let subject = Subject::new("workflow", definition.name);
    let ending = match Failure::check(subject, outcome, || exceeded_below(agent)) {
        Ok(output) => Ending {
            status: RunStatus::Completed,
            output: Some(output),
            error: None,
        },
        Err(failure) => Ending::from_failure(failure),
    };
    Ok(Some(ending))
}

/// What a run had used when its last agent call was journaled (less the
/// run itself, which its new scope counts again).
fn restored_usage(entries: &[JournalEntry]) -> Usage {
    let mut most = Usage::default();
    for entry in entries {
        if let EntryState::Succeeded {
            usage: Some(usage), ..
        } = &entry.state
        {
            most.input_tokens = most.input_tokens.max(usage.input_tokens);
            most.output_tokens = most.output_tokens.max(usage.output_tokens);
            most.cost_micros = most.cost_micros.max(usage.cost_micros);
            most.calls = most.calls.max(usage.calls);
        }
    }
    most.calls = most.calls.saturating_sub(1);
    most
}

impl WorkflowBackend for JournalEngine {
    fn location(&self) -> String {
        self.store.location()
    }

    fn start_for(
        &self,
        definition: &'static AgentDefinition,
        arguments: JsonObject,
        grant: Option<Budget>,
        owner: Option<Principal>,
    ) -> BoxFuture<'_, Result<RunRecord, ControlError>> {
        async move {
            let Some(&(_, workflow)) = self.workflows.get(definition.name) else {
                return Err(ControlError::UnknownWorkflow(definition.name.to_owned()));
            };
            (workflow.check)(&arguments).map_err(ControlError::Arguments)?;
            // A run outlives requests: the server's default time limit does
            // not apply; its lifetime does (the workflow's `budget(time)`,
            // else `run_lifetime`), narrowed by the caller's grant.
            let lifetime = definition.policy.time.unwrap_or(self.limits.run_lifetime);
            let server = Budget {
                time: Some(lifetime),
                ..self.host.default_budget()
            };
            let policy = Budget {
                time: None,
                ..definition.policy
            };
            let limits = server
                .min(policy)
                .min(grant.unwrap_or(Budget::UNLIMITED));
            Scope::root(definition.name, limits).map_err(ControlError::Budget)?;
            let id = uuid::Uuid::new_v4();
            let run_id = id.to_string();
            let cap = self.limits.max_live_runs;
            let live = self
                .admit(&run_id, Some(cap))
                .ok_or(ControlError::TooManyRuns { limit: cap })?;
            let seed = u64::from_le_bytes(id.as_bytes()[..8].try_into().unwrap_or_default());
            let now = now_ms();
            let record = RunRecord {
                run_id,
                workflow: definition.name.to_owned(),
                status: RunStatus::Running,
                input: Value::Object(arguments),
                limits,
                seed,
                created_ms: now,
                updated_ms: now,
                waiting_for: None,
                output: None,
                error: None,
                usage: None,
                owner,
            };
            if let Err(error) = self
                .store
                .write(vec![Write::CreateRun(Box::new(record.clone()))])
                .await
            {
                self.unadmit(&record.run_id);
                return Err(error.into());
            }
            tracing::info!(run = %record.run_id, workflow = definition.name, "workflow run started");
            self.spawn(record.clone(), live);
            Ok(record)
        }
        .boxed()
    }

    fn status(&self, run_id: &str) -> BoxFuture<'_, Result<RunView, ControlError>> {
        let run_id = run_id.to_owned();
        async move {
            let record = self.record(&run_id).await?;
            self.view(record).await
        }
        .boxed()
    }

    fn runs(&self, query: RunQuery) -> BoxFuture<'_, Result<Vec<ListedRun>, ControlError>> {
        async move { Ok(self.store.runs(query).await?) }.boxed()
    }

    fn resume(
        &self,
        run_id: &str,
        name: String,
        payload: Value,
    ) -> BoxFuture<'_, Result<Resumed, ControlError>> {
        let run_id = run_id.to_owned();
        async move {
            let record = self.record(&run_id).await?;
            if record.status.is_terminal() {
                return Err(ControlError::Finished {
                    run_id,
                    status: record.status,
                });
            }
            let live = self.live_run(&run_id);
            if name.is_empty() {
                let waiting_for = match &live {
                    Some(live) => live.waits().into_iter().map(|w| w.name).collect(),
                    None => record.waiting_for.into_iter().collect(),
                };
                return Err(ControlError::UnnamedSignal {
                    run_id,
                    waiting_for,
                });
            }
            let target = live.as_ref().and_then(|l| l.wait(&name));
            // Signals held for waits not reached yet are bounded; one more is
            // let in for a wait the run is in, which takes it at once.
            let held = self.store.signals(&run_id).await?.len();
            let cap = self.limits.max_signals_per_run;
            if held >= cap + usize::from(target.is_some()) {
                return Err(ControlError::TooManySignals { run_id, limit: cap });
            }
            if let Some(wait) = &target {
                (wait.check)(&payload).map_err(|message| ControlError::Payload {
                    name: wait.name.clone(),
                    message,
                })?;
            }
            let signal = Signal {
                id: 0,
                run_id: run_id.clone(),
                name: Some(name),
                payload,
                received_ms: now_ms(),
            };
            self.store.write(vec![Write::AddSignal(signal)]).await?;
            if let Some(live) = &live {
                if target.is_some() {
                    // The wait takes it: the run goes on (a `settle` right
                    // after this must not see the status of before).
                    live.status.send_replace(RunStatus::Running);
                }
                live.signals.send_modify(|n| *n += 1);
            }
            Ok(Resumed {
                delivered_to: target.map(|w| w.name),
            })
        }
        .boxed()
    }

    fn cancel(&self, run_id: &str) -> BoxFuture<'_, Result<RunView, ControlError>> {
        let run_id = run_id.to_owned();
        async move {
            let record = self.record(&run_id).await?;
            if record.status.is_terminal() {
                return Err(ControlError::Finished {
                    run_id,
                    status: record.status,
                });
            }
            let live = self.live_run(&run_id);
            let usage = live.as_ref().and_then(|l| l.usage());
            let update = RunUpdate {
                run_id: run_id.clone(),
                status: RunStatus::Cancelled,
                updated_ms: now_ms(),
                waiting_for: None,
                output: None,
                error: Some(RunError::new("the run was cancelled by a client")),
                usage,
            };
            self.store
                .write(vec![Write::UpdateRun {
                    update,
                    only_unfinished: true,
                }])
                .await?;
            if let Some(live) = live {
                live.request_cancel();
                live.status.send_replace(RunStatus::Cancelled);
            }
            let record = self.record(&run_id).await?;
            self.view(record).await
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
            if let Some(live) = self.live_run(&run_id) {
                let mut status = live.status.subscribe();
                let settled = status.wait_for(|s| *s != RunStatus::Running);
                match within {
                    Some(limit) => {
                        let _ = tokio::time::timeout(limit, settled).await;
                    }
                    None => {
                        let _ = settled.await;
                    }
                }
            }
            let record = self.record(&run_id).await?;
            self.view(record).await
        }
        .boxed()
    }

    fn recover(&self) -> BoxFuture<'_, Result<Recovery, ControlError>> {
        async move {
            let runs = self
                .store
                .runs(RunQuery {
                    statuses: vec![RunStatus::Running, RunStatus::InputRequired],
                    ..RunQuery::default()
                })
                .await?;
            let mut recovery = Recovery::default();
            for run in runs {
                match run {
                    Ok(record) if self.workflows.contains_key(record.workflow.as_str()) => {
                        recovery.resumed += 1;
                        self.launch(record);
                    }
                    Ok(record) => {
                        tracing::warn!(
                            run = %record.run_id,
                            "run of workflow `{}`, which this server does not have, is left as it is",
                            record.workflow
                        );
                        recovery.unknown_workflow.push(record.run_id);
                    }
                    Err(damaged) => {
                        tracing::error!("{damaged}; the run is left as it is");
                        recovery.damaged.push(damaged);
                    }
                }
            }
            // Finished runs past their retention go now, then every so often.
            match self.sweep().await {
                Ok(0) => {}
                Ok(n) => tracing::info!("{n} finished workflow runs past their retention were removed"),
                Err(error) => tracing::warn!("finished workflow runs could not be removed: {error}"),
            }
            self.keep_sweeping();
            Ok(recovery)
        }
        .boxed()
    }

    fn shutdown(&self) {
        self.shutdown.cancel();
    }
}
