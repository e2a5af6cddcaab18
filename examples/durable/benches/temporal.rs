//! Temporal versus the embedded journal, measured end to end through the
//! MCP server (not a test): runs per second, and the latency of one step.
//!
//! ```text
//! cargo bench -p durable --features temporal --bench temporal
//! ```
//!
//! Each setup serves `durable` over streamable HTTP: the embedded journal
//! (the server runs the workflows), then Temporal with one and with two
//! `durable worker` processes (the server only starts and reads runs). A
//! client starts the `countdown` workflow through `workflows-run` and polls
//! `workflows-get_status` until the runs complete.

const BINARY: &str = env!("CARGO_BIN_EXE_durable");

#[path = "../tests/support/cluster.rs"]
#[allow(dead_code)]
mod cluster;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cluster::*;
use serde_json::json;

/// Runs started at once for the throughput figure, and their steps.
const RUNS: usize = 100;
const RUN_STEPS: u32 = 5;
/// Steps of the run timed for the latency figure, and how many such runs.
const LATENCY_STEPS: u32 = 20;
const LATENCY_RUNS: usize = 5;

struct Figures {
    runs_per_second: f64,
    step_ms: f64,
}

/// Polls until every run completed.
async fn wait_all(client: &Client, runs: &[String]) {
    let mut left: Vec<&String> = runs.iter().collect();
    let deadline = Instant::now() + Duration::from_secs(600);
    while !left.is_empty() {
        let mut still = Vec::new();
        for run in left {
            let status = status(client, run).await;
            assert_ne!(status["status"], "failed", "{status}");
            if status["status"] != "completed" {
                still.push(run);
            }
        }
        left = still;
        assert!(Instant::now() < deadline, "runs did not complete");
        if !left.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn measure(url: &str) -> Figures {
    let client = connect(url).await;
    // Warm up: the first run pays for connections and caches.
    let warm = start_run(&client, "countdown", json!({"steps": 1})).await;
    wait_all(&client, &[warm]).await;

    let mut step_ms = Vec::new();
    for _ in 0..LATENCY_RUNS {
        let started = Instant::now();
        let run = start_run(&client, "countdown", json!({"steps": LATENCY_STEPS})).await;
        wait_all(&client, &[run]).await;
        step_ms.push(started.elapsed().as_secs_f64() * 1000.0 / f64::from(LATENCY_STEPS));
    }
    step_ms.sort_by(f64::total_cmp);

    let started = Instant::now();
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        runs.push(start_run(&client, "countdown", json!({"steps": RUN_STEPS})).await);
    }
    wait_all(&client, &runs).await;
    let runs_per_second = RUNS as f64 / started.elapsed().as_secs_f64();
    client.cancel().await.unwrap();
    Figures {
        runs_per_second,
        step_ms: step_ms[step_ms.len() / 2],
    }
}

/// `durable serve --http` on the embedded journal in `dir`.
fn serve_embedded(dir: &std::path::Path) -> (Process, String) {
    let mut child = Command::new(BINARY)
        .args(["serve", "--http", "127.0.0.1:0"])
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start durable serve");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    (Process(child), url)
}

fn row(name: &str, figures: &Figures) {
    println!(
        "| {name} | {:.1} | {:.2} |",
        figures.runs_per_second, figures.step_ms
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "| backend | runs/s ({RUNS} runs of {RUN_STEPS} steps, started at once) | ms per step (median of {LATENCY_RUNS} runs of {LATENCY_STEPS} steps) |"
    );
    println!("|---|---|---|");
    let dir = scratch_dir("bench-journal");
    let (serve, url) = serve_embedded(&dir);
    row(
        "embedded journal (the server runs the workflows)",
        &measure(&url).await,
    );
    drop(serve);

    let dir = scratch_dir("bench-temporal");
    let cluster = Cluster::start(&dir);
    let first = cluster.worker("first");
    let (serve, url) = cluster.serve();
    row("Temporal, 1 worker", &measure(&url).await);
    let second = cluster.worker("second");
    row("Temporal, 2 workers", &measure(&url).await);
    drop((serve, first, second, cluster));
}
