//! `loadgen run`: a closed loop of N workers sharing one connection, each
//! making its next call as soon as the previous one is answered.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{Peer, RoleClient};
use serde::Serialize;

use crate::latency::LatencySummary;
use crate::process;
use crate::target::{self, CallProblem, CallSpec, Protocol, Target};

/// How much to measure.
#[derive(Debug, Clone, Copy)]
pub enum Amount {
    /// Every call answered within this window after the warm-up.
    Duration(Duration),
    /// Exactly this many calls after the warm-up.
    Calls(u64),
}

/// One load run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub target: Target,
    pub call: CallSpec,
    pub concurrency: u32,
    pub amount: Amount,
    pub warmup: Duration,
    pub timeout: Duration,
    /// The server's process id, for its CPU time, when loadgen did not spawn
    /// it (a stdio server's is known).
    pub server_pid: Option<u32>,
    pub label: Option<String>,
}

/// How many distinct error messages a report keeps.
const ERROR_SAMPLES: usize = 5;

/// An error message and how often it occurred.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorSample {
    pub message: String,
    pub count: u64,
}

/// What a run measured.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub label: Option<String>,
    pub target: String,
    pub transport: &'static str,
    pub protocol: Protocol,
    pub negotiated_version: Option<String>,
    pub server: Option<String>,
    pub tool: String,
    pub concurrency: u32,
    /// Calls answered successfully within the measurement.
    pub calls: u64,
    /// Calls that failed within the measurement (tool errors included).
    pub errors: u64,
    pub elapsed_secs: f64,
    /// Successful calls per second.
    pub calls_per_sec: f64,
    /// Latency of the successful calls.
    pub latency_us: LatencySummary,
    /// The server's CPU time (user and system, every thread) during the
    /// measurement divided by the calls measured, in microseconds: how much
    /// work one call costs the server, however busy the machine was. `None`
    /// when the server's process is unknown.
    pub server_cpu_us_per_call: Option<f64>,
    pub error_samples: Vec<ErrorSample>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(label) = &self.label {
            writeln!(f, "{label}")?;
        }
        writeln!(
            f,
            "target:      {} ({}, {}{})",
            self.target,
            self.transport,
            self.protocol,
            self.negotiated_version
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default()
        )?;
        if let Some(server) = &self.server {
            writeln!(f, "server:      {server}")?;
        }
        writeln!(f, "concurrency: {}", self.concurrency)?;
        writeln!(
            f,
            "calls:       {} ok, {} errors in {:.2}s",
            self.calls, self.errors, self.elapsed_secs
        )?;
        writeln!(f, "throughput:  {:.0} calls/s", self.calls_per_sec)?;
        let l = &self.latency_us;
        write!(
            f,
            "latency:     p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
            l.p50, l.p90, l.p99, l.max
        )?;
        if let Some(cpu) = self.server_cpu_us_per_call {
            write!(f, "\nserver CPU:  {cpu:.1} µs per call")?;
        }
        for sample in &self.error_samples {
            write!(f, "\nerror ×{}: {}", sample.count, sample.message)?;
        }
        Ok(())
    }
}

/// What the workers share.
struct Shared {
    peer: Peer<RoleClient>,
    params: CallToolRequestParams,
    amount: Amount,
    timeout: Duration,
    /// When measuring starts.
    measure_from: Instant,
    /// Tickets handed out for [`Amount::Calls`].
    tickets: AtomicU64,
    /// Set when the connection is gone.
    stop: AtomicBool,
}

/// What one worker saw.
#[derive(Default)]
struct Tally {
    latencies_ns: Vec<u64>,
    errors: u64,
    error_counts: BTreeMap<String, u64>,
    last_finish: Option<Instant>,
    fatal: Option<String>,
}

impl Tally {
    fn error(&mut self, problem: &CallProblem) {
        self.errors += 1;
        let message = problem.to_string();
        if let Some(count) = self.error_counts.get_mut(&message) {
            *count += 1;
        } else if self.error_counts.len() < ERROR_SAMPLES {
            self.error_counts.insert(message, 1);
        }
    }
}

async fn worker(shared: Arc<Shared>) -> Tally {
    let mut tally = Tally::default();
    while !shared.stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let measured = started >= shared.measure_from;
        if measured {
            match shared.amount {
                Amount::Duration(window) => {
                    if started >= shared.measure_from + window {
                        break;
                    }
                }
                Amount::Calls(total) => {
                    if shared.tickets.fetch_add(1, Ordering::Relaxed) >= total {
                        break;
                    }
                }
            }
        }
        let outcome = target::call_once(&shared.peer, shared.params.clone(), shared.timeout).await;
        let finished = Instant::now();
        let counted = measured
            && match shared.amount {
                Amount::Duration(window) => finished <= shared.measure_from + window,
                Amount::Calls(_) => true,
            };
        if let Err(CallProblem::Closed(message)) = &outcome {
            shared.stop.store(true, Ordering::Relaxed);
            tally.fatal = Some(message.clone());
        }
        if !counted {
            continue;
        }
        tally.last_finish = Some(finished);
        match outcome {
            Ok(()) => tally
                .latencies_ns
                .push(u64::try_from((finished - started).as_nanos()).unwrap_or(u64::MAX)),
            Err(problem) => tally.error(&problem),
        }
    }
    tally
}

/// Reads the server's CPU time when measuring starts and, for a duration,
/// when it ends (a count's end is read once the workers are done).
async fn sample_cpu(
    pid: u32,
    measure_from: Instant,
    amount: Amount,
) -> (Option<Duration>, Option<Duration>) {
    tokio::time::sleep_until(measure_from.into()).await;
    let start = process::cpu_time(pid);
    let end = match amount {
        Amount::Duration(window) => {
            tokio::time::sleep_until((measure_from + window).into()).await;
            process::cpu_time(pid)
        }
        Amount::Calls(_) => None,
    };
    (start, end)
}

/// Connects, checks one call, warms up, measures, and closes the connection.
pub async fn run(plan: Plan) -> anyhow::Result<Report> {
    let http = target::http_client()?;
    let connection =
        target::connect(&plan.target, &plan.call, &http, plan.concurrency as usize).await?;
    let (negotiated_version, server) = connection.negotiated();
    if let Err(error) = target::check_call(&connection.client, &plan.call).await {
        connection.close(Duration::from_secs(5)).await;
        return Err(error);
    }

    let shared = Arc::new(Shared {
        peer: connection.client.peer().clone(),
        params: plan.call.params(),
        amount: plan.amount,
        timeout: plan.timeout,
        measure_from: Instant::now() + plan.warmup,
        tickets: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });
    let server_pid = plan.server_pid.or(connection.server_pid);
    let cpu_sampler =
        server_pid.map(|pid| tokio::spawn(sample_cpu(pid, shared.measure_from, plan.amount)));
    let workers: Vec<_> = (0..plan.concurrency)
        .map(|_| tokio::spawn(worker(shared.clone())))
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut error_counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut last_finish = None;
    let mut fatal = None;
    for handle in workers {
        let tally = handle.await?;
        latencies.extend_from_slice(&tally.latencies_ns);
        errors += tally.errors;
        for (message, count) in tally.error_counts {
            *error_counts.entry(message).or_default() += count;
        }
        last_finish = last_finish.max(tally.last_finish);
        fatal = fatal.or(tally.fatal);
    }
    let server_cpu = match (cpu_sampler, server_pid) {
        (Some(sampler), Some(pid)) => match sampler.await? {
            (Some(start), Some(end)) => Some(end.saturating_sub(start)),
            (Some(start), None) => process::cpu_time(pid).map(|end| end.saturating_sub(start)),
            _ => None,
        },
        _ => None,
    };
    connection.close(Duration::from_secs(10)).await;
    if let Some(message) = fatal {
        bail!(
            "the connection to `{}` was lost after {} calls: {message}",
            plan.target,
            latencies.len()
        );
    }

    let elapsed = match plan.amount {
        Amount::Duration(window) => window,
        Amount::Calls(_) => last_finish
            .map(|last| last.saturating_duration_since(shared.measure_from))
            .unwrap_or_default(),
    };
    let calls = latencies.len() as u64;
    let server_cpu_us_per_call = server_cpu
        .filter(|_| calls + errors > 0)
        .map(|cpu| cpu.as_secs_f64() * 1e6 / (calls + errors) as f64);
    let calls_per_sec = if elapsed.is_zero() {
        0.0
    } else {
        calls as f64 / elapsed.as_secs_f64()
    };
    let mut error_samples: Vec<_> = error_counts
        .into_iter()
        .map(|(message, count)| ErrorSample { message, count })
        .collect();
    error_samples.sort_by_key(|sample| std::cmp::Reverse(sample.count));
    error_samples.truncate(ERROR_SAMPLES);
    Ok(Report {
        label: plan.label,
        target: plan.target.to_string(),
        transport: plan.target.transport(),
        protocol: plan.call.protocol,
        negotiated_version,
        server,
        tool: plan.call.tool,
        concurrency: plan.concurrency,
        calls,
        errors,
        elapsed_secs: elapsed.as_secs_f64(),
        calls_per_sec,
        latency_us: LatencySummary::from_nanos(&mut latencies),
        server_cpu_us_per_call,
        error_samples,
    })
}
