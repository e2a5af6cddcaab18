//! Processes for tests and benchmarks against a real Temporal server: the
//! dev server on free loopback ports, `<binary> worker` and `<binary> serve
//! --workflow-backend temporal` (the durable example's, or the conformance
//! example's), and an MCP client for the latter.

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

/// The agentwire binary under test: each file that includes this one names
/// it (`const BINARY: &str = env!("CARGO_BIN_EXE_...")`).
use crate::BINARY;

pub type Client = RunningService<RoleClient, ()>;

/// A child process, killed (SIGKILL) when dropped.
pub struct Process(pub Child);

impl Process {
    /// Stops it with SIGTERM (it flushes its telemetry) and waits.
    pub fn terminate(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }

    pub fn kill9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub fn scratch_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("agentwire-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `temporal` binary: $AGENTWIRE_TEMPORAL_CLI, or the one
/// scripts/temporal.sh installs (it prints its path).
pub fn temporal_cli() -> PathBuf {
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
pub struct Cluster {
    cli: PathBuf,
    dir: PathBuf,
    port: u16,
    server: Option<Process>,
    /// More of agentwire.toml (e.g. `[servers]`), after the cluster's part.
    more_config: String,
    /// Where workers and MCP servers reach the cluster, when not at its own
    /// address (a TLS terminator in front of it), and more lines of
    /// `[workflows.temporal]` for them.
    frontend: Option<(String, String)>,
}

impl Cluster {
    pub fn start(dir: &Path) -> Cluster {
        let mut cluster = Cluster {
            cli: temporal_cli(),
            dir: dir.to_owned(),
            port: free_port(),
            server: None,
            more_config: String::new(),
            frontend: None,
        };
        cluster.restart();
        cluster
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Has the processes started from now on reach the cluster at `address`
    /// with `settings` (lines of `[workflows.temporal]`).
    pub fn reach_through(&mut self, address: &str, settings: &str) {
        self.frontend = Some((address.to_owned(), settings.to_owned()));
    }

    /// The address the processes reach the cluster at.
    fn frontend_address(&self) -> String {
        self.frontend
            .as_ref()
            .map_or_else(|| self.address(), |(address, _)| address.clone())
    }

    /// Starts the server (again, on the same file and port) and waits
    /// until its `default` namespace takes requests.
    pub fn restart(&mut self) {
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
                // A start goes through the frontend's namespace cache, as the
                // MCP server's do (`operator namespace describe` and
                // `workflow count` answer before that cache knows `default`).
                // The probe's workflow waits on a queue no worker polls.
                .args(["workflow", "start", "--namespace", "default"])
                .args([
                    "--type",
                    "readiness-probe",
                    "--task-queue",
                    "readiness-probe",
                ])
                .args([
                    "--workflow-id",
                    "readiness-probe",
                    "--id-conflict-policy",
                    "UseExisting",
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

    pub fn kill9(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.kill9();
        }
    }

    /// agentwire.toml naming this cluster; workflow tasks time out after
    /// 3 s, so a killed worker's task moves on quickly.
    pub fn config(&self) -> PathBuf {
        let path = self.dir.join("agentwire.toml");
        let text = format!(
            "[workflows]\nbackend = \"temporal\"\n\n[workflows.temporal]\naddress = \"{}\"\n\
             task_timeout = \"3s\"\n{}\n{}",
            self.frontend_address(),
            self.frontend.as_ref().map_or("", |(_, settings)| settings),
            self.more_config
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `<binary> worker`, logging to `worker-<name>.log`.
    pub fn worker(&self, name: &str) -> Process {
        self.worker_with_env(name, &[])
    }

    /// `<binary> worker` with more environment variables.
    pub fn worker_with_env(&self, name: &str, env: &[(&str, &str)]) -> Process {
        let log = std::fs::File::create(self.dir.join(format!("worker-{name}.log"))).unwrap();
        let child = Command::new(BINARY)
            .arg("--config")
            .arg(self.config())
            .arg("worker")
            .current_dir(&self.dir)
            .envs(env.iter().copied())
            .env("RUST_LOG", "info,temporalio_sdk_core=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start the worker");
        Process(child)
    }

    /// The run's Temporal history as `<binary> history` writes it.
    pub fn history_bytes(&self, run: &str) -> Vec<u8> {
        let output = Command::new(BINARY)
            .arg("--config")
            .arg(self.config())
            .args(["history", run])
            .output()
            .expect("<binary> history");
        assert!(output.status.success(), "{output:?}");
        output.stdout
    }

    /// The run's Temporal history, as JSON.
    pub fn history(&self, run: &str) -> Value {
        serde_json::from_slice(&self.history_bytes(run)).expect("a history is JSON")
    }

    /// With AGENTWIRE_RECORD_HISTORIES set, writes the run's history to
    /// tests/histories/<name>.json, for the replay test.
    pub fn record_history(&self, run: &str, name: &str) {
        if std::env::var_os("AGENTWIRE_RECORD_HISTORIES").is_none() {
            return;
        }
        let path = histories().join(format!("{name}.json"));
        std::fs::write(&path, self.history_bytes(run)).unwrap();
        println!("recorded {}", path.display());
    }

    /// The run's first agent call's activity (`agentwire.agent`).
    pub fn agent_call(&self, run: &str) -> ActivityEvents {
        activities(&self.history(run))
            .into_iter()
            .find(|a| a.activity_type == "agentwire.agent")
            .expect("the agent call's activity")
    }

    pub fn worker_log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("worker-{name}.log"))).unwrap_or_default()
    }

    /// `<binary> serve --http` on Temporal (the backend from the command
    /// line, the address from $TEMPORAL_ADDRESS); its URL.
    pub fn serve(&self) -> (Process, String) {
        self.serve_with_env(&[])
    }

    /// `<binary> serve` with more environment variables.
    pub fn serve_with_env(&self, env: &[(&str, &str)]) -> (Process, String) {
        self.serve_logging_to("serve.log", env)
    }

    /// Another `<binary> serve --http` (a replica), logging to `log`.
    pub fn serve_logging_to(&self, log: &str, env: &[(&str, &str)]) -> (Process, String) {
        // It finds agentwire.toml in its working directory.
        self.config();
        let log = std::fs::File::create(self.dir.join(log)).unwrap();
        let mut child = Command::new(BINARY)
            .args([
                "--workflow-backend",
                "temporal",
                "serve",
                "--http",
                "127.0.0.1:0",
            ])
            .current_dir(&self.dir)
            .envs(env.iter().copied())
            .env("TEMPORAL_ADDRESS", self.frontend_address())
            .env("RUST_LOG", "info,rmcp=warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start the MCP server");
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

/// What most tests start with: a dev server in a scratch directory, one
/// worker (`first`), an MCP server on Temporal and a client of it.
pub struct Deployment {
    pub dir: PathBuf,
    pub cluster: Cluster,
    pub worker: Process,
    pub serve: Process,
    pub client: Client,
}

impl Deployment {
    pub async fn start(name: &str) -> Deployment {
        Deployment::start_with(name, &[], "").await
    }

    /// The same, the worker and the MCP server with more environment
    /// variables, and more of agentwire.toml.
    pub async fn start_with(name: &str, env: &[(&str, &str)], config: &str) -> Deployment {
        let dir = scratch_dir(name);
        let mut cluster = Cluster::start(&dir);
        cluster.more_config = config.to_owned();
        let worker = cluster.worker_with_env("first", env);
        let (serve, url) = cluster.serve_with_env(env);
        let client = connect(&url).await;
        Deployment {
            dir,
            cluster,
            worker,
            serve,
            client,
        }
    }
}

/// The recorded histories the replay test replays.
pub fn histories() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/histories")
}

pub async fn connect(url: &str) -> Client {
    let transport = StreamableHttpClientTransport::from_uri(url.to_owned());
    ().serve(transport).await.expect("connect")
}

pub async fn call(client: &Client, tool: &'static str, args: Value) -> CallToolResult {
    client
        .call_tool(CallToolRequestParams::new(tool).with_arguments(object(args)))
        .await
        .expect("tools/call answered")
}

pub fn structured(result: &CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "{result:?}");
    result
        .structured_content
        .clone()
        .expect("structured result")
}

pub async fn start_run(client: &Client, workflow: &str, parameters: Value) -> String {
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

/// Starts a run of `workflow` granted `budget` (`_meta["dev.agentwire/budget"]`).
pub async fn start_run_with_budget(
    client: &Client,
    workflow: &str,
    parameters: Value,
    budget: Value,
) -> String {
    let mut params = CallToolRequestParams::new("workflows-run").with_arguments(object(
        json!({"workflow_name": workflow, "run_parameters": parameters}),
    ));
    let mut meta = rmcp::model::RequestMetaObject::new();
    meta.insert("dev.agentwire/budget".into(), budget);
    params.meta = Some(meta);
    let started = structured(&client.call_tool(params).await.expect("tools/call answered"));
    started["run_id"].as_str().unwrap().to_owned()
}

pub async fn status(client: &Client, run: &str) -> Value {
    structured(&call(client, "workflows-get_status", json!({"run_id": run})).await)
}

/// Polls `workflows-runs-list` until it lists `run` (Temporal's visibility
/// is eventually consistent).
pub async fn wait_until_listed(client: &Client, workflow: &str, run: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = structured(
            &call(
                client,
                "workflows-runs-list",
                json!({"workflow_name": workflow}),
            )
            .await,
        );
        if page["runs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["run_id"] == run)
        {
            return;
        }
        assert!(Instant::now() < deadline, "{run} is not listed: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Polls the run's status until `done` holds.
pub async fn wait_for_status(
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

pub fn is(status: &'static str) -> impl Fn(&Value) -> bool {
    move |value| value["status"] == status
}

/// One activity of a history: its type, summary, scheduling attributes,
/// and (once it ended) the attributes of its started event and how it ended.
#[derive(Debug)]
pub struct ActivityEvents {
    pub activity_type: String,
    pub summary: String,
    pub scheduled: Value,
    pub started: Option<Value>,
    pub ended: Option<String>,
}

impl ActivityEvents {
    /// Asserts the attempt that started last and how the activity ended.
    pub fn assert_last_attempt(&self, attempt: u32, ended: &str) {
        let started = self.started.as_ref().expect("the activity started");
        assert_eq!(started["attempt"], attempt, "{self:#?}");
        assert_eq!(self.ended.as_deref(), Some(ended), "{self:#?}");
    }
}

/// The tokens a run's status reports it used.
pub fn tokens_used(status: &Value) -> u64 {
    let used = &status["budget_used"];
    used["inputTokens"].as_u64().unwrap_or(0) + used["outputTokens"].as_u64().unwrap_or(0)
}

/// The activities of a history, in the order they were scheduled.
pub fn activities(history: &Value) -> Vec<ActivityEvents> {
    let mut found: Vec<(i64, ActivityEvents)> = Vec::new();
    for event in history["events"].as_array().expect("events") {
        let Some((kind, attributes)) = event["attributes"]
            .as_object()
            .and_then(|a| a.iter().next())
        else {
            continue;
        };
        if kind == "ActivityTaskScheduledEventAttributes" {
            let summary = event["user_metadata"]["summary"]["data"]
                .as_str()
                .map(|data| {
                    let bytes = decode_base64(data);
                    serde_json::from_slice::<String>(&bytes).unwrap_or_default()
                })
                .unwrap_or_default();
            found.push((
                event["event_id"].as_i64().unwrap(),
                ActivityEvents {
                    activity_type: attributes["activity_type"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    summary,
                    scheduled: attributes.clone(),
                    started: None,
                    ended: None,
                },
            ));
            continue;
        }
        let Some(scheduled) = attributes["scheduled_event_id"].as_i64() else {
            continue;
        };
        let Some((_, activity)) = found.iter_mut().find(|(id, _)| *id == scheduled) else {
            continue;
        };
        match kind.as_str() {
            "ActivityTaskStartedEventAttributes" => activity.started = Some(attributes.clone()),
            "ActivityTaskCompletedEventAttributes" => activity.ended = Some("completed".into()),
            "ActivityTaskFailedEventAttributes" => activity.ended = Some("failed".into()),
            "ActivityTaskTimedOutEventAttributes" => activity.ended = Some("timed_out".into()),
            "ActivityTaskCanceledEventAttributes" => activity.ended = Some("cancelled".into()),
            _ => {}
        }
    }
    found.into_iter().map(|(_, a)| a).collect()
}

/// Replays every recorded history (`histories()`) against the code and
/// asserts it succeeds; returns the histories' names (file stems, sorted).
pub fn assert_recorded_histories_replay() -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(histories())
        .expect("tests/histories")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let replayed = Command::new(BINARY)
        .arg("replay")
        .args(&files)
        .output()
        .unwrap();
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    files
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// Replays `recorded` (a file of `histories()`) told it was a run of
/// `workflow` with `arguments`: other code than the history's, which the
/// replayer must refuse as nondeterministic, naming the file.
pub fn assert_replay_of_other_code_is_refused(recorded: &str, workflow: &str, arguments: Value) {
    let text = std::fs::read_to_string(histories().join(recorded)).unwrap();
    let mut history: Value = serde_json::from_str(&text).unwrap();
    let data = &mut history["events"][0]["attributes"]["WorkflowExecutionStartedEventAttributes"]["input"]
        ["payloads"][0]["data"];
    let decoded = decode_base64(data.as_str().expect("the input payload's data"));
    let mut run_input: Value = serde_json::from_slice(&decoded).unwrap();
    run_input["workflow"] = workflow.into();
    run_input["arguments"] = arguments;
    *data = encode_base64(&serde_json::to_vec(&run_input).unwrap()).into();
    let dir = scratch_dir("tampered-replay");
    let tampered = dir.join("tampered.json");
    std::fs::write(&tampered, serde_json::to_vec(&history).unwrap()).unwrap();
    let refused = Command::new(BINARY)
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

pub fn decode_base64(text: &str) -> Vec<u8> {
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

pub fn encode_base64(bytes: &[u8]) -> String {
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
