//! `loadgen sessions`: the server's memory with many legacy HTTP sessions
//! open at once (one `initialize` handshake each, kept open with its
//! standalone event stream, as an idle client leaves it).

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Serialize;

use crate::load::ErrorSample;
use crate::process::resident_kib;
use crate::target::{self, Client, Protocol};

/// One sessions measurement.
#[derive(Debug, Clone)]
pub struct Plan {
    pub url: String,
    pub count: u32,
    pub pid: Option<u32>,
    pub parallel: u32,
    pub settle: Duration,
    pub timeout: Duration,
    pub label: Option<String>,
}

/// What opening the sessions measured.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub label: Option<String>,
    pub url: String,
    pub requested: u32,
    pub opened: u32,
    pub failed: u32,
    /// How long opening every session took.
    pub open_secs: f64,
    /// The server's resident memory before the first session, in KiB.
    pub rss_before_kib: Option<u64>,
    /// The server's resident memory with every session open, in KiB.
    pub rss_with_sessions_kib: Option<u64>,
    /// The growth divided by the sessions opened, in KiB.
    pub kib_per_session: Option<f64>,
    pub error_samples: Vec<ErrorSample>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(label) = &self.label {
            writeln!(f, "{label}")?;
        }
        writeln!(f, "server:   {}", self.url)?;
        write!(
            f,
            "sessions: {} opened, {} failed in {:.2}s",
            self.opened, self.failed, self.open_secs
        )?;
        if let (Some(before), Some(after)) = (self.rss_before_kib, self.rss_with_sessions_kib) {
            write!(
                f,
                "\nRSS:      {:.1} MiB before, {:.1} MiB with the sessions open",
                before as f64 / 1024.0,
                after as f64 / 1024.0
            )?;
        }
        if let Some(per_session) = self.kib_per_session {
            write!(f, " ({per_session:.1} KiB per session)")?;
        }
        for sample in &self.error_samples {
            write!(f, "\nerror ×{}: {}", sample.count, sample.message)?;
        }
        Ok(())
    }
}

/// Opens the sessions, reads the memory, then closes them all.
pub async fn run(plan: Plan) -> anyhow::Result<Report> {
    target::check_url(&plan.url)?;
    let http = target::http_client()?;
    let rss_before_kib = plan.pid.and_then(resident_kib);
    let began = Instant::now();
    let deadline = tokio::time::Instant::now() + plan.timeout;
    let mut opening = futures::stream::iter(0..plan.count)
        .map(|_| target::connect_http(&plan.url, Protocol::Legacy, &http, 1))
        .buffer_unordered(plan.parallel as usize);
    let mut sessions: Vec<Client> = Vec::with_capacity(plan.count as usize);
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    let mut failed = 0;
    loop {
        match tokio::time::timeout_at(deadline, opening.next()).await {
            Ok(Some(Ok(client))) => sessions.push(client),
            Ok(Some(Err(error))) => {
                failed += 1;
                *failures.entry(format!("{error:#}")).or_default() += 1;
            }
            Ok(None) => break,
            Err(_) => {
                let missing = plan.count - sessions.len() as u32 - failed;
                failed += missing;
                *failures
                    .entry(format!("not opened within {:?}", plan.timeout))
                    .or_default() += u64::from(missing);
                break;
            }
        }
    }
    drop(opening);
    let open_secs = began.elapsed().as_secs_f64();
    tokio::time::sleep(plan.settle).await;
    let rss_with_sessions_kib = plan.pid.and_then(resident_kib);

    let opened = sessions.len() as u32;
    let closing =
        futures::stream::iter(sessions).for_each_concurrent(64, |mut client| async move {
            let _ = client.close_with_timeout(Duration::from_secs(5)).await;
        });
    let _ = tokio::time::timeout(Duration::from_secs(30), closing).await;

    let kib_per_session = match (rss_before_kib, rss_with_sessions_kib) {
        (Some(before), Some(after)) if opened > 0 => {
            Some((after as f64 - before as f64) / f64::from(opened))
        }
        _ => None,
    };
    let mut error_samples: Vec<_> = failures
        .into_iter()
        .map(|(message, count)| ErrorSample { message, count })
        .collect();
    error_samples.sort_by_key(|sample| std::cmp::Reverse(sample.count));
    error_samples.truncate(5);
    Ok(Report {
        label: plan.label,
        url: plan.url,
        requested: plan.count,
        opened,
        failed,
        open_secs,
        rss_before_kib,
        rss_with_sessions_kib,
        kib_per_session,
        error_samples,
    })
}
