//! `durable` on a real Temporal server: `temporal server start-dev` (the
//! Temporal CLI that scripts/temporal.sh installs), `durable worker`
//! processes that execute the runs, and `durable serve --workflow-backend
//! temporal` that clients talk MCP to. Processes are killed with SIGKILL
//! and restarted; runs must complete, and steps whose outcome Temporal
//! recorded must not run again.
//!
//! `cargo test -p durable --features temporal --test temporal`; set
//! AGENTWIRE_TEMPORAL_CLI to use another `temporal` binary.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, object};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::{Value, json};

const DURABLE: &str = env!("CARGO_BIN_EXE_durable");

type Client = RunningService<RoleClient, ()>;

/// A child process, killed (SIGKILL) when dropped.
struct Process(Child);

impl Process {
    fn kill9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn scratch_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("agentwire-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `temporal` binary: $AGENTWIRE_TEMPORAL_CLI, or the one
/// scripts/temporal.sh installs (it prints its path).
fn temporal_cli() -> PathBuf {
    if let Some(path) = std::env::var_os("AGENTWIRE_TEMPORAL_CLI") {
        return PathBuf::from(path);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/temporal.sh");
    let output = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/temporal.sh");
    assert!(output.status.success(), "scripts/temporal.sh failed");
    let text = String::from_utf8(output.stdout).unwrap();
    PathBuf::from(text.lines().last().expect("the binary's path").trim())
}

/// A Temporal dev server on free loopback ports, its state in one file.
struct Cluster {
    cli: PathBuf,
    dir: PathBuf,
    port: u16,
    server: Option<Process>,
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        let mut cluster = Cluster {
            cli: temporal_cli(),
            dir: dir.to_owned(),
            port: free_port(),
            server: None,
        };
        cluster.restart();
        cluster
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the server (again, on the same file and port) and waits
    /// until its `default` namespace answers.
    fn restart(&mut self) {
        let log = std::fs::File::create(self.dir.join("temporal.log")).unwrap();
        let child = Command::new(&self.cli)
            .args(["server", "start-dev", "--headless", "--ip", "127.0.0.1"])
            .args(["--port", &self.port.to_string()])
            .args(["--ui-port", &free_port().to_string()])
            .args(["--http-port", &free_port().to_string()])
            .args(["--metrics-port", &free_port().to_string()])
            .args(["--log-level", "error"])
            .arg("--db-filename")
            .arg(self.dir.join("temporal.db"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start temporal server start-dev");
        self.server = Some(Process(child));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = Command::new(&self.cli)
                .args([
                    "operator",
                    "namespace",
                    "describe",
                    "--namespace",
                    "default",
                ])
                .args(["--address", &self.address()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the Temporal dev server did not start"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn kill9(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.kill9();
        }
    }

    /// agentwire.toml naming this cluster; workflow tasks time out after
    /// 3 s, so a killed worker's task moves on quickly.
    fn config(&self) -> PathBuf {
        let path = self.dir.join("agentwire.toml");
        let text = format!(
            "[workflows]\nbackend = \"temporal\"\n\n[workflows.temporal]\naddress = \"{}\"\n\
             task_timeout = \"3s\"\n",
            self.address()
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `durable worker`, logging to `worker-<name>.log`.
    fn worker(&self, name: &str) -> Process {
        let log = std::fs::File::create(self.dir.join(format!("worker-{name}.log"))).unwrap();
        let child = Command::new(DURABLE)
            .arg("--config")
            .arg(self.config())
            .arg("worker")
            .current_dir(&self.dir)
            .env("RUST_LOG", "info,temporalio_sdk_core=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start durable worker");
        Process(child)
    }

    /// With AGENTWIRE_RECORD_HISTORIES set, writes the run's history to
    /// tests/histories/<name>.json, for the replay test.
    fn record_history(&self, run: &str, name: &str) {
        if std::env::var_os("AGENTWIRE_RECORD_HISTORIES").is_none() {
            return;
        }
        let output = Command::new(DURABLE)
            .arg("--config")
            .arg(self.config())
            .args(["history", run])
            .output()
            .expect("durable history");
        assert!(output.status.success(), "{output:?}");
        let path = histories().join(format!("{name}.json"));
        std::fs::write(&path, output.stdout).unwrap();
        println!("recorded {}", path.display());
    }

    fn worker_log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("worker-{name}.log"))).unwrap_or_default()
    }

    /// `durable serve --http` on Temporal (the backend from the command
    /// line, the address from $TEMPORAL_ADDRESS); its URL.
    fn serve(&self) -> (Process, String) {
        let log = std::fs::File::create(self.dir.join("serve.log")).unwrap();
        let mut child = Command::new(DURABLE)
            .args([
                "--workflow-backend",
                "temporal",
                "serve",
                "--http",
                "127.0.0.1:0",
            ])
            .current_dir(&self.dir)
            .env("TEMPORAL_ADDRESS", self.address())
            .env("RUST_LOG", "info,rmcp=warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start durable serve");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        (Process(child), url)
    }
}

/// The recorded histories the replay test replays.
fn histories() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/histories")
}

async fn connect(url: &str) -> Client {
    let transport = StreamableHttpClientTransport::from_uri(url.to_owned());
    ().serve(transport).await.expect("connect")
}

async fn call(client: &Client, tool: &'static str, args: Value) -> CallToolResult {
    client
        .call_tool(CallToolRequestParams::new(tool).with_arguments(object(args)))
        .await
        .expect("tools/call answered")
}

fn structured(result: &CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "{result:?}");
    result
        .structured_content
        .clone()
        .expect("structured result")
}

async fn start_run(client: &Client, workflow: &str, parameters: Value) -> String {
    let started = structured(
        &call(
            client,
            "workflows-run",
            json!({"workflow_name": workflow, "run_parameters": parameters}),
        )
        .await,
    );
    started["run_id"].as_str().unwrap().to_owned()
}

async fn status(client: &Client, run: &str) -> Value {
    structured(&call(client, "workflows-get_status", json!({"run_id": run})).await)
}

/// Polls the run's status until `done` holds.
async fn wait_for_status(
    client: &Client,
    run: &str,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let status = status(client, run).await;
        if done(&status) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "run {run} did not get there: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn is(status: &'static str) -> impl Fn(&Value) -> bool {
    move |value| value["status"] == status
}

/// How often each `<run> <what>` of the side-effect log logged `begin`.
fn begins(log: &Path) -> BTreeMap<(String, String), u32> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [run, what, "begin"] = words[..] {
            *counts.entry((run.to_owned(), what.to_owned())).or_default() += 1;
        }
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_runs_on_temporal_and_is_resumed_listed_and_cancelled_through_mcp() {
    let dir = scratch_dir("temporal-report");
    let cluster = Cluster::start(&dir);
    let _worker = cluster.worker("a");
    let (_serve, url) = cluster.serve();
    let client = connect(&url).await;

    let run = start_run(&client, "report", json!({"topic": "rust"})).await;
    let waiting =
        wait_for_status(&client, &run, Duration::from_secs(60), is("input_required")).await;
    assert_eq!(waiting["waiting_for"], "approval", "{waiting}");
    assert_eq!(waiting["payload_schema"]["title"], "Approval", "{waiting}");
    // research (3 × 240 tokens) and write_report (900 tokens), as on the
    // embedded backend.
    let used = &waiting["budget_used"];
    assert_eq!(
        used["inputTokens"].as_u64().unwrap() + used["outputTokens"].as_u64().unwrap(),
        3 * 240 + 900,
        "{waiting}"
    );

    // Visibility lists the run.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = structured(
            &call(
                &client,
                "workflows-runs-list",
                json!({"workflow_name": "report"}),
            )
            .await,
        );
        if page["runs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["run_id"] == run.as_str())
        {
            break;
        }
        assert!(Instant::now() < deadline, "the run is not listed: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A payload for another wait does not resume this one.
    structured(
        &call(
            &client,
            "workflows-resume",
            json!({"run_id": run, "signal_name": "something-else", "payload": {"approved": false}}),
        )
        .await,
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(status(&client, &run).await["status"], "input_required");

    let resumed = structured(
        &call(
            &client,
            "workflows-resume",
            json!({
                "run_id": run, "signal_name": "approval",
                "payload": {"approved": true, "comment": "ship it"},
            }),
        )
        .await,
    );
    assert_eq!(resumed["run_id"], run.as_str(), "{resumed}");
    let done = wait_for_status(&client, &run, Duration::from_secs(60), is("completed")).await;
    assert_eq!(done["result"]["status"], "published", "{done}");
    assert_eq!(done["result"]["comment"], "ship it", "{done}");
    assert!(
        done["result"]["text"]
            .as_str()
            .unwrap()
            .starts_with("# rust\n"),
        "{done}"
    );

    cluster.record_history(&run, "report");

    // A second run, cancelled while it waits.
    let other = start_run(&client, "report", json!({"topic": "go"})).await;
    wait_for_status(
        &client,
        &other,
        Duration::from_secs(60),
        is("input_required"),
    )
    .await;
    let cancelled = structured(&call(&client, "workflows-cancel", json!({"run_id": other})).await);
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    wait_for_status(&client, &other, Duration::from_secs(30), is("cancelled")).await;
    let refused = call(
        &client,
        "workflows-resume",
        json!({"run_id": other, "payload": {"approved": true}}),
    )
    .await;
    assert_eq!(refused.is_error, Some(true), "{refused:?}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_inside_a_step_hands_the_run_to_another_and_recorded_steps_do_not_rerun() {
    let dir = scratch_dir("temporal-kill9");
    let log = dir.join("side-effects.log");
    let cluster = Cluster::start(&dir);
    let mut first = cluster.worker("first");
    let (_serve, url) = cluster.serve();
    let client = connect(&url).await;

    let run = start_run(
        &client,
        "soak",
        json!({"log": log.to_str().unwrap(), "steps": 4, "step_ms": 1500, "timer_ms": 200}),
    )
    .await;
    // Kill the only worker while the second step runs (the first one's
    // outcome is recorded by then).
    let deadline = Instant::now() + Duration::from_secs(60);
    while !begins(&log).contains_key(&(run.clone(), "step-1".to_owned())) {
        assert!(Instant::now() < deadline, "step-1 never began");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.kill9();
    let _second = cluster.worker("second");

    wait_for_status(&client, &run, Duration::from_secs(90), is("input_required")).await;
    structured(
        &call(
            &client,
            "workflows-resume",
            json!({"run_id": run, "signal_name": "approval", "payload": {"approved": true}}),
        )
        .await,
    );
    let done = wait_for_status(&client, &run, Duration::from_secs(60), is("completed")).await;
    assert_eq!(done["result"]["approved"], true, "{done}");
    assert_eq!(done["result"]["steps"], 4, "{done}");

    let begins = begins(&log);
    let count = |what: &str| begins.get(&(run.clone(), what.to_owned())).copied();
    assert_eq!(count("step-0"), Some(1), "{begins:?}");
    assert_eq!(
        count("step-1"),
        Some(2),
        "the interrupted step runs again: {begins:?}"
    );
    for what in ["step-2", "step-3", "agent", "finish"] {
        assert_eq!(count(what), Some(1), "{what}: {begins:?}");
    }
    assert!(
        cluster
            .worker_log("second")
            .contains("workflow run finished"),
        "the second worker finished the run"
    );
    cluster.record_history(&run, "soak-after-kill");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_share_a_hundred_runs() {
    const RUNS: usize = 100;
    let dir = scratch_dir("temporal-share");
    let log = dir.join("side-effects.log");
    let cluster = Cluster::start(&dir);
    let _a = cluster.worker("a");
    let _b = cluster.worker("b");
    let (_serve, url) = cluster.serve();
    let client = connect(&url).await;

    let mut runs = Vec::new();
    for _ in 0..RUNS {
        let parameters =
            json!({"log": log.to_str().unwrap(), "steps": 2, "step_ms": 20, "timer_ms": 10});
        runs.push(start_run(&client, "soak", parameters).await);
    }
    for run in &runs {
        wait_for_status(&client, run, Duration::from_secs(300), is("input_required")).await;
        structured(
            &call(
                &client,
                "workflows-resume",
                json!({"run_id": run, "signal_name": "approval", "payload": {"approved": true}}),
            )
            .await,
        );
    }
    for run in &runs {
        wait_for_status(&client, run, Duration::from_secs(300), is("completed")).await;
    }
    let finished = |name: &str| {
        let text = cluster.worker_log(name);
        runs.iter()
            .filter(|run| {
                text.lines()
                    .any(|l| l.contains("workflow run finished") && l.contains(run.as_str()))
            })
            .count()
    };
    let (a, b) = (finished("a"), finished("b"));
    println!("worker a finished {a} runs, worker b {b}");
    assert!(a > 0 && b > 0, "both workers took runs: {a} and {b}");
    assert!(a + b >= RUNS, "every run finished on a worker: {a} + {b}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_wait_survives_a_restart_of_every_process() {
    let dir = scratch_dir("temporal-restart");
    let mut cluster = Cluster::start(&dir);
    let mut worker = cluster.worker("before");
    let (mut serve, url) = cluster.serve();
    let client = connect(&url).await;
    let run = start_run(&client, "report", json!({"topic": "restarts"})).await;
    wait_for_status(&client, &run, Duration::from_secs(60), is("input_required")).await;
    drop(client);

    // Everything goes down hard: the MCP server, the worker, and Temporal.
    serve.kill9();
    worker.kill9();
    cluster.kill9();
    cluster.restart();
    let _worker = cluster.worker("after");
    let (_serve, url) = cluster.serve();
    let client = connect(&url).await;

    let waiting =
        wait_for_status(&client, &run, Duration::from_secs(60), is("input_required")).await;
    assert_eq!(waiting["waiting_for"], "approval", "{waiting}");
    structured(
        &call(
            &client,
            "workflows-resume",
            json!({"run_id": run, "signal_name": "approval", "payload": {"approved": true}}),
        )
        .await,
    );
    let done = wait_for_status(&client, &run, Duration::from_secs(60), is("completed")).await;
    assert_eq!(done["result"]["status"], "published", "{done}");
    client.cancel().await.unwrap();
}

/// Every recorded history of the example's workflows replays against the
/// code (`durable replay`), and a history that does not match the code is
/// refused. Re-record them with
/// `AGENTWIRE_RECORD_HISTORIES=1 cargo test -p durable --features temporal --test temporal`.
#[test]
fn recorded_histories_replay_and_a_history_of_other_code_is_refused() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(histories())
        .expect("tests/histories")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.contains(&"report".to_owned()) && names.contains(&"soak-after-kill".to_owned()),
        "{names:?}"
    );
    let replayed = Command::new(DURABLE)
        .arg("replay")
        .args(&files)
        .output()
        .unwrap();
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );

    // The report's history, told it was a run of `soak`: the code takes
    // other steps than the history recorded.
    let text = std::fs::read_to_string(histories().join("report.json")).unwrap();
    let mut history: Value = serde_json::from_str(&text).unwrap();
    let data = &mut history["events"][0]["attributes"]["WorkflowExecutionStartedEventAttributes"]["input"]
        ["payloads"][0]["data"];
    let decoded = base64_decode(data.as_str().expect("the input payload's data"));
    let mut run_input: Value = serde_json::from_slice(&decoded).unwrap();
    run_input["workflow"] = "soak".into();
    run_input["arguments"] = json!({"log": "/dev/null", "steps": 1, "step_ms": 0, "timer_ms": 0});
    *data = base64_encode(&serde_json::to_vec(&run_input).unwrap()).into();
    let dir = scratch_dir("temporal-replay");
    let tampered = dir.join("tampered.json");
    std::fs::write(&tampered, serde_json::to_vec(&history).unwrap()).unwrap();
    let refused = Command::new(DURABLE)
        .arg("replay")
        .arg(&tampered)
        .output()
        .unwrap();
    assert!(
        !refused.status.success(),
        "a history of other code replayed"
    );
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("tampered.json") && message.contains("nondeterministic"),
        "{message}"
    );
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_decode(text: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = BASE64.iter().position(|c| *c == byte).expect("base64") as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | *b as u32) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        out.push_str(&"=".repeat(3 - chunk.len()));
    }
    out
}
