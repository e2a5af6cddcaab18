//! Steps as Temporal activities: the activity `agentwire.step` runs one
//! attempt of one step of a run (or of an agent call whose arguments are
//! not JSON) on whichever worker takes it, retried, timed out and
//! heartbeated by Temporal like an agent call.
//!
//! A step's closure borrows the workflow's locals, so it cannot be sent to
//! another process. The activity re-runs the workflow's code instead, from
//! its start, with a driver that answers every request from the log of what
//! the dispatcher delivered to the code so far (the activity's input), turn
//! by turn as the dispatcher delivered it. The code is deterministic given
//! those answers (what Temporal's own replays rely on), so it reaches the
//! same step with the same locals; there the driver runs one attempt for
//! real and hands its outcome out, and the code goes no further. A re-run
//! that asks something else than the log answers fails for good: the code
//! does not match its history.

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::FutureExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::Instrument;

use super::RunInput;
use super::agent_call::{
    AgentDone, AgentFailed, HEARTBEAT_EVERY, attempt_failed, earlier_usage, heartbeat, refused,
    since,
};
use super::dispatcher::{Batch, Code, setup, start_code};
use super::driver::{Bridge, Reached, Request, Steps, Target};
use crate::budget::Usage;
use crate::telemetry::set_parent_from;
use crate::workflow::backend::AttemptError;

/// The activity type of steps, as the history and the web UI show it.
pub const STEP_ACTIVITY: &str = "agentwire.step";

/// The largest input of a step's activity, in bytes: the run's input and
/// the log of what the run received before the step. Temporal refuses
/// payloads over 2 MiB by default (`limit.blobSize.error`); a step whose
/// input would be larger fails, naming this limit.
pub const STEP_INPUT_LIMIT: usize = 1536 * 1024;

/// The input of `agentwire.step`: which run, and how to bring its code to
/// the step.
#[derive(Serialize, Deserialize)]
pub(super) struct StepTask<'a> {
    /// The run's input, as its workflow execution got it.
    pub run: Cow<'a, RunInput>,
    pub run_id: String,
    /// What the dispatcher delivered to the code before the step, turn by
    /// turn.
    pub log: Cow<'a, [Batch]>,
    /// The request id of the step.
    pub target: u64,
    /// `step <name>` or `agent <name>`: what the web UI shows, and what the
    /// code must reach.
    pub summary: String,
}

/// The activity `agentwire.step`.
pub struct StepRuns;

#[activities]
impl StepRuns {
    /// Runs one attempt of a run's step in this worker: re-runs the
    /// workflow's code up to it, answering from the log, runs the attempt
    /// under the run's budget less what earlier attempts used (heartbeating
    /// the total), and returns its value and usage, or fails (retryable or
    /// not, as the step's error says) with them in the failure's details.
    #[activity(name = "agentwire.step")]
    pub async fn step(ctx: ActivityContext, task: Value) -> Result<Value, ActivityError> {
        let task: StepTask<'static> = serde_json::from_value(task)
            .map_err(|e| refused(format!("the step cannot be read: {e}")))?;
        let Some(setup) = setup() else {
            return Err(refused("this process runs no agentwire worker".to_owned()));
        };
        let attempt = ctx.info().attempt.max(1);
        let target = Arc::new(Target::new(
            task.target,
            task.summary.clone(),
            attempt,
            earlier_usage(&ctx),
        ));
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let steps = Steps::Here(target.clone());
        let code = match start_code(&setup, &task.run, &task.run_id, now_ms, steps) {
            Ok(code) => code,
            Err(ending) => {
                let reason = ending.error.map_or_else(String::new, |e| e.message);
                return Err(refused(format!("`{}` cannot run: {reason}", task.summary)));
            }
        };
        let span =
            tracing::info_span!("workflow step", run = %task.run_id, step = %task.summary, attempt);
        set_parent_from(&span, &task.run.trace);
        let Code {
            agent,
            cancel,
            bridge,
            future,
            ..
        } = code;
        let mut future = Box::pin(AssertUnwindSafe(future.instrument(span)).catch_unwind());

        let started = std::time::Instant::now();
        let turns = task.log.len();
        let replayed = bring_to_step(&mut future, &bridge, &target, task.log.into_owned()).await;
        tracing::debug!(run = %task.run_id, step = %task.summary, turns, replay_us = started.elapsed().as_micros() as u64, "re-ran the code to the step");
        replayed.map_err(|why| refused(mismatch(&task.summary, &why)))?;

        // Run the attempt: poll the code (now doing the step's real work)
        // until the attempt hands its outcome out, heartbeating what it used.
        let so_far = || match target.reached() {
            Some(Reached::Running { base }) => since(agent.usage(), base),
            Some(Reached::Ended { usage, .. }) => usage,
            _ => target.earlier,
        };
        let mut beat = tokio::time::interval(HEARTBEAT_EVERY);
        let ended = loop {
            let attempt_over =
                std::future::poll_fn(|cx| poll_attempt(&mut future, &bridge, &target, cx));
            tokio::select! {
                ended = attempt_over => break ended,
                () = ctx.cancelled() => {
                    cancel.cancel();
                    return Err(ActivityError::cancelled());
                }
                _ = beat.tick() => heartbeat(&ctx, so_far()).await,
            }
        };
        drop(future);
        let (outcome, usage) = ended.map_err(refused)?;
        match outcome {
            Ok(output) => serde_json::to_value(AgentDone { output, usage })
                .map_err(|e| refused(format!("the step's result cannot be recorded: {e}"))),
            Err(error) => {
                // The next attempt starts from this usage (the SDK sends the
                // last heartbeat's details with the failure).
                heartbeat(&ctx, usage).await;
                let failed = AgentFailed {
                    message: error.message,
                    attempt,
                    call: error.call,
                    usage,
                };
                Err(attempt_failed("step", !error.retryable, failed))
            }
        }
    }
}

/// How a step's attempt ended, and what it and the earlier ones used.
type AttemptOver = (Result<Value, AttemptError>, Usage);

/// Why a step activity cannot run its step: the code it re-ran does not
/// match the log.
fn mismatch(summary: &str, why: &str) -> String {
    format!("the workflow's code does not match its history at `{summary}`: {why}")
}

/// One poll of the code while its step's attempt runs: the attempt's
/// outcome and usage once it handed them out, or why it cannot (the code
/// went elsewhere, or the step's closure itself asked the workflow's
/// context for something, which nothing here answers).
fn poll_attempt<F, T>(
    code: &mut F,
    bridge: &Bridge,
    target: &Target,
    cx: &mut Context<'_>,
) -> Poll<Result<AttemptOver, String>>
where
    F: Future<Output = std::thread::Result<T>> + Unpin,
{
    if code.poll_unpin(cx).is_ready() {
        let why = "the code ended inside the step";
        return Poll::Ready(Err(mismatch(&target.summary, why)));
    }
    if let Some(what) = bridge.asked_inside_step() {
        return Poll::Ready(Err(format!(
            "`{}` asks the workflow's context for {} inside its closure: on Temporal a step \
             runs in an activity that re-runs the workflow's code up to it, where the context \
             answers only what the run received before the step; do it before or after the \
             step, in the workflow's code",
            target.summary, what
        )));
    }
    match target.reached() {
        Some(Reached::Ended { outcome, usage }) => Poll::Ready(Ok((outcome, usage))),
        Some(Reached::Other(why)) => Poll::Ready(Err(mismatch(&target.summary, &why))),
        _ => Poll::Pending,
    }
}

/// Brings a re-run of the code to the step `target`: polls it, delivers
/// the log's next turn of replies (each to a request the code made, and of
/// its kind), polls again, as the dispatcher did, until the code reaches
/// the step. `Err` says how the code and the log differ (never a hang: the
/// driver's futures are ready or not by what was delivered).
async fn bring_to_step<F, T>(
    code: &mut F,
    bridge: &Bridge,
    target: &Target,
    log: Vec<Batch>,
) -> Result<(), String>
where
    F: Future<Output = std::thread::Result<T>> + Unpin,
{
    let mut batches = log.into_iter();
    let mut asked: HashMap<u64, Request> = HashMap::new();
    std::future::poll_fn(|cx| {
        loop {
            if let Poll::Ready(ended) = code.poll_unpin(cx) {
                return Poll::Ready(Err(match ended {
                    Err(_) => "the code panicked before it reached the step".to_owned(),
                    Ok(_) => "the code ended before it reached the step".to_owned(),
                }));
            }
            asked.extend(bridge.take_requests());
            if target.reached().is_some() {
                return Poll::Ready(match batches.next() {
                    None => Ok(()),
                    Some(_) => {
                        Err("the code reached the step earlier than its history did".to_owned())
                    }
                });
            }
            let Some(batch) = batches.next() else {
                return Poll::Ready(Err(
                    "the code waits for something its history did not answer before the step"
                        .to_owned(),
                ));
            };
            for (id, reply) in batch {
                match asked.remove(&id) {
                    Some(request) if request.fits(&reply) => bridge.reply(id, reply),
                    _ => {
                        return Poll::Ready(Err(format!(
                            "the code did not ask what its history answered (request {id})"
                        )));
                    }
                }
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, AtomicU64};
    use std::time::{Duration, UNIX_EPOCH};

    use futures::future::BoxFuture;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::agent::context::AgentContext;
    use crate::agent::host::Host;
    use crate::budget::{Budget, Scope, Usage};
    use crate::workflow::context::WorkflowContext;
    use crate::workflow::policy::{RetryPolicy, StepPolicy};
    use crate::workflow::temporal::driver::{Reply, TemporalRun};

    type Code =
        BoxFuture<'static, std::thread::Result<Result<u64, crate::workflow::WorkflowError>>>;

    /// A run's code as the step activity re-runs it: a step `a`, a clock
    /// reading, then the step `b` (request 2), the target, which returns
    /// what `a` gave and the time read.
    fn code(target: &Arc<Target>) -> (Code, Arc<Bridge>) {
        code_with(target, false)
    }

    /// The same; with `nested`, the step `b` reads the clock inside its
    /// closure.
    fn code_with(target: &Arc<Target>, nested: bool) -> (Code, Arc<Bridge>) {
        let bridge = Arc::new(Bridge::default());
        let scope = Scope::root("test", Budget::default()).unwrap();
        let agent = AgentContext::root(
            "test",
            CancellationToken::new(),
            None,
            scope,
            Arc::new(Host::new(Budget::SERVER_DEFAULT)),
            None,
        );
        let driver = Arc::new(TemporalRun {
            bridge: bridge.clone(),
            run_id: "run".to_owned(),
            workflow: "test",
            seed: 7,
            policy: StepPolicy {
                retry: RetryPolicy::NONE,
                timeout: None,
            },
            steps: Steps::Here(target.clone()),
            agent,
            next_op: AtomicU32::new(0),
            draws: AtomicU64::new(0),
            waits: AtomicU64::new(0),
        });
        let ctx = WorkflowContext::new(driver);
        let code = async move {
            let a: u64 = ctx
                .step("a", || async { Ok::<_, std::io::Error>(0) })
                .await?;
            let now = ctx.now().await?;
            let secs = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
            let inner = ctx.clone();
            ctx.step("b", move || {
                let inner = inner.clone();
                async move {
                    if nested {
                        inner.now().await?;
                    }
                    Ok::<_, crate::workflow::WorkflowError>(a + secs)
                }
            })
            .await
        };
        (Box::pin(AssertUnwindSafe(code).catch_unwind()), bridge)
    }

    fn step_a_gave(value: u64) -> Reply {
        Reply::Called(Ok(AgentDone {
            output: value.into(),
            usage: Usage::default(),
        }))
    }

    fn time(secs: u64) -> Reply {
        Reply::Time(UNIX_EPOCH + Duration::from_secs(secs))
    }

    async fn replay(summary: &str, log: Vec<Batch>) -> (Result<(), String>, Arc<Target>, Code) {
        let target = Arc::new(Target::new(2, summary.to_owned(), 1, Usage::default()));
        let (mut code, bridge) = code(&target);
        let outcome = tokio::time::timeout(
            Duration::from_secs(5),
            bring_to_step(&mut code, &bridge, &target, log),
        )
        .await
        .expect("a re-run never hangs");
        (outcome, target, code)
    }

    #[tokio::test]
    async fn the_code_reaches_its_step_with_the_values_the_log_gave_and_runs_it() {
        let log = vec![vec![(0, step_a_gave(40))], vec![(1, time(2))]];
        let (outcome, target, mut code) = replay("step b", log).await;
        assert_eq!(outcome, Ok(()));
        // The step's attempt ran in the poll that reached it.
        std::future::poll_fn(|cx| {
            let _ = code.poll_unpin(cx);
            Poll::Ready(())
        })
        .await;
        match target.reached() {
            Some(Reached::Ended { outcome, .. }) => assert_eq!(outcome, Ok(Value::from(42))),
            _ => panic!("the step did not run"),
        }
    }

    #[tokio::test]
    async fn a_step_whose_closure_uses_the_context_fails_instead_of_waiting_for_ever() {
        let target = Arc::new(Target::new(2, "step b".to_owned(), 1, Usage::default()));
        let (mut code, bridge) = code_with(&target, true);
        let log = vec![vec![(0, step_a_gave(40))], vec![(1, time(2))]];
        bring_to_step(&mut code, &bridge, &target, log)
            .await
            .unwrap();
        let over = tokio::time::timeout(
            Duration::from_secs(5),
            std::future::poll_fn(|cx| poll_attempt(&mut code, &bridge, &target, cx)),
        )
        .await
        .expect("the attempt does not wait for an answer that never comes");
        let why = over.unwrap_err();
        assert!(
            why.contains("`step b` asks the workflow's context for the time"),
            "{why}"
        );
    }

    #[tokio::test]
    async fn a_log_that_does_not_fit_the_code_is_refused_without_a_hang() {
        // A reply of another kind than the request.
        let (outcome, ..) = replay("step b", vec![vec![(0, time(2))]]).await;
        assert!(
            outcome
                .unwrap_err()
                .contains("did not ask what its history answered")
        );
        // A reply to a request the code did not make.
        let (outcome, ..) = replay("step b", vec![vec![(5, step_a_gave(1))]]).await;
        assert!(
            outcome
                .unwrap_err()
                .contains("did not ask what its history answered")
        );
        // Too short a log: the code waits for what the history never gave.
        let (outcome, ..) = replay("step b", vec![vec![(0, step_a_gave(1))]]).await;
        assert!(
            outcome
                .unwrap_err()
                .contains("did not answer before the step")
        );
        // Too long a log: the code got to the step before the history did.
        let log = vec![
            vec![(0, step_a_gave(1))],
            vec![(1, time(2))],
            vec![(9, Reply::Done)],
        ];
        let (outcome, ..) = replay("step b", log).await;
        assert!(outcome.unwrap_err().contains("earlier than its history"));
        // Another step at the target's place.
        let log = vec![vec![(0, step_a_gave(1))], vec![(1, time(2))]];
        let (outcome, target, _) = replay("step c", log).await;
        assert_eq!(outcome, Ok(()));
        match target.reached() {
            Some(Reached::Other(why)) => assert!(why.contains("`step c`"), "{why}"),
            _ => panic!("a step of another name ran"),
        }
    }
}
