//! The `durable` server as a real process, killed with SIGKILL at random
//! points of its runs (inside a step, between steps, during a timer, while
//! waiting for input, just after input arrived) and restarted each time.
//! Every run must complete, and every step and agent call that was journaled
//! must have run exactly once: each appends `begin` and `done` lines to a
//! side-effect log, which this test counts against the journal. A run in
//! progress when the server is stopped with SIGTERM is left resumable the
//! same way.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, object};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::{Value, json};

const DURABLE: &str = env!("CARGO_BIN_EXE_durable");
const RUNS: usize = 6;
const STEPS: u32 = 6;
const STEP_MS: u64 = 150;
const TIMER_MS: u64 = 900;

type Client = RunningService<RoleClient, ()>;

/// How often each `(run, what)` logged `begin` and `done`.
type Counts = BTreeMap<(String, String), (u32, u32)>;

/// A deterministic pseudo-random sequence (xorshift), seeded per test run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Server {
    child: Child,
    url: String,
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

fn start(dir: &Path, restarts: usize) -> Server {
    let stderr = std::fs::File::create(dir.join(format!("server-{restarts}.log"))).unwrap();
    let mut child = Command::new(DURABLE)
        .args(["serve", "--http", "127.0.0.1:0"])
        .current_dir(dir)
        .env("RUST_LOG", "info,rmcp=warn")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("start durable");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    Server { child, url }
}

async fn connect(server: &Server) -> Client {
    let transport = StreamableHttpClientTransport::from_uri(server.url.clone());
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

/// The side-effect log: how often each `<run> <what>` logged each event.
/// Only whole lines count: the test reads while the server writes, so the
/// last line may still be on its way (every whole line must be well-formed).
fn read_log(log: &Path) -> (usize, Counts) {
    let mut text = std::fs::read_to_string(log).unwrap_or_default();
    text.truncate(text.rfind('\n').map_or(0, |end| end + 1));
    let mut counts = Counts::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let [run, what, event] = words[..] else {
            panic!("malformed log line {line:?}");
        };
        let entry = counts.entry((run.to_owned(), what.to_owned())).or_default();
        match event {
            "begin" => entry.0 += 1,
            "done" | "set" => entry.1 += 1,
            other => panic!("unknown event {other:?}"),
        }
    }
    (text.len(), counts)
}

/// The finished steps and agent calls of the journal, as `(run, name)`.
fn journaled(journal: &Path) -> BTreeSet<(String, String)> {
    let connection =
        rusqlite::Connection::open_with_flags(journal, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the journal read-only");
    let mut statement = connection
        .prepare(
            "SELECT run_id, kind, name FROM journal \
             WHERE kind IN ('step', 'call') AND json_extract(state, '$.state') = 'succeeded'",
        )
        .unwrap();
    statement
        .query_map([], |row| {
            let run: String = row.get(0)?;
            let kind: String = row.get(1)?;
            let name: String = row.get(2)?;
            // The log names agent calls "agent" and the timer's step "timer".
            let name = match (kind.as_str(), name.as_str()) {
                ("call", _) => "agent".to_owned(),
                (_, "before timer") => "timer".to_owned(),
                _ => name,
            };
            Ok((run, name))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn statuses(journal: &Path) -> BTreeMap<String, String> {
    let connection =
        rusqlite::Connection::open_with_flags(journal, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut statement = connection
        .prepare("SELECT run_id, status FROM runs")
        .unwrap();
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum KillPoint {
    InsideStep,
    BetweenSteps,
    DuringTimer,
    WhileWaitingForInput,
    AfterInputArrived,
}

/// What was true of the journal and the log when the server was killed.
struct Kill {
    point: KillPoint,
    log_len: usize,
    journaled: BTreeSet<(String, String)>,
    /// Steps whose side effect was done but not yet journaled: they may run
    /// again, by design (at-least-once for the effect inside a step).
    unjournaled_done: BTreeSet<(String, String)>,
}

async fn wait_until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_killed_at_random_points_complete_and_journaled_steps_run_exactly_once() {
    let seed = std::env::var("KILL9_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("KILL9_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = scratch_dir("kill9");
    let log = dir.join("side-effects.log");
    let journal = dir.join("durable.journal");
    let log_text = log.to_str().unwrap().to_owned();

    let mut restarts = 0;
    let mut server = start(&dir, restarts);
    let client = connect(&server).await;
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        let started = structured(
            &call(
                &client,
                "workflows-run",
                json!({
                    "workflow_name": "soak",
                    "run_parameters": {
                        "log": log_text, "steps": STEPS, "step_ms": STEP_MS, "timer_ms": TIMER_MS,
                    },
                }),
            )
            .await,
        );
        runs.push(started["run_id"].as_str().unwrap().to_owned());
        tokio::time::sleep(Duration::from_millis(rng.below(120))).await;
    }
    drop(client);

    // Two of each kind of kill point before the input, in a random order.
    let mut plan = vec![
        KillPoint::InsideStep,
        KillPoint::InsideStep,
        KillPoint::BetweenSteps,
        KillPoint::BetweenSteps,
        KillPoint::DuringTimer,
        KillPoint::InsideStep,
    ];
    for i in (1..plan.len()).rev() {
        plan.swap(i, rng.below(i as u64 + 1) as usize);
    }
    plan.extend([
        KillPoint::WhileWaitingForInput,
        KillPoint::WhileWaitingForInput,
        KillPoint::AfterInputArrived,
    ]);

    let mut kills: Vec<Kill> = Vec::new();
    let mut resumed: BTreeSet<String> = BTreeSet::new();
    for point in plan {
        let (before, counts_before) = read_log(&log);
        match point {
            KillPoint::InsideStep => {
                // A step has begun and not finished: kill somewhere inside it.
                let found = tokio::time::timeout(Duration::from_secs(10), async {
                    loop {
                        let (_, counts) = read_log(&log);
                        if counts
                            .iter()
                            .any(|((_, what), (b, d))| what.starts_with("step-") && b > d)
                        {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(3)).await;
                    }
                })
                .await;
                if found.is_ok() {
                    tokio::time::sleep(Duration::from_millis(rng.below(STEP_MS / 2))).await;
                }
            }
            KillPoint::BetweenSteps => {
                // Right after a step's side effect finished.
                let _ = tokio::time::timeout(Duration::from_secs(10), async {
                    loop {
                        let (_, counts) = read_log(&log);
                        let done =
                            |c: &BTreeMap<_, (u32, u32)>| c.values().map(|v| v.1).sum::<u32>();
                        if done(&counts) > done(&counts_before) {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                })
                .await;
                tokio::time::sleep(Duration::from_millis(rng.below(10))).await;
            }
            KillPoint::DuringTimer => {
                // A timer was set since the last restart: kill while it runs.
                let _ = tokio::time::timeout(Duration::from_secs(10), async {
                    loop {
                        let (_, counts) = read_log(&log);
                        let timers =
                            |c: &Counts| c.iter().filter(|((_, w), _)| w == "timer").count();
                        if timers(&counts) > timers(&counts_before) {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(3)).await;
                    }
                })
                .await;
                tokio::time::sleep(Duration::from_millis(50 + rng.below(TIMER_MS / 2))).await;
            }
            KillPoint::WhileWaitingForInput => {
                wait_until("a run waiting for input", Duration::from_secs(30), || {
                    statuses(&journal).values().any(|s| s == "input_required")
                })
                .await;
                tokio::time::sleep(Duration::from_millis(rng.below(100))).await;
            }
            KillPoint::AfterInputArrived => {
                // Every run waits: approve them, and kill at once, before
                // some of them took their payload.
                wait_until(
                    "every run waiting for input",
                    Duration::from_secs(60),
                    || {
                        let statuses = statuses(&journal);
                        runs.iter()
                            .all(|r| statuses.get(r).is_some_and(|s| s == "input_required"))
                    },
                )
                .await;
                let client = connect(&server).await;
                for run in &runs {
                    let answer = call(
                        &client,
                        "workflows-resume",
                        json!({"run_id": run, "signal_name": "approval", "payload": {"approved": true}}),
                    )
                    .await;
                    structured(&answer);
                    resumed.insert(run.clone());
                    if rng.below(2) == 0 {
                        break;
                    }
                }
                drop(client);
            }
        }
        server.child.kill().expect("kill -9");
        server.child.wait().unwrap();
        let (log_len, counts) = read_log(&log);
        let journaled = journaled(&journal);
        let unjournaled_done = counts
            .iter()
            .filter(|(key, (_, done))| *done > 0 && !journaled.contains(*key))
            .map(|(key, _)| key.clone())
            .collect();
        println!(
            "kill {} at {point:?}: log {before}→{log_len} bytes, {} steps journaled",
            kills.len() + 1,
            journaled.len()
        );
        kills.push(Kill {
            point,
            log_len,
            journaled,
            unjournaled_done,
        });
        restarts += 1;
        server = start(&dir, restarts);
    }

    // Approve the runs that were not approved before the last kill.
    let client = connect(&server).await;
    wait_until(
        "every run waiting for input or done",
        Duration::from_secs(60),
        || {
            let statuses = statuses(&journal);
            runs.iter().all(|r| {
                resumed.contains(r) || statuses.get(r).is_some_and(|s| s == "input_required")
            })
        },
    )
    .await;
    for run in runs.iter().filter(|r| !resumed.contains(*r)) {
        structured(
            &call(
                &client,
                "workflows-resume",
                json!({"run_id": run, "signal_name": "approval", "payload": {"approved": true}}),
            )
            .await,
        );
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    for run in &runs {
        loop {
            let status =
                structured(&call(&client, "workflows-get_status", json!({"run_id": run})).await);
            if status["status"] == "completed" {
                assert_eq!(status["result"]["approved"], json!(true), "{status}");
                assert_eq!(status["result"]["steps"], json!(STEPS), "{status}");
                break;
            }
            assert_ne!(status["status"], "failed", "{status}");
            assert!(
                Instant::now() < deadline,
                "run {run} did not complete: {status}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    drop(client);
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    // Every step and agent call of every run is journaled once, and its
    // side effect happened once, unless a kill landed between the effect
    // and its journal entry (then the step ran again, as it must).
    let (_, counts) = read_log(&log);
    let final_journal = journaled(&journal);
    let mut expected = BTreeSet::new();
    for run in &runs {
        for i in 0..STEPS {
            expected.insert((run.clone(), format!("step-{i}")));
        }
        for what in ["timer", "agent", "finish"] {
            expected.insert((run.clone(), what.to_owned()));
        }
    }
    assert_eq!(
        final_journal, expected,
        "the journal holds every step of every run"
    );
    let mut reruns = 0;
    for key in &expected {
        let (begins, dones) = counts.get(key).copied().unwrap_or_default();
        let allowed = 1 + kills
            .iter()
            .filter(|k| k.unjournaled_done.contains(key))
            .count() as u32;
        assert!(
            dones >= 1 && dones <= allowed,
            "{key:?} finished its side effect {dones} times (allowed {allowed}); begun {begins} times"
        );
        reruns += dones - 1;
    }
    // After each kill, nothing that was journaled before it began again.
    let text = std::fs::read_to_string(&log).unwrap();
    for (i, kill) in kills.iter().enumerate() {
        for line in text[kill.log_len..].lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let key = (words[0].to_owned(), words[1].to_owned());
            assert!(
                !kill.journaled.contains(&key),
                "{key:?} was journaled before kill {} ({:?}) and ran again: {line}",
                i + 1,
                kill.point
            );
        }
    }
    let side_effects: u32 = counts.values().map(|(b, d)| b + d).sum();
    let mut per_point: BTreeMap<KillPoint, usize> = BTreeMap::new();
    for kill in &kills {
        *per_point.entry(kill.point).or_default() += 1;
    }
    println!(
        "kill -9 summary: {} runs, {} kills {per_point:?}, {} steps and agent calls journaled \
         once each, {side_effects} side-effect lines counted, {reruns} effects repeated because \
         a kill fell between the effect and its journal entry",
        runs.len(),
        kills.len(),
        expected.len(),
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The example's story: `report` researches and drafts through two agents,
/// waits for approval; the server is killed while it waits and restarted;
/// the agents do not run again, and the approval publishes the report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_waits_for_approval_across_a_kill_9_and_publishes() {
    let dir = scratch_dir("report");
    let mut server = start(&dir, 0);
    let client = connect(&server).await;
    let waiting = call(&client, "report", json!({"topic": "durable agents"})).await;
    let handle = structured(&waiting);
    assert_eq!(handle["status"], "input_required", "{handle}");
    assert_eq!(handle["waiting_for"], "approval", "{handle}");
    assert_eq!(
        handle["payload_schema"]["properties"]["approved"]["type"],
        "boolean"
    );
    let run_id = handle["run_id"].as_str().unwrap().to_owned();
    let used_before = handle["budget_used"].clone();
    assert_eq!(
        used_before["calls"],
        json!(3),
        "the run and its two agents: {used_before}"
    );
    drop(client);

    server.child.kill().unwrap();
    server.child.wait().unwrap();
    assert!(
        dir.join("durable.journal").exists(),
        "the journal is in the working directory"
    );
    let mut server = start(&dir, 1);
    let client = connect(&server).await;
    let mut status = Value::Null;
    for _ in 0..200 {
        status =
            structured(&call(&client, "workflows-get_status", json!({"run_id": run_id})).await);
        if status["status"] == "input_required" && status.get("payload_schema").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status["status"], "input_required", "{status}");
    assert_eq!(
        status["budget_used"]["inputTokens"], used_before["inputTokens"],
        "the agents were not called again: {status}"
    );

    let refused = call(
        &client,
        "workflows-resume",
        json!({"run_id": run_id, "signal_name": "approval", "payload": {"approved": "sure"}}),
    )
    .await;
    assert_eq!(refused.is_error, Some(true));
    structured(
        &call(
            &client,
            "workflows-resume",
            json!({"run_id": run_id, "signal_name": "approval", "payload": {"approved": true, "comment": "ship it"}}),
        )
        .await,
    );
    for _ in 0..200 {
        status =
            structured(&call(&client, "workflows-get_status", json!({"run_id": run_id})).await);
        if status["status"] == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status["result"]["status"], "published", "{status}");
    assert_eq!(status["result"]["comment"], "ship it");
    assert!(
        status["result"]["text"]
            .as_str()
            .unwrap()
            .contains("durable agents")
    );
    let runs = structured(&call(&client, "workflows-runs-list", json!({})).await);
    assert_eq!(runs["runs"].as_array().unwrap().len(), 1, "{runs}");
    drop(client);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

/// SIGTERM while a run is inside a step: the server exits in bounded time
/// and with success, the run stays `running` in the journal (neither
/// cancelled nor failed by the shutdown), and after a restart it goes on
/// from its journal (no journaled step runs again) and completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_in_progress_at_sigterm_is_left_resumable_and_completes_after_restart() {
    const STEPS: u32 = 4;
    let dir = scratch_dir("sigterm");
    let log = dir.join("side-effects.log");
    let journal = dir.join("durable.journal");
    let mut server = start(&dir, 0);
    let client = connect(&server).await;
    let started = structured(
        &call(
            &client,
            "workflows-run",
            json!({
                "workflow_name": "soak",
                "run_parameters": {
                    "log": log.to_str().unwrap(), "steps": STEPS, "step_ms": 400, "timer_ms": 200,
                },
            }),
        )
        .await,
    );
    let run = started["run_id"].as_str().unwrap().to_owned();
    drop(client);
    // Some step has finished and another has begun: the run is mid-way.
    wait_until("a run mid-way", Duration::from_secs(30), || {
        let (_, counts) = read_log(&log);
        let done = counts
            .iter()
            .filter(|((_, w), (_, d))| w.starts_with("step-") && *d > 0)
            .count();
        let running = counts
            .iter()
            .any(|((_, w), (b, d))| w.starts_with("step-") && b > d);
        done >= 1 && running
    })
    .await;

    let asked = Instant::now();
    let terminated = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        if asked.elapsed() > Duration::from_secs(60) {
            server.child.kill().unwrap();
            panic!("the server was still running 60 s after SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status}");
    assert_eq!(
        statuses(&journal).get(&run).map(String::as_str),
        Some("running"),
        "the shutdown left the run as it was"
    );
    let journaled_before = journaled(&journal);
    let log_len = read_log(&log).0;
    assert!(
        journaled_before.iter().any(|(r, _)| *r == run),
        "some of its steps were journaled before SIGTERM"
    );

    let mut server = start(&dir, 1);
    let client = connect(&server).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut status = Value::Null;
    while Instant::now() < deadline {
        status = structured(&call(&client, "workflows-get_status", json!({"run_id": run})).await);
        if status["status"] == "input_required" && status.get("payload_schema").is_some() {
            break;
        }
        assert_ne!(status["status"], "failed", "{status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status["status"], "input_required", "{status}");
    structured(
        &call(
            &client,
            "workflows-resume",
            json!({"run_id": run, "signal_name": "approval", "payload": {"approved": true}}),
        )
        .await,
    );
    while Instant::now() < deadline {
        status = structured(&call(&client, "workflows-get_status", json!({"run_id": run})).await);
        if status["status"] == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status["status"], "completed", "{status}");
    assert_eq!(status["result"]["steps"], json!(STEPS), "{status}");
    // What was journaled before SIGTERM did not run again.
    let text = std::fs::read_to_string(&log).unwrap();
    for line in text[log_len..].lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let key = (words[0].to_owned(), words[1].to_owned());
        assert!(
            !journaled_before.contains(&key),
            "{key:?} was journaled before SIGTERM and ran again: {line}"
        );
    }
    drop(client);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

/// The backend is chosen at start-up: `--workflow-backend memory` writes no
/// journal; the default writes `durable.journal` in the working directory,
/// and a second process on it is refused with the reason.
#[test]
fn the_backend_is_chosen_at_start_up() {
    let dir = scratch_dir("backends");
    let run = |args: &[&str]| {
        Command::new(DURABLE)
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("run durable")
    };
    let listed = run(&["list"]);
    assert!(listed.status.success());
    assert!(
        !dir.join("durable.journal").exists(),
        "`list` keeps no journal"
    );

    let memory = run(&[
        "--workflow-backend",
        "memory",
        "call",
        "report",
        "--args",
        r#"{"topic": "memory"}"#,
    ]);
    assert!(memory.status.success(), "{memory:?}");
    let status: Value = serde_json::from_slice(&memory.stdout).unwrap();
    assert_eq!(status["status"], "input_required", "{status}");
    assert!(
        !dir.join("durable.journal").exists(),
        "the memory backend keeps no journal"
    );

    let embedded = run(&["call", "report", "--args", r#"{"topic": "disk"}"#]);
    assert!(embedded.status.success(), "{embedded:?}");
    assert!(dir.join("durable.journal").exists());

    let server = start(&dir, 0);
    let second = run(&["call", "report", "--args", r#"{"topic": "again"}"#]);
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("in use by another process"), "{stderr}");
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}
