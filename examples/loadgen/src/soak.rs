//! `loadgen soak`: many long-lived HTTP sessions, each calling a tool at a
//! steady pace for a long time, while the server's resident memory is
//! sampled: does memory stay flat, does latency stay bounded, do errors
//! appear, over minutes rather than seconds.
//!
//! Each session is its own MCP session (its own `initialize`), making one
//! call every `interval` (the sessions' phases spread evenly over the
//! interval), so the offered load is `sessions / interval` calls per
//! second whatever the latency; a call slower than the interval delays
//! only its own session's next call. With `--resume-payload`, a call whose
//! answer names a workflow run waiting for input (`run_id`, and the wait's
//! name in `waiting_for`) is followed by `workflows-resume` with that
//! payload under that signal name, so each round is one whole workflow run.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject};
use rmcp::service::{Peer, RoleClient};
use serde::Serialize;
use serde_json::Value;

use crate::latency::LatencySummary;
use crate::load::ErrorSample;
use crate::process::resident_kib;
use crate::target::{self, CallSpec, Client, Protocol};

/// One soak.
#[derive(Debug, Clone)]
pub struct Plan {
    pub url: String,
    pub call: CallSpec,
    pub sessions: u32,
    pub duration: Duration,
    pub interval: Duration,
    pub window: Duration,
    pub sample: Duration,
    pub timeout: Duration,
    pub pid: Option<u32>,
    pub resume_payload: Option<JsonObject>,
    pub label: Option<String>,
}

/// What one time window saw: calls that finished in it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    /// The window's end, in seconds from the start of the soak.
    pub until_secs: f64,
    pub calls: u64,
    pub errors: u64,
    pub latency_us: LatencySummary,
    /// The server's resident memory at the last sample in the window.
    pub rss_kib: Option<u64>,
}

/// What a soak measured.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub label: Option<String>,
    pub url: String,
    pub tool: String,
    pub sessions_requested: u32,
    pub sessions_opened: u32,
    pub interval_secs: f64,
    pub duration_secs: f64,
    /// Calls answered successfully (workflow resumes included).
    pub calls: u64,
    /// Calls that failed (tool errors, protocol errors, timeouts) and
    /// sessions that could not be opened.
    pub errors: u64,
    pub latency_us: LatencySummary,
    /// The server's resident memory: once every session is open, at the
    /// end, and the highest and lowest sample, in KiB.
    pub rss_first_kib: Option<u64>,
    pub rss_last_kib: Option<u64>,
    pub rss_max_kib: Option<u64>,
    pub rss_min_kib: Option<u64>,
    /// Every sample: seconds from the start, KiB.
    pub rss_samples: Vec<(f64, u64)>,
    pub windows: Vec<Window>,
    pub error_samples: Vec<ErrorSample>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mib =
            |kib: Option<u64>| kib.map_or("?".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0));
        if let Some(label) = &self.label {
            writeln!(f, "{label}")?;
        }
        writeln!(f, "server:   {} (tool {})", self.url, self.tool)?;
        writeln!(
            f,
            "sessions: {} of {} open, one call each every {:.1}s, for {:.0}s",
            self.sessions_opened, self.sessions_requested, self.interval_secs, self.duration_secs
        )?;
        writeln!(f, "calls:    {} ok, {} errors", self.calls, self.errors)?;
        writeln!(
            f,
            "latency:  p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
            self.latency_us.p50, self.latency_us.p99, self.latency_us.max
        )?;
        write!(
            f,
            "RSS MiB:  first {}, last {}, max {}, min {}",
            mib(self.rss_first_kib),
            mib(self.rss_last_kib),
            mib(self.rss_max_kib),
            mib(self.rss_min_kib)
        )?;
        for w in &self.windows {
            write!(
                f,
                "\n  until {:>5.0}s: {:>7} ok {:>4} err  p50 {:>8.0} µs  p99 {:>8.0} µs  RSS {} MiB",
                w.until_secs,
                w.calls,
                w.errors,
                w.latency_us.p50,
                w.latency_us.p99,
                mib(w.rss_kib)
            )?;
        }
        for sample in &self.error_samples {
            write!(f, "\nerror ×{}: {}", sample.count, sample.message)?;
        }
        Ok(())
    }
}

/// One finished call: when (from the start), how long, and its error.
struct Outcome {
    at: Duration,
    latency: Duration,
    error: Option<String>,
}

/// Makes one call; the result, or why there is none.
async fn call(
    peer: &Peer<RoleClient>,
    params: CallToolRequestParams,
    timeout: Duration,
) -> Result<CallToolResult, String> {
    match tokio::time::timeout(timeout, peer.call_tool(params)).await {
        Ok(Ok(result)) if result.is_error == Some(true) => {
            let text: Vec<_> = result
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                .collect();
            Err(format!(
                "tool error: {}",
                text.join(" ").chars().take(200).collect::<String>()
            ))
        }
        Ok(Ok(result)) => Ok(result),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {timeout:?}")),
    }
}

/// The run id a workflow tool answered with when its run waits for input.
fn waiting_run(result: &CallToolResult) -> Option<(String, Option<String>)> {
    let from_text = || {
        result.content.iter().find_map(|c| {
            let text = c.as_text()?;
            serde_json::from_str::<Value>(&text.text).ok()
        })
    };
    let value = result.structured_content.clone().or_else(from_text)?;
    let run_id = value.get("run_id")?.as_str()?.to_owned();
    let signal = value.get("waiting_for").and_then(Value::as_str);
    Some((run_id, signal.map(str::to_owned)))
}

/// One session's loop until `end`.
async fn session(
    client: Client,
    plan: Arc<Plan>,
    began: Instant,
    phase: Duration,
    end: Instant,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let peer = client.peer().clone();
    let mut next = tokio::time::Instant::from_std(began) + phase;
    loop {
        tokio::time::sleep_until(next).await;
        next += plan.interval;
        if Instant::now() >= end {
            break;
        }
        let started = Instant::now();
        let result = call(&peer, plan.call.params(), plan.timeout).await;
        let mut record = |started: Instant, error: Option<String>| {
            let now = Instant::now();
            outcomes.push(Outcome {
                at: now - began,
                latency: now - started,
                error,
            });
        };
        match result {
            Ok(result) => {
                record(started, None);
                if let (Some(payload), Some((run_id, signal))) =
                    (&plan.resume_payload, waiting_run(&result))
                {
                    let mut arguments = JsonObject::new();
                    arguments.insert("run_id".into(), run_id.into());
                    if let Some(signal) = signal {
                        arguments.insert("signal_name".into(), signal.into());
                    }
                    arguments.insert("payload".into(), Value::Object(payload.clone()));
                    let params =
                        CallToolRequestParams::new("workflows-resume").with_arguments(arguments);
                    let started = Instant::now();
                    let resumed = call(&peer, params, plan.timeout).await;
                    record(started, resumed.err());
                }
            }
            Err(error) => record(started, Some(error)),
        }
    }
    let mut client = client;
    let _ = client.close_with_timeout(Duration::from_secs(5)).await;
    outcomes
}

/// Opens the sessions, runs them for the duration while sampling the
/// server's memory, then closes them.
pub async fn run(plan: Plan) -> anyhow::Result<Report> {
    target::check_url(&plan.url)?;
    let http = target::http_client()?;
    let plan = Arc::new(plan);
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();

    let mut opening = futures::stream::iter(0..plan.sessions)
        .map(|_| target::connect_http(&plan.url, Protocol::Legacy, &http, 4))
        .buffer_unordered(32);
    let mut clients = Vec::with_capacity(plan.sessions as usize);
    let mut open_errors: u64 = 0;
    while let Some(opened) = opening.next().await {
        match opened {
            Ok(client) => clients.push(client),
            Err(error) => {
                open_errors += 1;
                *failures.entry(format!("{error:#}")).or_default() += 1;
            }
        }
    }
    drop(opening);
    if let Some(first) = clients.first() {
        target::check_call(first, &plan.call).await?;
    }
    let opened = clients.len() as u32;

    let began = Instant::now();
    let end = began + plan.duration;
    let sampler = {
        let (pid, every) = (plan.pid, plan.sample);
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let Some(pid) = pid else { return samples };
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                let now = Instant::now();
                if let Some(kib) = resident_kib(pid) {
                    samples.push(((now - began).as_secs_f64(), kib));
                }
                if now >= end {
                    return samples;
                }
            }
        })
    };
    let count = clients.len().max(1) as u32;
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, client)| {
            let phase = plan.interval * i as u32 / count;
            tokio::spawn(session(client, plan.clone(), began, phase, end))
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.extend(task.await.unwrap_or_default());
    }
    let rss_samples = sampler.await.unwrap_or_default();

    // Windows of calls by the time they finished.
    let window_count = (plan.duration.as_secs_f64() / plan.window.as_secs_f64())
        .ceil()
        .max(1.0) as usize;
    let mut latencies: Vec<Vec<u64>> = vec![Vec::new(); window_count];
    let mut errors_in: Vec<u64> = vec![0; window_count];
    let mut all = Vec::with_capacity(outcomes.len());
    let mut errors = open_errors;
    for outcome in outcomes {
        let w =
            ((outcome.at.as_secs_f64() / plan.window.as_secs_f64()) as usize).min(window_count - 1);
        match outcome.error {
            None => {
                let ns = u64::try_from(outcome.latency.as_nanos()).unwrap_or(u64::MAX);
                latencies[w].push(ns);
                all.push(ns);
            }
            Some(message) => {
                errors += 1;
                errors_in[w] += 1;
                *failures.entry(message).or_default() += 1;
            }
        }
    }
    let windows = latencies
        .iter_mut()
        .enumerate()
        .map(|(w, window)| {
            let until = (w + 1) as f64 * plan.window.as_secs_f64();
            Window {
                until_secs: until.min(plan.duration.as_secs_f64()),
                calls: window.len() as u64,
                errors: errors_in[w],
                latency_us: LatencySummary::from_nanos(window),
                rss_kib: rss_samples
                    .iter()
                    .take_while(|(at, _)| *at <= until + 0.001)
                    .last()
                    .map(|(_, kib)| *kib),
            }
        })
        .collect();
    let mut error_samples: Vec<_> = failures
        .into_iter()
        .map(|(message, count)| ErrorSample { message, count })
        .collect();
    error_samples.sort_by_key(|sample| std::cmp::Reverse(sample.count));
    error_samples.truncate(5);
    let calls = all.len() as u64;
    let kib = || rss_samples.iter().map(|(_, kib)| *kib);
    Ok(Report {
        label: plan.label.clone(),
        url: plan.url.clone(),
        tool: plan.call.tool.clone(),
        sessions_requested: plan.sessions,
        sessions_opened: opened,
        interval_secs: plan.interval.as_secs_f64(),
        duration_secs: plan.duration.as_secs_f64(),
        calls,
        errors,
        latency_us: LatencySummary::from_nanos(&mut all),
        rss_first_kib: kib().next(),
        rss_last_kib: rss_samples.last().map(|(_, kib)| *kib),
        rss_max_kib: kib().max(),
        rss_min_kib: kib().min(),
        rss_samples,
        windows,
        error_samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::ContentBlock;
    use serde_json::json;

    #[test]
    fn a_waiting_run_is_found_in_structured_content_or_in_json_text() {
        let structured = CallToolResult::structured(
            json!({"run_id": "r-1", "status": "input_required", "waiting_for": "approval"}),
        );
        assert_eq!(
            waiting_run(&structured),
            Some(("r-1".to_owned(), Some("approval".to_owned())))
        );
        let text = CallToolResult::success(vec![ContentBlock::text(r#"{"run_id":"r-2"}"#)]);
        assert_eq!(waiting_run(&text), Some(("r-2".to_owned(), None)));
        let plain = CallToolResult::success(vec![ContentBlock::text("Hello, Ada!")]);
        assert_eq!(waiting_run(&plain), None);
    }
}
