//! Durable workflow figures (not a test): journaled steps per second, and
//! how long recovery takes with 1,000 unfinished runs.
//!
//! ```text
//! cargo bench -p agentwire --bench durable            # all figures
//! cargo bench -p agentwire --bench durable -- quick   # smaller numbers
//! ```
//!
//! `scripts/bench.sh` runs it and writes its tables into docs/benchmarks.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::workflow::record::RunStatus;
use agentwire::workflow::store::{JournalStore, MemoryStore, SqliteStore, Synchronous};
use agentwire::workflow::{BackendKind, WorkflowSettings};
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::model::object;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

/// `steps` journaled steps, one after the other.
#[workflow(retry(attempts = 1))]
async fn stepper(ctx: &WorkflowContext, steps: u32) -> Result<u64, WorkflowError> {
    let mut total = 0u64;
    for i in 0..steps {
        total += ctx
            .step(
                "add",
                || async move { Ok::<_, std::io::Error>(u64::from(i)) },
            )
            .await?;
    }
    Ok(total)
}

#[derive(Deserialize, JsonSchema)]
struct Go {}

/// `steps` steps, then a wait: an unfinished run to recover.
#[workflow(retry(attempts = 1))]
async fn parked(ctx: &WorkflowContext, steps: u32) -> Result<(), WorkflowError> {
    for i in 0..steps {
        ctx.step("add", || async move { Ok::<_, std::io::Error>(i) })
            .await?;
    }
    let _: Go = ctx.wait_for("go", Duration::MAX).await?;
    Ok(())
}

fn server(store: Arc<dyn JournalStore>) -> AgentServer {
    let settings = WorkflowSettings {
        backend: BackendKind::Embedded,
        ..WorkflowSettings::default()
    };
    AgentServer::with_workflow_store(
        Registry::from_definitions([stepper::DEFINITION, parked::DEFINITION]).unwrap(),
        ServerIdentity::new("bench", "0"),
        &Config::default(),
        store,
        &settings,
    )
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("agentwire-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn open(path: &std::path::Path, sync: Synchronous) -> SqliteStore {
    loop {
        match SqliteStore::open(path, sync) {
            Ok(store) => return store,
            Err(e) if e.to_string().contains("in use") => {
                tokio::time::sleep(Duration::from_millis(10)).await
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// Runs `runs` runs of `steps` steps at once; returns steps per second.
async fn steps_per_second(store: Arc<dyn JournalStore>, runs: u32, steps: u32) -> f64 {
    let server = server(store);
    let backend = server.workflow_backend().unwrap().clone();
    let started = Instant::now();
    let mut ids = Vec::new();
    for _ in 0..runs {
        let run = backend
            .start(stepper::DEFINITION, object(json!({"steps": steps})), None)
            .await
            .unwrap();
        ids.push(run.run_id);
    }
    for id in &ids {
        let view = backend.settle(id, None).await.unwrap();
        assert_eq!(view.record.status, RunStatus::Completed, "{view:?}");
    }
    let elapsed = started.elapsed();
    backend.shutdown();
    f64::from(runs * steps) / elapsed.as_secs_f64()
}

/// `12345.6` as `12,346`.
fn thousands(value: f64) -> String {
    let digits = format!("{value:.0}");
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

async fn throughput(quick: bool) {
    let (seq_steps, runs, steps) = if quick {
        (200, 20, 20)
    } else {
        (2_000, 100, 100)
    };
    println!("## Journaled steps per second\n");
    println!("| backend | sync | runs × steps | steps/s |");
    println!("|---|---|---|---|");
    for (label, runs, steps) in [("1 run", 1, seq_steps), ("concurrent", runs, steps)] {
        let memory = steps_per_second(Arc::new(MemoryStore::new()), runs, steps).await;
        println!(
            "| memory | – | {runs} × {steps} ({label}) | {} |",
            thousands(memory)
        );
        for sync in [Synchronous::Full, Synchronous::Normal] {
            let dir = scratch("throughput");
            let store = open(&dir.join("bench.journal"), sync).await;
            let rate = steps_per_second(Arc::new(store), runs, steps).await;
            let sync = format!("{sync:?}").to_lowercase();
            println!(
                "| embedded | `{sync}` | {runs} × {steps} ({label}) | {} |",
                thousands(rate)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    println!();
}

async fn recovery(quick: bool) {
    let (runs, steps) = if quick { (200, 10) } else { (1_000, 10) };
    let dir = scratch("recovery");
    let path = dir.join("bench.journal");
    {
        let store = open(&path, Synchronous::Normal).await;
        let server = server(Arc::new(store));
        let backend = server.workflow_backend().unwrap().clone();
        let mut ids = Vec::new();
        for _ in 0..runs {
            let run = backend
                .start(parked::DEFINITION, object(json!({"steps": steps})), None)
                .await
                .unwrap();
            ids.push(run.run_id);
        }
        for id in &ids {
            let view = backend.settle(id, None).await.unwrap();
            assert_eq!(view.record.status, RunStatus::InputRequired);
        }
        backend.shutdown();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);

    let started = Instant::now();
    let store = open(&path, Synchronous::Full).await;
    let opened = started.elapsed();
    let server = server(Arc::new(store));
    let recovery = server.recover_workflows().await.unwrap();
    let listed = started.elapsed();
    assert_eq!(recovery.resumed, runs);
    let backend = server.workflow_backend().unwrap().clone();
    let runs_found = backend
        .runs(agentwire::workflow::store::RunQuery {
            statuses: vec![RunStatus::InputRequired, RunStatus::Running],
            ..Default::default()
        })
        .await
        .unwrap();
    for run in runs_found {
        let run = run.unwrap();
        let view = backend.settle(&run.run_id, None).await.unwrap();
        assert_eq!(view.record.status, RunStatus::InputRequired);
    }
    let replayed = started.elapsed();
    println!(
        "## Recovery of {runs} unfinished runs ({steps} journaled steps each, waiting for input)\n"
    );
    println!("| phase | time |");
    println!("|---|---|");
    println!(
        "| open the journal ({:.1} MiB) | {:.1} ms |",
        size as f64 / 1048576.0,
        opened.as_secs_f64() * 1e3
    );
    println!(
        "| + list the unfinished runs and start them | {:.1} ms |",
        listed.as_secs_f64() * 1e3
    );
    println!(
        "| + every run replayed to its wait | {:.1} ms |",
        replayed.as_secs_f64() * 1e3
    );
    println!();
    backend.shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        throughput(quick).await;
        recovery(quick).await;
    });
}
