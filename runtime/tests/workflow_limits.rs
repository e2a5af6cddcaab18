//! `[workflows]` bounds on runs: runs not finished at once
//! (`max_live_runs`), signals a run holds (`max_signals_per_run`), a run's
//! default lifetime (`run_lifetime`, overridden by the workflow's
//! `budget(time)`), and how long finished runs stay in the journal
//! (`retain_finished`: swept while the server runs, and at recovery).

use std::sync::Arc;
use std::time::{Duration, Instant};

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::workflow::backend::ControlError;
use agentwire::workflow::record::RunStatus;
use agentwire::workflow::store::{JournalStore, MemoryStore, SqliteStore, Synchronous};
use agentwire::workflow::{BackendKind, WorkflowBackend, WorkflowSettings};
use agentwire::{AgentDefinition, AgentServer, Registry, ServerIdentity};
use rmcp::model::object;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

fn server(
    definitions: &[&'static AgentDefinition],
    store: Arc<dyn JournalStore>,
    config: &str,
) -> AgentServer {
    let config = Config::parse(config).unwrap();
    let settings = config.workflows.resolve_over(WorkflowSettings {
        backend: BackendKind::Memory,
        ..WorkflowSettings::default()
    });
    AgentServer::with_workflow_store(
        Registry::from_definitions(definitions.iter().copied()).unwrap(),
        ServerIdentity::new("workflow-limits", "0.0.1"),
        &config,
        store,
        &settings,
    )
}

fn backend(server: &AgentServer) -> &Arc<dyn WorkflowBackend> {
    server.workflow_backend().expect("the server has workflows")
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
struct Go {
    go: bool,
}

/// Waits for `go` as long as it takes.
#[workflow]
async fn patient(ctx: &WorkflowContext) -> Result<bool, WorkflowError> {
    let go: Go = ctx.wait_for("go", Duration::MAX).await?;
    Ok(go.go)
}

/// Like `patient`, with a lifetime of its own.
#[workflow(budget(time = "1h"))]
async fn long_lived(ctx: &WorkflowContext) -> Result<bool, WorkflowError> {
    let go: Go = ctx.wait_for("go", Duration::MAX).await?;
    Ok(go.go)
}

/// Finishes at once.
#[workflow]
async fn quick(ctx: &WorkflowContext) -> Result<u32, WorkflowError> {
    ctx.step("one", || async { Ok::<_, std::io::Error>(1) })
        .await
}

async fn start(server: &AgentServer, definition: &'static AgentDefinition) -> String {
    backend(server)
        .start(definition, object(json!({})), None)
        .await
        .unwrap()
        .run_id
}

async fn settled(server: &AgentServer, run_id: &str) -> agentwire::workflow::RunView {
    backend(server)
        .settle(run_id, Some(Duration::from_secs(20)))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_start_past_max_live_runs_is_refused_naming_the_setting() {
    let store = Arc::new(MemoryStore::new());
    let server = server(
        &[patient::DEFINITION],
        store,
        "[workflows]\nmax_live_runs = 2",
    );
    let first = start(&server, patient::DEFINITION).await;
    start(&server, patient::DEFINITION).await;
    let refused = backend(&server)
        .start(patient::DEFINITION, object(json!({})), None)
        .await
        .unwrap_err();
    assert!(matches!(refused, ControlError::TooManyRuns { limit: 2 }));
    assert!(
        refused.to_string().contains("[workflows] max_live_runs"),
        "{refused}"
    );

    // A run that finishes frees its place.
    backend(&server)
        .resume(&first, "go".into(), json!({"go": true}))
        .await
        .unwrap();
    assert_eq!(
        settled(&server, &first).await.record.status,
        RunStatus::Completed
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match backend(&server)
            .start(patient::DEFINITION, object(json!({})), None)
            .await
        {
            Ok(_) => break,
            Err(ControlError::TooManyRuns { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(error) => panic!("a finished run did not free its place: {error}"),
        }
    }
}

#[tokio::test]
async fn signals_held_for_a_run_are_bounded_and_the_wait_it_is_in_still_gets_its_own() {
    let store = Arc::new(MemoryStore::new());
    let server = server(
        &[patient::DEFINITION],
        store,
        "[workflows]\nmax_signals_per_run = 2",
    );
    let run = start(&server, patient::DEFINITION).await;
    assert_eq!(
        settled(&server, &run).await.record.status,
        RunStatus::InputRequired
    );
    for _ in 0..2 {
        let held = backend(&server)
            .resume(&run, "later".into(), json!({"n": 1}))
            .await
            .unwrap();
        assert_eq!(held.delivered_to, None, "kept for a wait not reached yet");
    }
    let refused = backend(&server)
        .resume(&run, "later".into(), json!({"n": 1}))
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("[workflows] max_signals_per_run"),
        "{refused}"
    );
    // The wait the run is in still gets its answer.
    let taken = backend(&server)
        .resume(&run, "go".into(), json!({"go": true}))
        .await
        .unwrap();
    assert_eq!(taken.delivered_to.as_deref(), Some("go"));
    let view = settled(&server, &run).await;
    assert_eq!(view.record.status, RunStatus::Completed, "{view:?}");
}

#[tokio::test]
async fn a_run_past_its_lifetime_fails_on_time_unless_its_workflow_sets_its_own() {
    let store = Arc::new(MemoryStore::new());
    let server = server(
        &[patient::DEFINITION, long_lived::DEFINITION],
        store,
        "[workflows]\nrun_lifetime = \"300ms\"",
    );
    let short = start(&server, patient::DEFINITION).await;
    let long = start(&server, long_lived::DEFINITION).await;

    let deadline = Instant::now() + Duration::from_secs(20);
    let view = loop {
        let view = settled(&server, &short).await;
        if view.record.status.is_terminal() || Instant::now() > deadline {
            break view;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(view.record.status, RunStatus::Failed, "{view:?}");
    let error = view.record.error.unwrap();
    let budget = error.budget.expect("a budget error");
    assert_eq!(
        budget.exceeded.dimension,
        agentwire::budget::Dimension::Time
    );
    // The run's budget is its lifetime less what passed before its code
    // started (a few ms, more on a loaded machine): at most 300 ms.
    assert!((1..=300).contains(&budget.exceeded.limit), "{budget:?}");
    assert!(budget.exceeded.used >= budget.exceeded.limit, "{budget:?}");

    // The workflow's own `budget(time = "1h")` replaces the default.
    let view = settled(&server, &long).await;
    assert_eq!(view.record.status, RunStatus::InputRequired, "{view:?}");
    assert_eq!(view.record.limits.time, Some(Duration::from_secs(3600)));
    backend(&server)
        .resume(&long, "go".into(), json!({"go": true}))
        .await
        .unwrap();
    assert_eq!(
        settled(&server, &long).await.record.status,
        RunStatus::Completed
    );
}

#[tokio::test]
async fn finished_runs_are_removed_after_retain_finished_while_the_server_runs() {
    let store = Arc::new(MemoryStore::new());
    let server = server(
        &[patient::DEFINITION, quick::DEFINITION],
        store,
        "[workflows]\nretain_finished = \"200ms\"",
    );
    server.recover_workflows().await.unwrap();
    let waiting = start(&server, patient::DEFINITION).await;
    let done = start(&server, quick::DEFINITION).await;
    assert_eq!(
        settled(&server, &done).await.record.status,
        RunStatus::Completed
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match backend(&server).status(&done).await {
            Err(ControlError::NotFound(_)) => break,
            Ok(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => panic!("the finished run is still kept: {other:?}"),
        }
    }
    // A run not finished stays, however old.
    let view = backend(&server).status(&waiting).await.unwrap();
    assert_eq!(view.record.status, RunStatus::InputRequired);
    backend(&server).shutdown();
}

#[tokio::test]
async fn finished_runs_past_their_retention_are_removed_from_the_sqlite_journal_at_recovery() {
    let dir = std::env::temp_dir().join(format!("agentwire-retain-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("retain.journal");
    let definitions = [patient::DEFINITION, quick::DEFINITION];
    let (done, waiting) = {
        let store = Arc::new(SqliteStore::open(&path, Synchronous::Normal).unwrap());
        let first = server(&definitions, store, "");
        first.recover_workflows().await.unwrap();
        let waiting = start(&first, patient::DEFINITION).await;
        let done = start(&first, quick::DEFINITION).await;
        assert_eq!(
            settled(&first, &done).await.record.status,
            RunStatus::Completed
        );
        settled(&first, &waiting).await;
        // Kept with the default retention (a week).
        assert!(backend(&first).status(&done).await.is_ok());
        backend(&first).shutdown();
        (done, waiting)
    };
    tokio::time::sleep(Duration::from_millis(100)).await;

    let store = Arc::new(SqliteStore::open(&path, Synchronous::Normal).unwrap());
    let second = server(
        &definitions,
        store.clone(),
        "[workflows]\nretain_finished = \"50ms\"",
    );
    let recovery = second.recover_workflows().await.unwrap();
    assert_eq!(recovery.resumed, 1);
    assert!(matches!(
        backend(&second).status(&done).await,
        Err(ControlError::NotFound(_))
    ));
    assert!(
        store.entries(&done).await.unwrap().is_empty(),
        "its journal went too"
    );
    assert_eq!(
        settled(&second, &waiting).await.record.status,
        RunStatus::InputRequired
    );
    backend(&second).shutdown();
    drop(second);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_settings_are_checked_as_the_file_is_read() {
    for (text, key) in [
        ("max_live_runs = 0", "max_live_runs"),
        ("max_signals_per_run = 0", "max_signals_per_run"),
        ("run_lifetime = \"0s\"", "run_lifetime"),
        ("retain_finished = \"a week\"", "retain_finished"),
    ] {
        let error = Config::parse(&format!("[workflows]\n{text}")).unwrap_err();
        assert!(error.contains(key), "{error}");
    }
    let settings = Config::default().workflows.resolve();
    assert_eq!(settings.max_live_runs, 10_000);
    assert_eq!(settings.max_signals_per_run, 64);
    assert_eq!(settings.retain_finished, Duration::from_secs(7 * 24 * 3600));
    assert_eq!(settings.run_lifetime, Duration::from_secs(30 * 24 * 3600));
}
