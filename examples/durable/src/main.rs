//! `durable`: a workflow that outlives its server. Agents research a topic
//! and write a report, a person approves it, and the run survives `kill -9`
//! at any point: finished steps are journaled in `durable.journal` (in the
//! working directory) and never run twice.
//!
//! ```text
//! cargo run -p durable -- serve --http 127.0.0.1:8080   # journal: ./durable.journal
//! # tools/call report {"topic": "rust"}                 → waits for approval
//! # tools/call workflows-resume {"run_id": "...", "signal_name": "approval", "payload": {"approved": true}}
//! ```
//!
//! `soak` is the workflow the crash tests kill at random points: every step
//! and agent call appends to a log file, so that the tests can count how
//! often each one ran. `witness` is the Temporal tests' workflow of steps:
//! its step returns what it saw of the run, for the tests to compare with
//! what the workflow's code saw.

use std::io::Write;
use std::time::Duration;

use agentwire::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the researcher found.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
struct Notes {
    topic: String,
    /// One line per source read.
    findings: Vec<String>,
}

/// Reads (simulated) sources about a topic; takes time and tokens like a
/// model call.
#[agent(read_only)]
async fn research(
    ctx: &AgentContext,
    /// The topic to research.
    topic: String,
) -> Result<Notes, BudgetExceeded> {
    let mut findings = Vec::new();
    for source in ["the book", "the blog", "the forum"] {
        tokio::time::sleep(Duration::from_millis(20)).await;
        ctx.charge(Usage::model(200, 40, 640))?;
        findings.push(format!("{source} says {topic} is worth a look"));
    }
    Ok(Notes { topic, findings })
}

/// A report, drafted or published.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
struct Report {
    topic: String,
    /// The report's text, in Markdown.
    text: String,
    /// `draft`, `published` or `rejected`.
    status: String,
    /// The reviewer's comment, once reviewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

/// Writes a report from research notes.
#[agent(read_only)]
async fn write_report(
    ctx: &AgentContext,
    /// The notes to write from.
    notes: Notes,
) -> Result<Report, BudgetExceeded> {
    tokio::time::sleep(Duration::from_millis(30)).await;
    ctx.charge(Usage::model(600, 300, 3000))?;
    let mut text = format!("# {}\n\n", notes.topic);
    for finding in &notes.findings {
        text.push_str(&format!("- {finding}\n"));
    }
    Ok(Report {
        topic: notes.topic,
        text,
        status: "draft".to_owned(),
        comment: None,
    })
}

/// A reviewer's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
struct Approval {
    /// Whether the report may be published.
    approved: bool,
    /// What the reviewer says.
    #[serde(default)]
    comment: Option<String>,
}

/// Researches a topic and writes a report through agents, waits (durably)
/// for a person to approve it, then publishes it. Resume the run with
/// `workflows-resume`, the signal name `approval` and the payload
/// `{"approved": true}`.
#[workflow(
    calls = [research, write_report],
    retry(attempts = 3, backoff = "500ms"),
    step_timeout = "30s",
    budget(tokens = 50_000, cost = "$1")
)]
async fn report(
    ctx: &WorkflowContext,
    /// What the report is about.
    topic: String,
) -> Result<Report, WorkflowError> {
    let notes = research::call(ctx, topic).await?;
    let mut report = write_report::call(ctx, notes).await?;
    let approval: Approval = ctx
        .wait_for("approval", Duration::from_secs(7 * 24 * 3600))
        .await?;
    report.comment = approval.comment;
    if approval.approved {
        let published_at = ctx.now().await?;
        let seconds = published_at
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        report
            .text
            .push_str(&format!("\n_Published at {seconds} (Unix time)._\n"));
        report.status = "published".to_owned();
    } else {
        report.status = "rejected".to_owned();
    }
    Ok(report)
}

/// Appends one line to the side-effect log (a crash test reads it).
fn log_line(log: &str, line: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    file.write_all(format!("{line}\n").as_bytes())
}

/// What each attempt of `tally` costs, in tokens (input, output).
const TALLY_TOKENS: (u64, u64) = (100, 20);

/// Counts one agent call in the side-effect log: logs `begin`, works
/// `work_ms`, using [`TALLY_TOKENS`] one second in (or at the end of shorter
/// work: an attempt killed later has spent them), logs `done`. Its first
/// `failures` attempts (counted in the log) fail after working, for the
/// retry tests.
#[agent]
async fn tally(
    ctx: &AgentContext,
    /// The side-effect log.
    log: String,
    /// What to write.
    line: String,
    /// How long it works, in milliseconds.
    work_ms: u64,
    /// How many attempts fail before one succeeds.
    failures: u32,
) -> Result<u32, std::io::Error> {
    let begin = format!("{line} begin");
    let earlier = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter(|l| *l == begin)
        .count();
    log_line(&log, &begin)?;
    let charged_at = work_ms.min(1000);
    tokio::time::sleep(Duration::from_millis(charged_at)).await;
    ctx.charge(Usage::model(TALLY_TOKENS.0, TALLY_TOKENS.1, 0))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    tokio::time::sleep(Duration::from_millis(work_ms - charged_at)).await;
    if earlier < failures as usize {
        return Err(std::io::Error::other(format!(
            "attempt {} fails on purpose",
            earlier + 1
        )));
    }
    log_line(&log, &format!("{line} done"))?;
    Ok(1)
}

/// How a soak run went.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct SoakOutcome {
    steps: u32,
    approved: bool,
    /// A deterministic random number of the run.
    lucky: u64,
}

/// The crash tests' workflow: `steps` steps that each log `begin`, work
/// `step_ms`, and log `done`; a durable timer halfway; an agent call
/// (working `agent_ms`, 60 by default, its first `agent_failures` attempts
/// failing); a wait for approval; a last step.
#[workflow(calls = [tally], retry(attempts = 2, backoff = "100ms"))]
async fn soak(
    ctx: &WorkflowContext,
    /// The side-effect log.
    log: String,
    /// How many steps.
    steps: u32,
    /// How long each step works, in milliseconds.
    step_ms: u64,
    /// How long the timer halfway waits, in milliseconds.
    timer_ms: u64,
    /// How long the agent call works, in milliseconds.
    agent_ms: Option<u64>,
    /// How many of the agent call's attempts fail.
    agent_failures: Option<u32>,
) -> Result<SoakOutcome, WorkflowError> {
    let run = ctx.run_id().to_owned();
    for i in 0..steps {
        if i == steps / 2 {
            let name = format!("{run} timer");
            ctx.step("before timer", || async {
                log_line(&log, &format!("{name} set"))
            })
            .await?;
            ctx.sleep(Duration::from_millis(timer_ms)).await?;
        }
        let name = format!("{run} step-{i}");
        ctx.step(format!("step-{i}"), || async {
            log_line(&log, &format!("{name} begin"))?;
            tokio::time::sleep(Duration::from_millis(step_ms)).await;
            log_line(&log, &format!("{name} done"))
        })
        .await?;
    }
    tally::call(
        ctx,
        log.clone(),
        format!("{run} agent"),
        agent_ms.unwrap_or(60),
        agent_failures.unwrap_or(0),
    )
    .await?;
    let approval: Approval = ctx.wait_for("approval", Duration::from_secs(3600)).await?;
    let lucky = ctx.random_u64() % 1000;
    let name = format!("{run} finish");
    ctx.step("finish", || async {
        log_line(&log, &format!("{name} begin"))
            .and_then(|()| log_line(&log, &format!("{name} done")))
    })
    .await?;
    Ok(SoakOutcome {
        steps,
        approved: approval.approved,
        lucky,
    })
}

/// What `stamp` is asked to stamp. Not `Serialize`: a call of `stamp`
/// cannot be sent to another process as JSON, so on Temporal it runs as a
/// step does (the activity `agentwire.step`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
struct Paper {
    /// What is written on it.
    text: String,
    /// The side-effect log, and the run, whose `<run> stamp begin` lines
    /// count the attempts.
    log: String,
    run: String,
    /// How many attempts fail (after using their tokens).
    failures: u32,
}

/// What each call of `stamp` costs, in tokens (input, output).
const STAMP_TOKENS: (u64, u64) = (50, 10);

/// Stamps a paper (uses [`STAMP_TOKENS`] on every attempt); its first
/// `paper.failures` attempts fail.
#[agent]
async fn stamp(
    ctx: &AgentContext,
    /// The paper.
    paper: Paper,
) -> Result<String, std::io::Error> {
    let begin = format!("{} stamp begin", paper.run);
    let earlier = std::fs::read_to_string(&paper.log)
        .unwrap_or_default()
        .lines()
        .filter(|l| *l == begin)
        .count();
    log_line(&paper.log, &begin)?;
    ctx.charge(Usage::model(STAMP_TOKENS.0, STAMP_TOKENS.1, 0))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    if earlier < paper.failures as usize {
        return Err(std::io::Error::other(format!(
            "stamp attempt {} fails on purpose",
            earlier + 1
        )));
    }
    Ok(format!("[stamped] {}", paper.text))
}

/// What a step of `witness` saw of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
struct Seen {
    /// The value of the step before it.
    first: String,
    /// `ctx.now()`, in ms since the epoch.
    now_ms: u64,
    /// `ctx.random_u64()`.
    lucky: u64,
    /// The payload of the wait `go`.
    payload: Approval,
}

/// How a `witness` run went: what its code saw, and what its step saw.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Witnessed {
    workflow: Seen,
    step: Seen,
    stamped: String,
}

/// The Temporal tests' workflow of steps: a step whose value later steps
/// read; a clock reading, a random number and a wait for `go`; a step
/// (`seen`, working `step_ms` first, its first `failures` attempts failing)
/// that returns what it saw of all of these; a call of `stamp`, whose
/// parameter is not `Serialize` (its first `failures` attempts failing too).
#[workflow(calls = [stamp], retry(attempts = 3, backoff = "200ms"), step_timeout = "20s")]
async fn witness(
    ctx: &WorkflowContext,
    /// The side-effect log.
    log: String,
    /// How long the step `seen` works, in milliseconds.
    step_ms: u64,
    /// How many of its attempts fail.
    failures: u32,
) -> Result<Witnessed, WorkflowError> {
    let run = ctx.run_id().to_owned();
    let first = ctx
        .step("first", || async {
            log_line(&log, &format!("{run} first begin"))?;
            Ok::<_, std::io::Error>(format!("{run} was here"))
        })
        .await?;
    let now_ms = ctx
        .now()
        .await?
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let lucky = ctx.random_u64();
    let payload: Approval = ctx.wait_for("go", Duration::from_secs(3600)).await?;
    let workflow = Seen {
        first: first.clone(),
        now_ms,
        lucky,
        payload: payload.clone(),
    };
    let step = ctx
        .step("seen", || async {
            let begin = format!("{run} seen begin");
            let earlier = std::fs::read_to_string(&log)
                .unwrap_or_default()
                .lines()
                .filter(|l| *l == begin)
                .count();
            log_line(&log, &begin)?;
            tokio::time::sleep(Duration::from_millis(step_ms)).await;
            if earlier < failures as usize {
                return Err(std::io::Error::other(format!(
                    "attempt {} fails on purpose",
                    earlier + 1
                )));
            }
            Ok(Seen {
                first: first.clone(),
                now_ms,
                lucky,
                payload: payload.clone(),
            })
        })
        .await?;
    let paper = Paper {
        text: first.clone(),
        log: log.clone(),
        run: run.clone(),
        failures,
    };
    let stamped = stamp::call(ctx, paper).await?;
    Ok(Witnessed {
        workflow,
        step,
        stamped,
    })
}

/// `steps` steps, one after the other, each giving its number; the sum.
/// The workflow of the Temporal-versus-journal benchmark
/// (docs/benchmarks.md).
#[workflow(retry(attempts = 1))]
async fn countdown(
    ctx: &WorkflowContext,
    /// How many steps.
    steps: u32,
) -> Result<u64, WorkflowError> {
    let mut total = 0;
    for i in (0..steps).rev() {
        total += ctx
            .step(format!("step-{i}"), || async move {
                Ok::<_, std::io::Error>(u64::from(i))
            })
            .await?;
    }
    Ok(total)
}

agentwire::main!();

/// The report workflow tested in-process with `agentwire::testing`, on the
/// memory backend, with the week-long approval wait under a paused clock.
#[cfg(test)]
mod tests {
    use super::*;
    use agentwire::testing::TestServer;
    use agentwire::workflow::{RunStatus, RunView};
    use serde_json::json;

    async fn server() -> TestServer {
        TestServer::serving([
            report::DEFINITION,
            research::DEFINITION,
            write_report::DEFINITION,
        ])
        .await
        .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn the_report_is_published_once_approved_and_charged_to_the_run() {
        let server = server().await;
        let run = server
            .start_workflow("report", json!({"topic": "rust"}))
            .await
            .unwrap();
        let waiting = server.settle(&run.run_id).await.unwrap();
        assert_eq!(waiting.record.status, RunStatus::InputRequired);
        assert_eq!(waiting.waits[0].name, "approval");
        // research (3 × 240 tokens) and write_report (900 tokens) so far.
        assert_eq!(waiting.usage.tokens(), 3 * 240 + 900);

        server
            .signal(
                &run.run_id,
                "approval",
                json!({"approved": true, "comment": "ship it"}),
            )
            .await
            .unwrap();
        let done = server.settle(&run.run_id).await.unwrap();
        assert_eq!(done.record.status, RunStatus::Completed);
        let report = done.record.output.unwrap();
        assert_eq!(report["status"], "published");
        assert_eq!(report["comment"], "ship it");
        assert!(report["text"].as_str().unwrap().starts_with("# rust\n"));
        server.close().await;
    }

    /// A scratch directory for the test `name`, and an empty side-effect log
    /// in it.
    fn side_effect_log(name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("durable-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("side-effects.log");
        let _ = std::fs::remove_file(&log);
        (dir, log)
    }

    /// A soak run on the embedded journal whose agent call's first
    /// `failures` attempts fail, under a server budget of `tokens`.
    async fn soak_with_failing_call(name: &str, failures: u32, tokens: Option<u64>) -> RunView {
        let (dir, log) = side_effect_log(name);
        let mut budget = agentwire::Budget::SERVER_DEFAULT;
        budget.tokens = tokens;
        let server = TestServer::builder()
            .agents([soak::DEFINITION, tally::DEFINITION])
            .budget(budget)
            .start()
            .await
            .unwrap();
        let parameters = json!({
            "log": log.to_str().unwrap(), "steps": 1, "step_ms": 10, "timer_ms": 10,
            "agent_failures": failures,
        });
        let run = server.start_workflow("soak", parameters).await.unwrap();
        let view = server.settle(&run.run_id).await.unwrap();
        server.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
        view
    }

    /// The figures the Temporal tests expect of the same runs
    /// (tests/temporal.rs): every attempt of a retried call is charged.
    #[tokio::test]
    async fn every_attempt_of_a_retried_call_is_charged_to_the_run_on_the_journal() {
        let per_attempt = TALLY_TOKENS.0 + TALLY_TOKENS.1;
        let retried = soak_with_failing_call("retried", 1, None).await;
        assert_eq!(retried.record.status, RunStatus::InputRequired);
        assert_eq!(retried.usage.tokens(), 2 * per_attempt);

        // The second attempt finds too little left and is not retried.
        let broke = soak_with_failing_call("broke", 1, Some(per_attempt + per_attempt / 2)).await;
        assert_eq!(broke.record.status, RunStatus::Failed);
        let message = broke.record.error.unwrap().message;
        assert!(message.contains("tokens"), "{message}");
        assert_eq!(broke.usage.tokens(), per_attempt);
    }

    /// The figures the Temporal tests expect of a `witness` run
    /// (tests/temporal.rs): its step sees what its code saw, and the call of
    /// `stamp` is charged.
    #[tokio::test]
    async fn a_witness_step_sees_what_its_code_saw_on_the_journal() {
        let (dir, log) = side_effect_log("witness");
        let server = TestServer::serving([witness::DEFINITION, stamp::DEFINITION])
            .await
            .unwrap();
        let parameters = json!({"log": log.to_str().unwrap(), "step_ms": 10, "failures": 1});
        let run = server.start_workflow("witness", parameters).await.unwrap();
        server.settle(&run.run_id).await.unwrap();
        server
            .signal(
                &run.run_id,
                "go",
                json!({"approved": true, "comment": "go"}),
            )
            .await
            .unwrap();
        let done = server.settle(&run.run_id).await.unwrap();
        assert_eq!(done.record.status, RunStatus::Completed, "{done:?}");
        let output = done.record.output.unwrap();
        assert_eq!(output["step"], output["workflow"], "{output}");
        assert_eq!(output["step"]["payload"]["comment"], "go", "{output}");
        // Both attempts of `stamp` (the first fails) are charged.
        assert_eq!(done.usage.tokens(), 2 * (STAMP_TOKENS.0 + STAMP_TOKENS.1));
        server.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn an_unanswered_report_fails_when_its_week_is_over() {
        let server = server().await;
        let run = server
            .start_workflow("report", json!({"topic": "forgotten"}))
            .await
            .unwrap();
        server.settle(&run.run_id).await.unwrap();
        tokio::time::sleep(Duration::from_secs(7 * 24 * 3600 + 1)).await;
        let over = server.run_status(&run.run_id).await.unwrap();
        assert_eq!(over.record.status, RunStatus::Failed);
        let message = over.record.error.unwrap().message;
        assert!(message.contains("approval"), "{message}");
        server.close().await;
    }
}
