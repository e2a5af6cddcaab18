//! Durable workflows in one process: replay after a simulated restart (a new
//! engine on the same store), retries and timeouts as declared, agent calls
//! journaled with their budget, durable timers, waits, cancellation, code
//! changes, damaged journals, and the MCP side (tasks and `workflows-*`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::workflow::backend::ControlError;
use agentwire::workflow::record::RunStatus;
use agentwire::workflow::store::{JournalStore, MemoryStore, SqliteStore, StoreError, Synchronous};
use agentwire::workflow::{BackendKind, WorkflowBackend, WorkflowSettings};
use agentwire::{AgentDefinition, AgentServer, Registry, ServerIdentity};
use rmcp::model::{JsonObject, object};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

fn server(definitions: &[&'static AgentDefinition], store: Arc<dyn JournalStore>) -> AgentServer {
    let settings = WorkflowSettings {
        backend: BackendKind::Memory,
        task_after: Duration::from_millis(200),
        ..WorkflowSettings::default()
    };
    AgentServer::with_workflow_store(
        Registry::from_definitions(definitions.iter().copied()).unwrap(),
        ServerIdentity::new("workflow-tests", "0.0.1"),
        &Config::default(),
        store,
        &settings,
    )
}

fn backend(server: &AgentServer) -> &Arc<dyn WorkflowBackend> {
    server.workflow_backend().expect("the server has workflows")
}

fn args(value: Value) -> JsonObject {
    object(value)
}

async fn settled(server: &AgentServer, run_id: &str) -> agentwire::workflow::RunView {
    backend(server)
        .settle(run_id, Some(Duration::from_secs(20)))
        .await
        .unwrap()
}

/// Stops the engine and lets its runs drop their futures.
async fn stop(server: AgentServer) {
    backend(&server).shutdown();
    drop(server);
    tokio::time::sleep(Duration::from_millis(50)).await;
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
struct Go {
    go: bool,
}

/// How often `counting`'s steps ran, by the run's label.
static COUNTED: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, u32>>> =
    std::sync::LazyLock::new(Default::default);

fn count(label: &str) -> u32 {
    let mut counted = COUNTED.lock().unwrap();
    let n = counted.entry(label.to_owned()).or_default();
    *n += 1;
    *n
}

fn counted(label: &str) -> u32 {
    COUNTED.lock().unwrap().get(label).copied().unwrap_or(0)
}

/// Three counted steps, a wait, and a last counted step.
#[workflow]
async fn counting(ctx: &WorkflowContext, label: String) -> Result<String, WorkflowError> {
    let mut total = 0;
    for i in 0..3 {
        total += ctx
            .step(format!("count-{i}"), || async {
                count(&label);
                Ok::<_, std::io::Error>(i)
            })
            .await?;
    }
    let go: Go = ctx.wait_for("go", Duration::from_secs(60)).await?;
    ctx.step("last", || async {
        count(&label);
        Ok::<_, std::io::Error>(())
    })
    .await?;
    Ok(format!("{label}: {total} {}", go.go))
}

#[tokio::test]
async fn a_restarted_run_replays_finished_steps_without_running_them_again() {
    let store: Arc<dyn JournalStore> = Arc::new(MemoryStore::new());
    let first = server(&[counting::DEFINITION], store.clone());
    let run = backend(&first)
        .start(counting::DEFINITION, args(json!({"label": "x"})), None)
        .await
        .unwrap();
    let view = settled(&first, &run.run_id).await;
    assert_eq!(view.record.status, RunStatus::InputRequired);
    assert_eq!(view.waits[0].name, "go");
    assert_eq!(counted("x"), 3);
    stop(first).await;

    let second = server(&[counting::DEFINITION], store);
    let recovery = second.recover_workflows().await.unwrap();
    assert_eq!(recovery.resumed, 1);
    let view = settled(&second, &run.run_id).await;
    assert_eq!(view.record.status, RunStatus::InputRequired);
    assert_eq!(counted("x"), 3, "replay ran no step again");

    let resumed = backend(&second)
        .resume(&run.run_id, "go".into(), json!({"go": true}))
        .await
        .unwrap();
    assert_eq!(resumed.delivered_to.as_deref(), Some("go"));
    let view = settled(&second, &run.run_id).await;
    assert_eq!(view.record.status, RunStatus::Completed, "{view:?}");
    assert_eq!(view.record.output, Some(json!("x: 3 true")));
    assert_eq!(counted("x"), 4);
}

static FLAKY: AtomicU32 = AtomicU32::new(0);
static ALWAYS: AtomicU32 = AtomicU32::new(0);
static OVERRIDDEN: AtomicU32 = AtomicU32::new(0);

/// A step that fails twice, one that always fails, one with its own policy.
#[workflow(retry(attempts = 3, backoff = "40ms", factor = 2))]
async fn retrying(ctx: &WorkflowContext, which: String) -> Result<u32, WorkflowError> {
    match which.as_str() {
        "flaky" => {
            ctx.step("flaky", || async {
                let attempt = FLAKY.fetch_add(1, Ordering::SeqCst) + 1;
                if attempt < 3 {
                    Err(format!("attempt {attempt} failed"))
                } else {
                    Ok(attempt)
                }
            })
            .await
        }
        "always" => {
            ctx.step("always", || async {
                ALWAYS.fetch_add(1, Ordering::SeqCst);
                Err::<u32, _>("never works")
            })
            .await
        }
        _ => {
            ctx.step("overridden", || async {
                OVERRIDDEN.fetch_add(1, Ordering::SeqCst);
                Err::<u32, _>("never works")
            })
            .retry(RetryPolicy::attempts(5).with_backoff(Duration::from_millis(1)))
            .await
        }
    }
}

#[tokio::test]
async fn retries_follow_the_declared_policy_with_backoff() {
    let server = server(&[retrying::DEFINITION], Arc::new(MemoryStore::new()));
    let started = Instant::now();
    let run = backend(&server)
        .start(retrying::DEFINITION, args(json!({"which": "flaky"})), None)
        .await
        .unwrap();
    let view = settled(&server, &run.run_id).await;
    assert_eq!(view.record.output, Some(json!(3)), "{view:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(40 + 80),
        "two backoffs of 40 and 80 ms were waited: {:?}",
        started.elapsed()
    );

    let run = backend(&server)
        .start(retrying::DEFINITION, args(json!({"which": "always"})), None)
        .await
        .unwrap();
    let view = settled(&server, &run.run_id).await;
    assert_eq!(view.record.status, RunStatus::Failed);
    let error = view.record.error.unwrap().message;
    assert!(
        error.contains("after 3 attempts") && error.contains("never works"),
        "{error}"
    );
    assert_eq!(ALWAYS.load(Ordering::SeqCst), 3);

    let run = backend(&server)
        .start(retrying::DEFINITION, args(json!({"which": "other"})), None)
        .await
        .unwrap();
    let view = settled(&server, &run.run_id).await;
    assert_eq!(view.record.status, RunStatus::Failed);
    assert_eq!(
        OVERRIDDEN.load(Ordering::SeqCst),
        5,
        "the step's own policy won"
    );
}

static SLOW: AtomicU32 = AtomicU32::new(0);

/// A step that takes too long for the declared timeout.
#[workflow(retry(attempts = 2, backoff = "1ms"), step_timeout = "50ms")]
async fn slow(ctx: &WorkflowContext) -> Result<(), WorkflowError> {
    ctx.step("slow", || async {
        SLOW.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok::<_, std::io::Error>(())
    })
    .await
}

#[tokio::test]
async fn a_step_timeout_fails_slow_attempts() {
    let server = server(&[slow::DEFINITION], Arc::new(MemoryStore::new()));
    let started = Instant::now();
    let run = backend(&server)
        .start(slow::DEFINITION, JsonObject::new(), None)
        .await
        .unwrap();
    let view = settled(&server, &run.run_id).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(view.record.status, RunStatus::Failed);
    let error = view.record.error.unwrap().message;
    assert!(
        error.contains("timeout of 50 ms") && error.contains("2 attempts"),
        "{error}"
    );
    assert_eq!(SLOW.load(Ordering::SeqCst), 2);
}

static THINKS: AtomicU32 = AtomicU32::new(0);

/// Charges 100 tokens per call.
#[agent]
async fn think(ctx: &AgentContext, about: String) -> Result<String, BudgetExceeded> {
    THINKS.fetch_add(1, Ordering::SeqCst);
    ctx.charge(Usage::model(60, 40, 10))?;
    Ok(format!("thought about {about}"))
}

/// Calls `think`, waits, calls it again.
#[workflow(calls = [think], budget(tokens = 250))]
async fn pondering(ctx: &WorkflowContext, rounds: u32) -> Result<Vec<String>, WorkflowError> {
    let mut thoughts = vec![think::call(ctx, "a".into()).await?];
    let _: Go = ctx.wait_for("go", Duration::from_secs(60)).await?;
    for i in 1..rounds {
        thoughts.push(think::call(ctx, format!("b{i}")).await?);
    }
    Ok(thoughts)
}

#[tokio::test]
async fn agent_calls_are_journaled_and_their_budget_survives_a_restart() {
    let store: Arc<dyn JournalStore> = Arc::new(MemoryStore::new());
    let definitions = [pondering::DEFINITION, think::DEFINITION];
    let first = server(&definitions, store.clone());
    let ok = backend(&first)
        .start(pondering::DEFINITION, args(json!({"rounds": 2})), None)
        .await
        .unwrap();
    let over = backend(&first)
        .start(pondering::DEFINITION, args(json!({"rounds": 3})), None)
        .await
        .unwrap();
    settled(&first, &ok.run_id).await;
    settled(&first, &over.run_id).await;
    assert_eq!(THINKS.load(Ordering::SeqCst), 2);
    stop(first).await;

    let second = server(&definitions, store);
    second.recover_workflows().await.unwrap();
    for run in [&ok, &over] {
        let view = settled(&second, &run.run_id).await;
        assert_eq!(
            view.usage.tokens(),
            100,
            "the journaled call's tokens count: {view:?}"
        );
        backend(&second)
            .resume(&run.run_id, "go".into(), json!({"go": true}))
            .await
            .unwrap();
    }
    let view = settled(&second, &ok.run_id).await;
    assert_eq!(view.record.status, RunStatus::Completed, "{view:?}");
    assert_eq!(view.usage.tokens(), 200);
    // 100 tokens before the restart, 100 after, and a third call refused:
    // the budget of 250 held across the restart.
    let view = settled(&second, &over.run_id).await;
    assert_eq!(view.record.status, RunStatus::Failed, "{view:?}");
    let error = view.record.error.unwrap();
    assert_eq!(
        error.budget.unwrap().exceeded.dimension,
        Dimension::Tokens,
        "{}",
        error.message
    );
    assert_eq!(THINKS.load(Ordering::SeqCst), 2 + 1 + 2);
}

use agentwire::Dimension;

/// Sleeps, then reads the clock and a random number.
#[workflow]
async fn napping(ctx: &WorkflowContext, ms: u64) -> Result<(u64, u64), WorkflowError> {
    let random = ctx.random_u64();
    ctx.sleep(Duration::from_millis(ms)).await?;
    let now = ctx.now().await?;
    let now = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    Ok((random, now))
}

#[tokio::test]
async fn a_timer_survives_a_restart_and_waits_only_what_is_left() {
    let store: Arc<dyn JournalStore> = Arc::new(MemoryStore::new());
    let first = server(&[napping::DEFINITION], store.clone());
    let started = Instant::now();
    let run = backend(&first)
        .start(napping::DEFINITION, args(json!({"ms": 600})), None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop(first).await;
    let second = server(&[napping::DEFINITION], store.clone());
    second.recover_workflows().await.unwrap();
    let view = settled(&second, &run.run_id).await;
    let elapsed = started.elapsed();
    assert_eq!(view.record.status, RunStatus::Completed, "{view:?}");
    assert!(
        elapsed >= Duration::from_millis(600) && elapsed < Duration::from_millis(850),
        "the timer fired 600 ms after it was set, not 600 ms after the restart: {elapsed:?}"
    );
    let output = view.record.output.unwrap();
    let entries = store.entries(&run.run_id).await.unwrap();
    assert_eq!(entries.len(), 2, "a timer and a clock reading: {entries:?}");

    // A replay of the finished run's journal gives the same time and number.
    stop(second).await;
    let third = server(&[napping::DEFINITION], store.clone());
    let again = backend(&third)
        .start(napping::DEFINITION, args(json!({"ms": 0})), None)
        .await
        .unwrap();
    let other = settled(&third, &again.run_id).await.record.output.unwrap();
    assert_ne!(output[0], other[0], "each run has its own random numbers");
}

/// Waits briefly for an answer, and says whether one came.
#[workflow]
async fn impatient(ctx: &WorkflowContext) -> Result<String, WorkflowError> {
    match ctx
        .wait_for::<Go>("answer", Duration::from_millis(100))
        .await
    {
        Ok(go) => Ok(format!("answered {}", go.go)),
        Err(WorkflowError::TimedOut { name, .. }) => Ok(format!("no {name}")),
        Err(other) => Err(other),
    }
}

#[tokio::test]
async fn waits_time_out_refuse_bad_payloads_and_keep_early_ones() {
    let server = server(
        &[impatient::DEFINITION, counting::DEFINITION],
        Arc::new(MemoryStore::new()),
    );
    let run = backend(&server)
        .start(impatient::DEFINITION, JsonObject::new(), None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let view = settled(&server, &run.run_id).await;
    assert_eq!(view.record.output, Some(json!("no answer")), "{view:?}");

    let run = backend(&server)
        .start(counting::DEFINITION, args(json!({"label": "y"})), None)
        .await
        .unwrap();
    settled(&server, &run.run_id).await;
    let refused = backend(&server)
        .resume(&run.run_id, "go".into(), json!({"go": "yes please"}))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, ControlError::Payload { name, .. } if name == "go"),
        "{refused}"
    );
    assert!(refused.to_string().contains("invalid type"), "{refused}");
    let view = settled(&server, &run.run_id).await;
    assert_eq!(view.record.status, RunStatus::InputRequired);

    // A payload sent before the wait is reached is kept for it.
    let early = backend(&server)
        .start(counting::DEFINITION, args(json!({"label": "z"})), None)
        .await
        .unwrap();
    let resumed = backend(&server)
        .resume(&early.run_id, "go".into(), json!({"go": false}))
        .await
        .unwrap();
    let view = settled(&server, &early.run_id).await;
    let view = if view.record.status == RunStatus::InputRequired {
        // It may have reached the wait just before the payload.
        tokio::time::sleep(Duration::from_millis(100)).await;
        settled(&server, &early.run_id).await
    } else {
        view
    };
    assert_eq!(
        view.record.output,
        Some(json!("z: 3 false")),
        "{view:?} {resumed:?}"
    );
}

#[tokio::test]
async fn a_cancelled_run_stops_and_is_not_recovered() {
    let store: Arc<dyn JournalStore> = Arc::new(MemoryStore::new());
    let first = server(&[counting::DEFINITION], store.clone());
    let run = backend(&first)
        .start(counting::DEFINITION, args(json!({"label": "c"})), None)
        .await
        .unwrap();
    settled(&first, &run.run_id).await;
    let view = backend(&first).cancel(&run.run_id).await.unwrap();
    assert_eq!(view.record.status, RunStatus::Cancelled);
    let again = backend(&first).cancel(&run.run_id).await.unwrap_err();
    assert!(matches!(again, ControlError::Finished { .. }), "{again}");
    let resume = backend(&first)
        .resume(&run.run_id, "go".into(), json!({"go": true}))
        .await
        .unwrap_err();
    assert!(resume.to_string().contains("already cancelled"), "{resume}");
    stop(first).await;
    let second = server(&[counting::DEFINITION], store);
    assert_eq!(second.recover_workflows().await.unwrap().resumed, 0);
}

/// Version 2 of `evolving`: its first step was renamed.
#[workflow(name = "evolving")]
async fn evolving_v2(ctx: &WorkflowContext) -> Result<(), WorkflowError> {
    ctx.step("renamed", || async { Ok::<_, std::io::Error>(()) })
        .await?;
    Ok(())
}

/// Version 1 of `evolving`.
#[workflow(name = "evolving")]
async fn evolving_v1(ctx: &WorkflowContext) -> Result<(), WorkflowError> {
    ctx.step("original", || async { Ok::<_, std::io::Error>(()) })
        .await?;
    let _: Go = ctx.wait_for("go", Duration::from_secs(60)).await?;
    Ok(())
}

#[tokio::test]
async fn a_run_whose_code_changed_fails_with_the_reason() {
    let store: Arc<dyn JournalStore> = Arc::new(MemoryStore::new());
    let first = server(&[evolving_v1::DEFINITION], store.clone());
    let run = backend(&first)
        .start(evolving_v1::DEFINITION, JsonObject::new(), None)
        .await
        .unwrap();
    settled(&first, &run.run_id).await;
    stop(first).await;
    let second = server(&[evolving_v2::DEFINITION], store);
    second.recover_workflows().await.unwrap();
    let view = settled(&second, &run.run_id).await;
    assert_eq!(view.record.status, RunStatus::Failed);
    let error = view.record.error.unwrap().message;
    assert!(
        error.contains("no longer matches")
            && error.contains("`renamed`")
            && error.contains("`original`"),
        "{error}"
    );
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "agentwire-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn open_when_free(path: &std::path::Path) -> SqliteStore {
    for _ in 0..100 {
        match SqliteStore::open(path, Synchronous::Full) {
            Ok(store) => return store,
            Err(error) if error.to_string().contains("in use") => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(error) => panic!("{error}"),
        }
    }
    panic!("the journal stayed locked");
}

#[tokio::test]
async fn a_damaged_journal_entry_fails_its_run_only() {
    let dir = scratch("damaged");
    let path = dir.join("test.journal");
    let first = server(
        &[counting::DEFINITION],
        Arc::new(open_when_free(&path).await),
    );
    let damaged = backend(&first)
        .start(counting::DEFINITION, args(json!({"label": "d"})), None)
        .await
        .unwrap();
    let healthy = backend(&first)
        .start(counting::DEFINITION, args(json!({"label": "h"})), None)
        .await
        .unwrap();
    settled(&first, &damaged.run_id).await;
    settled(&first, &healthy.run_id).await;
    stop(first).await;

    let store = open_when_free(&path).await;
    drop(store);
    {
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection
            .execute(
                "UPDATE journal SET state = '{\"state\": \"succ' WHERE run_id = ?1 AND seq = 2",
                [&damaged.run_id],
            )
            .unwrap();
    }
    let second = server(
        &[counting::DEFINITION],
        Arc::new(open_when_free(&path).await),
    );
    let recovery = second.recover_workflows().await.unwrap();
    assert_eq!(recovery.resumed, 2);
    let view = settled(&second, &damaged.run_id).await;
    assert_eq!(view.record.status, RunStatus::Failed);
    let error = view.record.error.unwrap().message;
    assert!(
        error.contains("is damaged") && error.contains("journal entry 2"),
        "{error}"
    );
    backend(&second)
        .resume(&healthy.run_id, "go".into(), json!({"go": true}))
        .await
        .unwrap();
    let view = settled(&second, &healthy.run_id).await;
    assert_eq!(view.record.status, RunStatus::Completed, "{view:?}");
    stop(second).await;
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_file_that_is_no_journal_or_is_truncated_gives_a_clear_error() {
    let dir = scratch("garbage");
    let garbage = dir.join("garbage.journal");
    std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
    let error = SqliteStore::open(&garbage, Synchronous::Full).unwrap_err();
    assert!(matches!(error, StoreError::Open(_)));
    let message = error.to_string();
    assert!(
        message.contains("not an agentwire journal") && message.contains("garbage.journal"),
        "{message}"
    );

    // A journal cut short: whatever is left is readable or reported, never a panic.
    let path = dir.join("cut.journal");
    let server1 = server(
        &[counting::DEFINITION],
        Arc::new(open_when_free(&path).await),
    );
    for i in 0..20 {
        let run = backend(&server1)
            .start(
                counting::DEFINITION,
                args(json!({"label": format!("{i}")})),
                None,
            )
            .await
            .unwrap();
        settled(&server1, &run.run_id).await;
    }
    stop(server1).await;
    drop(open_when_free(&path).await); // checkpoints the WAL into the file
    let length = std::fs::metadata(&path).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(length / 2).unwrap();
    drop(file);
    match SqliteStore::open(&path, Synchronous::Full) {
        Err(error) => assert!(error.to_string().contains("cut.journal"), "{error}"),
        Ok(store) => {
            let server2 = server(&[counting::DEFINITION], Arc::new(store));
            match server2.recover_workflows().await {
                Ok(recovery) => assert!(recovery.resumed + recovery.damaged.len() <= 20),
                Err(error) => assert!(!error.to_string().is_empty()),
            }
            stop(server2).await;
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_second_server_on_the_same_journal_is_refused() {
    let dir = scratch("locked");
    let path = dir.join("shared.journal");
    let first = SqliteStore::open(&path, Synchronous::Normal).unwrap();
    let error = SqliteStore::open(&path, Synchronous::Normal).unwrap_err();
    assert!(
        error.to_string().contains("in use by another process"),
        "{error}"
    );
    drop(first);
    SqliteStore::open(&path, Synchronous::Normal).unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_signal_goes_only_to_a_wait_of_its_own_name() {
    let server = server(&[counting::DEFINITION], Arc::new(MemoryStore::new()));
    let run = backend(&server)
        .start(counting::DEFINITION, args(json!({"label": "named"})), None)
        .await
        .unwrap();
    assert_eq!(
        settled(&server, &run.run_id).await.record.status,
        RunStatus::InputRequired
    );
    let unnamed = backend(&server)
        .resume(&run.run_id, String::new(), json!({"go": true}))
        .await
        .unwrap_err();
    assert!(
        matches!(&unnamed, ControlError::UnnamedSignal { waiting_for, .. } if waiting_for == &["go"]),
        "{unnamed:?}"
    );
    assert!(unnamed.to_string().contains("`go`"), "{unnamed}");
    let other = backend(&server)
        .resume(&run.run_id, "stop".into(), json!({"go": true}))
        .await
        .unwrap();
    assert_eq!(other.delivered_to, None, "kept for a wait named `stop`");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let view = backend(&server).status(&run.run_id).await.unwrap();
    assert_eq!(view.record.status, RunStatus::InputRequired, "{view:?}");
    assert_eq!(counted("named"), 3, "the run did not go on");
}

/// A parameter type that is not `Serialize`.
#[derive(Clone, Deserialize, JsonSchema)]
struct Opaque {
    word: String,
}

/// Repeats a word.
#[agent]
async fn repeat_word(word: String, times: Option<u32>) -> String {
    word.repeat(times.unwrap_or(1) as usize)
}

/// Says an opaque word.
#[agent]
async fn say_opaque(opaque: Opaque) -> String {
    opaque.word
}

/// What lets the Temporal backend send an agent call to another process:
/// its arguments as a tool call's JSON, when every parameter's type is
/// `Serialize` (an absent `Option` left out, as a remote call does).
#[test]
fn an_agent_calls_arguments_are_json_when_every_parameter_type_is_serialize() {
    use agentwire::AgentStub;
    assert_eq!(
        <repeat_word as AgentStub>::json_arguments(&("hi".to_owned(), Some(2))),
        Some(object(json!({"word": "hi", "times": 2})))
    );
    assert_eq!(
        <repeat_word as AgentStub>::json_arguments(&("hi".to_owned(), None)),
        Some(object(json!({"word": "hi"})))
    );
    let opaque = Opaque {
        word: "hidden".to_owned(),
    };
    assert_eq!(<say_opaque as AgentStub>::json_arguments(&(opaque,)), None);
}
