//! Agent calls as Temporal activities: the activity `agentwire.agent` that
//! a worker runs for a run's agent call (looked up by name, with its JSON
//! arguments, under the budget the run grants it), and how a call's
//! [`StepPolicy`] and the run's time budget become the activity's retry
//! policy and timeouts.
//!
//! Every attempt's usage reaches the run: an attempt heartbeats what the
//! call used so far, Temporal hands the last heartbeat of a failed attempt
//! to the next one, which starts from it (and spends only what the run's
//! budget has left after it), and the call's result or final failure
//! carries the total.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use temporalio_common::RetryPolicy as TemporalRetry;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use temporalio_sdk::{ActivityCloseTimeouts, ActivityOptions, ApplicationFailure};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::dispatcher::setup;
use crate::agent::context::AgentContext;
use crate::agent::{CallError, Principal};
use crate::budget::{Budget, Scope, Usage};
use crate::mcp::meta::{BUDGET_KEY, read_grant};
use crate::telemetry::set_parent_from;
use crate::workflow::policy::StepPolicy;
use crate::workflow::record::CallFailure;

/// The activity type of agent calls, as the history and the web UI show it.
pub const AGENT_ACTIVITY: &str = "agentwire.agent";

/// How long a worker may go without a heartbeat from a running agent call
/// before Temporal gives the attempt up (a worker that died) and retries it,
/// on another worker if need be.
pub(super) const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a running call heartbeats what it used so far. The worker
/// sends heartbeats at this pace too (the SDK would hold them back for 4/5
/// of the timeout): what a killed attempt spent since its last heartbeat is
/// all the run is not charged with.
pub(super) const HEARTBEAT_EVERY: Duration = Duration::from_millis(2500);

/// The longest attempt of a call with neither a step timeout nor a time
/// budget: heartbeats find a dead worker long before.
const LONGEST_ATTEMPT: Duration = Duration::from_secs(24 * 3600);

/// The input of `agentwire.agent`: one agent call of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AgentTask {
    /// The run (for logs and spans).
    pub run_id: String,
    /// The run's workflow: the caller.
    pub workflow: String,
    /// The agent's tool name.
    pub agent: String,
    /// Its arguments.
    pub arguments: Map<String, Value>,
    /// What the run may still use, as `_meta["dev.agentwire/budget"]` writes it.
    pub budget: Value,
    /// What the call is narrowed to, in the same form.
    pub narrowing: Value,
    /// Who started the run.
    #[serde(default)]
    pub owner: Option<Principal>,
    /// The W3C trace context of the run's span.
    #[serde(default)]
    pub trace: Map<String, Value>,
}

/// The result of `agentwire.agent`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AgentDone {
    /// The agent's output.
    pub output: Value,
    /// What the call used, its sub-calls and its earlier failed attempts
    /// included; charged to the run.
    pub usage: Usage,
}

/// Why an agent call failed: the details of its Temporal failure.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AgentFailed {
    /// For people and models.
    pub message: String,
    /// The attempt that failed (from 1).
    pub attempt: u32,
    /// How the call failed, to give the workflow the same `CallError` as
    /// on the embedded backend.
    #[serde(default)]
    pub call: Option<CallFailure>,
    /// What the call used, this attempt and the earlier ones together;
    /// charged to the run.
    #[serde(default)]
    pub usage: Usage,
}

/// The activity options of an agent call: its retry policy from `policy`,
/// each attempt bounded by the step timeout, the whole call (retries
/// included) by the run's remaining time, and heartbeats to find a dead
/// worker.
pub(super) fn options(policy: StepPolicy, time_left: Option<Duration>) -> ActivityOptions {
    let attempt = policy.timeout.unwrap_or(LONGEST_ATTEMPT);
    let close = match time_left {
        Some(left) => {
            let left = left.max(Duration::from_secs(1));
            ActivityCloseTimeouts::ScheduleAndStartToClose {
                schedule_to_close: left,
                start_to_close: attempt.min(left),
            }
        }
        None => ActivityCloseTimeouts::StartToClose(attempt),
    };
    let mut options = ActivityOptions::with_close_timeouts(close).build();
    options.retry_policy = Some(retry_policy(policy));
    options.heartbeat_timeout = Some(HEARTBEAT_TIMEOUT);
    options
}

/// agentwire's retry policy as Temporal's: the same attempts, first wait,
/// factor and longest wait; budget and argument errors never retried.
pub(super) fn retry_policy(policy: StepPolicy) -> TemporalRetry {
    let retry = policy.retry;
    let factor = if retry.factor.is_finite() && retry.factor >= 1.0 {
        retry.factor
    } else {
        1.0
    };
    let initial = retry.backoff.max(Duration::from_millis(1));
    TemporalRetry::builder()
        .initial_interval(initial)
        .backoff_coefficient(factor)
        .maximum_interval(retry.max_backoff.max(initial))
        .maximum_attempts(retry.attempts.max(1))
        .non_retryable_error_types(NEVER_RETRIED)
        .build()
}

/// The failure types of calls that another attempt cannot fix.
const NEVER_RETRIED: [&str; 3] = ["budget_exceeded", "invalid_arguments", "cancelled"];

fn failure_type(failure: &CallFailure) -> &'static str {
    match failure {
        CallFailure::Agent { .. } => "agent",
        CallFailure::Panicked { .. } => "panicked",
        CallFailure::BudgetExceeded { .. } => "budget_exceeded",
        CallFailure::Remote { .. } => "remote",
        CallFailure::InvalidArguments { .. } => "invalid_arguments",
        CallFailure::Cancelled => "cancelled",
    }
}

/// A failure that no attempt can get past (the task is not one this worker
/// can run).
pub(super) fn refused(message: String) -> ActivityError {
    let failed = AgentFailed {
        message,
        attempt: 1,
        call: None,
        usage: Usage::default(),
    };
    attempt_failed("refused", true, failed)
}

fn grant(value: &Value, what: &str) -> Result<Budget, ActivityError> {
    let mut meta = Map::new();
    meta.insert(BUDGET_KEY.into(), value.clone());
    read_grant(&meta)
        .map(Option::unwrap_or_default)
        .map_err(|e| refused(format!("the call's {what} cannot be read: {e}")))
}

/// The activity `agentwire.agent`.
pub struct AgentCalls;

#[activities]
impl AgentCalls {
    /// Runs one attempt of a run's agent call in this worker: the agent is
    /// looked up by name among the worker's agents (a remote agent is
    /// called on its server), runs under what the run grants it, as the
    /// run's principal, its span in the run's trace, under the run's
    /// budget less what earlier attempts of the call used; the output and
    /// the usage of all attempts so far go back to the workflow, which
    /// charges it to the run.
    #[activity(name = "agentwire.agent")]
    pub async fn agent(ctx: ActivityContext, task: Value) -> Result<Value, ActivityError> {
        let task: AgentTask = serde_json::from_value(task)
            .map_err(|e| refused(format!("the agent call cannot be read: {e}")))?;
        let Some(setup) = setup() else {
            return Err(refused("this process runs no agentwire worker".to_owned()));
        };
        let Some(&callee) = setup.agents.get(task.agent.as_str()) else {
            return Err(refused(format!(
                "`{}` is not an agent this worker knows",
                task.agent
            )));
        };
        let workflow = setup
            .workflows
            .get(task.workflow.as_str())
            .map_or("workflow", |(definition, _)| definition.name);
        let budget = grant(&task.budget, "budget")?;
        let narrowing = grant(&task.narrowing, "narrowing")?;
        let attempt = ctx.info().attempt.max(1);
        // What the earlier attempts of this call used: the run has not been
        // charged with it yet (the workflow charges the call's usage when
        // the call ends), so this attempt gets the run's budget less it.
        let earlier = earlier_usage(&ctx);
        let span = tracing::info_span!("workflow agent call", run = %task.run_id, agent = callee.name, attempt);
        set_parent_from(&span, &task.trace);
        let scope = match Scope::root(workflow, less(budget, earlier)) {
            Ok(scope) => scope,
            Err(exceeded) => {
                let error = CallError::BudgetExceeded {
                    agent: callee.name,
                    exceeded,
                };
                return Err(report_failure(&ctx, error, attempt, earlier).await);
            }
        };
        let cancel = CancellationToken::new();
        let caller = AgentContext::root(
            workflow,
            cancel.clone(),
            None,
            scope,
            setup.host.clone(),
            task.owner.map(Arc::new),
        );
        let so_far = || {
            plus(
                earlier,
                Usage {
                    elapsed_ms: 0,
                    ..caller.usage()
                },
            )
        };
        let call = (setup.call)(caller.clone(), callee, task.arguments, narrowing).instrument(span);
        tokio::pin!(call);
        let mut beat = tokio::time::interval(HEARTBEAT_EVERY);
        let outcome = loop {
            tokio::select! {
                outcome = &mut call => break outcome,
                () = ctx.cancelled() => {
                    cancel.cancel();
                    return Err(ActivityError::cancelled());
                }
                _ = beat.tick() => heartbeat(&ctx, so_far()).await,
            }
        };
        let usage = so_far();
        match outcome {
            Ok(output) => serde_json::to_value(AgentDone { output, usage })
                .map_err(|e| refused(format!("the call's result cannot be recorded: {e}"))),
            Err(error) => Err(report_failure(&ctx, error, attempt, usage).await),
        }
    }
}

/// The usage of this call's earlier attempts, as the last one heartbeated
/// it (Temporal hands a failed or timed-out attempt's last heartbeat
/// details to the next attempt); nothing on the first attempt.
pub(super) fn earlier_usage(ctx: &ActivityContext) -> Usage {
    ctx.heartbeat_details()
        .deserialize::<Value>()
        .ok()
        .flatten()
        .and_then(|details| serde_json::from_value(details).ok())
        .unwrap_or_default()
}

/// Records what the call used so far (earlier attempts included) as the
/// attempt's heartbeat details, which the next attempt reads.
pub(super) async fn heartbeat(ctx: &ActivityContext, usage: Usage) {
    let details = serde_json::to_value(usage).unwrap_or(Value::Null);
    let _ = ctx.record_heartbeat(details).await;
}

/// A failed attempt's failure, its cumulative usage heartbeated first: the
/// SDK sends the last heartbeat details with the failure, so a retry starts
/// from them; the failure's details carry them too, for the workflow to
/// charge when the call fails for good.
async fn report_failure(
    ctx: &ActivityContext,
    error: CallError,
    attempt: u32,
    usage: Usage,
) -> ActivityError {
    heartbeat(ctx, usage).await;
    failed(error, attempt, usage)
}

/// Two usages together (the time is not summed: the run's clock counts it).
fn plus(a: Usage, b: Usage) -> Usage {
    Usage {
        input_tokens: a.input_tokens.saturating_add(b.input_tokens),
        output_tokens: a.output_tokens.saturating_add(b.output_tokens),
        cost_micros: a.cost_micros.saturating_add(b.cost_micros),
        elapsed_ms: 0,
        calls: a.calls.saturating_add(b.calls),
    }
}

/// What was used between `before` and `after` (the time is not counted:
/// the run's clock counts it).
pub(super) fn since(after: Usage, before: Usage) -> Usage {
    Usage {
        input_tokens: after.input_tokens.saturating_sub(before.input_tokens),
        output_tokens: after.output_tokens.saturating_sub(before.output_tokens),
        cost_micros: after.cost_micros.saturating_sub(before.cost_micros),
        elapsed_ms: 0,
        calls: after.calls.saturating_sub(before.calls),
    }
}

/// What is left of `budget` once `used` is spent (time and depth are not
/// spent by earlier attempts: Temporal's timeouts bound the time).
fn less(budget: Budget, used: Usage) -> Budget {
    Budget {
        tokens: budget.tokens.map(|t| t.saturating_sub(used.tokens())),
        cost_micros: budget
            .cost_micros
            .map(|c| c.saturating_sub(used.cost_micros)),
        calls: budget.calls.map(|c| c.saturating_sub(used.calls)),
        ..budget
    }
}

/// The Temporal failure of a call that failed, its details read back by the
/// workflow; retryable or not by its type.
fn failed(error: CallError, attempt: u32, usage: Usage) -> ActivityError {
    let call = CallFailure::from_error(&error);
    let kind = failure_type(&call);
    let failed = AgentFailed {
        message: error.to_string(),
        attempt,
        call: Some(call),
        usage,
    };
    attempt_failed(kind, NEVER_RETRIED.contains(&kind), failed)
}

/// The Temporal failure of an attempt (of a call or a step) that failed:
/// retried by Temporal unless `non_retryable`; its details (`failed`) are
/// what the workflow reads back when the attempts ran out.
pub(super) fn attempt_failed(
    kind: &str,
    non_retryable: bool,
    failed: AgentFailed,
) -> ActivityError {
    let message = failed.message.clone();
    let details = serde_json::to_value(failed).unwrap_or(Value::Null);
    ActivityError::application(
        ApplicationFailure::builder(message)
            .type_name(kind.to_owned())
            .non_retryable(non_retryable)
            .details(details)
            .build(),
    )
}

/// What a run gets back when a call's attempts ran out: the last attempt's
/// details, or (a timeout, a dead worker) Temporal's reason and the usage
/// of the last heartbeat.
pub(super) fn failure_of(
    error: &temporalio_sdk::ActivityExecutionError,
    policy: StepPolicy,
) -> AgentFailed {
    use temporalio_common::error::IncomingError;
    let mut cause = error.cause();
    // The cause of an activity failure is the attempt's own failure.
    while let Some(IncomingError::Activity(inner)) = cause {
        cause = inner.cause();
    }
    if let Some(IncomingError::Application(app)) = cause
        && let Ok(Some(details)) = app.details::<Value>()
        && let Ok(failed) = serde_json::from_value::<AgentFailed>(details)
    {
        return failed;
    }
    let message = match cause {
        Some(IncomingError::Timeout(_)) => match policy.timeout {
            Some(limit) => format!(
                "the attempt did not finish within its timeout of {} ms (or the run's time)",
                limit.as_millis()
            ),
            None => "the attempt did not finish within the run's time".to_owned(),
        },
        Some(other) => other.to_string(),
        None => error.to_string(),
    };
    // A timed-out attempt (a dead worker too) reports nothing itself: what
    // it and the earlier attempts used is in its last heartbeat.
    let usage = match cause {
        Some(IncomingError::Timeout(timeout)) => timeout
            .last_heartbeat_details::<Value>()
            .ok()
            .flatten()
            .and_then(|details| serde_json::from_value(details).ok())
            .unwrap_or_default(),
        _ => Usage::default(),
    };
    AgentFailed {
        message,
        attempt: policy.retry.attempts.max(1),
        call: None,
        usage,
    }
}
