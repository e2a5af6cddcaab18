//! `loadgen ready`: how long a server takes from exec until it has answered
//! its first tool call, and how much memory it holds once idle.
//!
//! Over stdio the clock covers spawning, the handshake and one call. Over
//! HTTP it covers spawning, waiting for the port to accept connections (polled
//! every millisecond), the handshake and one call.

use std::fmt;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use serde::Serialize;

use crate::process::resident_kib;
use crate::target::{self, CallSpec, Connection};

/// One start-up measurement, repeated.
#[derive(Debug, Clone)]
pub struct Plan {
    pub command: Vec<String>,
    /// Where the spawned server listens; `None` for a stdio server.
    pub url: Option<String>,
    pub call: CallSpec,
    pub repeat: u32,
    pub timeout: Duration,
    pub settle: Duration,
    pub label: Option<String>,
}

/// What the starts measured.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub label: Option<String>,
    pub command: String,
    pub transport: &'static str,
    /// Median time from exec to the first answered call, in milliseconds.
    pub ready_ms: f64,
    pub ready_ms_min: f64,
    pub ready_ms_max: f64,
    /// Every start, in order.
    pub ready_ms_samples: Vec<f64>,
    /// Median resident memory once idle after the first call, in KiB
    /// (`None` where it cannot be read).
    pub idle_rss_kib: Option<u64>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(label) = &self.label {
            writeln!(f, "{label}")?;
        }
        writeln!(f, "server:   {} ({})", self.command, self.transport)?;
        write!(
            f,
            "ready:    median {:.1} ms (min {:.1}, max {:.1}, {} starts)",
            self.ready_ms,
            self.ready_ms_min,
            self.ready_ms_max,
            self.ready_ms_samples.len()
        )?;
        if let Some(kib) = self.idle_rss_kib {
            write!(f, "\nidle RSS: {:.1} MiB", kib as f64 / 1024.0)?;
        }
        Ok(())
    }
}

/// The time to ready and the idle memory of one start.
struct Start {
    ready: Duration,
    idle_rss_kib: Option<u64>,
}

/// Starts the server `plan.repeat` times, one after another.
pub async fn run(plan: Plan) -> anyhow::Result<Report> {
    if plan.command.is_empty() {
        bail!("no server command given: put it after `--`");
    }
    let mut starts = Vec::with_capacity(plan.repeat as usize);
    for attempt in 1..=plan.repeat {
        let start = match &plan.url {
            None => start_stdio(&plan).await,
            Some(url) => start_http(&plan, url).await,
        }
        .with_context(|| format!("start {attempt} of {}", plan.repeat))?;
        starts.push(start);
    }
    let samples: Vec<f64> = starts
        .iter()
        .map(|start| start.ready.as_secs_f64() * 1000.0)
        .collect();
    let mut sorted = samples.clone();
    sorted.sort_by(f64::total_cmp);
    let mut memory: Vec<u64> = starts.iter().filter_map(|s| s.idle_rss_kib).collect();
    memory.sort_unstable();
    Ok(Report {
        label: plan.label,
        command: plan.command.join(" "),
        transport: if plan.url.is_some() { "http" } else { "stdio" },
        ready_ms: sorted[sorted.len() / 2],
        ready_ms_min: sorted[0],
        ready_ms_max: sorted[sorted.len() - 1],
        ready_ms_samples: samples,
        idle_rss_kib: memory.get(memory.len() / 2).copied(),
    })
}

async fn start_stdio(plan: &Plan) -> anyhow::Result<Start> {
    let began = Instant::now();
    let first_call = async {
        let connection = target::connect_stdio(&plan.command, plan.call.protocol).await?;
        let called =
            target::call_once(connection.client.peer(), plan.call.params(), plan.timeout).await;
        Ok::<_, anyhow::Error>((connection, called))
    };
    let (connection, called) = tokio::time::timeout(plan.timeout, first_call)
        .await
        .map_err(|_| anyhow!("the server was not ready within {:?}", plan.timeout))??;
    let ready = began.elapsed();
    let idle = settle_and_measure(&connection, plan.settle).await;
    connection.close(Duration::from_secs(10)).await;
    called.map_err(|problem| anyhow!("the first call failed: {problem}"))?;
    Ok(Start {
        ready,
        idle_rss_kib: idle,
    })
}

async fn settle_and_measure(connection: &Connection, settle: Duration) -> Option<u64> {
    tokio::time::sleep(settle).await;
    connection.server_pid.and_then(resident_kib)
}

async fn start_http(plan: &Plan, url: &str) -> anyhow::Result<Start> {
    let parsed = target::check_url(url)?;
    let addr = parsed
        .socket_addrs(|| None)
        .ok()
        .and_then(|addrs| addrs.into_iter().next())
        .ok_or_else(|| anyhow!("cannot resolve the host and port of `{url}`"))?;
    let http = target::http_client()?;
    let (program, arguments) = plan
        .command
        .split_first()
        .ok_or_else(|| anyhow!("no server command given: put it after `--`"))?;
    let began = Instant::now();
    let mut child = tokio::process::Command::new(program)
        .args(arguments)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start `{program}`"))?;
    let pid = child.id();
    let first_call = async {
        wait_for_port(addr, &mut child).await?;
        let client = target::connect_http(url, plan.call.protocol, &http, 1).await?;
        let called = target::call_once(client.peer(), plan.call.params(), plan.timeout).await;
        Ok::<_, anyhow::Error>((client, called))
    };
    let outcome = tokio::time::timeout(plan.timeout, first_call).await;
    let ready = began.elapsed();
    let result = match outcome {
        Err(_) => Err(anyhow!(
            "the server was not ready within {:?}",
            plan.timeout
        )),
        Ok(Err(error)) => Err(error),
        Ok(Ok((client, called))) => {
            let idle_rss_kib = match called {
                Ok(()) => {
                    tokio::time::sleep(plan.settle).await;
                    Ok(pid.and_then(resident_kib))
                }
                Err(problem) => Err(anyhow!("the first call failed: {problem}")),
            };
            let mut client = client;
            let _ = client.close_with_timeout(Duration::from_secs(5)).await;
            idle_rss_kib.map(|idle_rss_kib| Start {
                ready,
                idle_rss_kib,
            })
        }
    };
    let _ = child.kill().await;
    result
}

/// Polls `addr` until it accepts a TCP connection, failing early if the
/// server exits.
async fn wait_for_port(addr: SocketAddr, child: &mut tokio::process::Child) -> anyhow::Result<()> {
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            bail!("the server exited ({status}) before it listened on {addr}");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
