//! [`Step`]: a journaled side effect, with its own retries and timeout.

use std::borrow::Cow;
use std::fmt::Display;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::WorkflowError;
use super::backend::{Activity, ActivityError, ActivityKind, AttemptError};
use super::context::WorkflowContext;
use super::policy::{RetryPolicy, StepPolicy};

/// A step of a workflow, made by [`WorkflowContext::step`]; `.await` it to
/// run it (or to read its journaled value on replay).
#[must_use = "a step does nothing until it is awaited"]
pub struct Step<'a, T, F> {
    ctx: &'a WorkflowContext,
    op: u32,
    name: String,
    body: F,
    policy: StepPolicy,
    value: PhantomData<fn() -> T>,
}

impl<'a, T, F> Step<'a, T, F> {
    pub(super) fn new(
        ctx: &'a WorkflowContext,
        op: u32,
        name: String,
        body: F,
        policy: StepPolicy,
    ) -> Self {
        Step {
            ctx,
            op,
            name,
            body,
            policy,
            value: PhantomData,
        }
    }

    /// Retries this step as `policy` says, instead of the workflow's policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.policy.retry = policy;
        self
    }

    /// Fails an attempt of this step that takes longer than `timeout` (it
    /// may then be retried).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.policy.timeout = Some(timeout);
        self
    }

    /// Lets attempts of this step take as long as they take.
    pub fn no_timeout(mut self) -> Self {
        self.policy.timeout = None;
        self
    }

    /// A key that names this step of this run, the same on every attempt and
    /// every replay: `"<run id>/<position>"`. Use it as an idempotency key
    /// for side effects outside the journal.
    pub fn id(&self) -> String {
        format!("{}/{}", self.ctx.run_id(), self.op)
    }
}

impl<'a, T, E, F, Fut> IntoFuture for Step<'a, T, F>
where
    T: Serialize + DeserializeOwned + Send + 'a,
    E: Display,
    F: FnMut() -> Fut + Send + 'a,
    Fut: Future<Output = Result<T, E>> + Send + 'a,
{
    type Output = Result<T, WorkflowError>;
    type IntoFuture = BoxFuture<'a, Result<T, WorkflowError>>;

    fn into_future(self) -> Self::IntoFuture {
        let Step {
            ctx,
            op,
            name,
            mut body,
            policy,
            ..
        } = self;
        let attempt = Box::new(move |_attempt: u32| {
            let run = body();
            async move {
                match run.await {
                    Ok(value) => serde_json::to_value(value).map_err(|e| AttemptError {
                        message: format!("its value cannot be journaled: {e}"),
                        retryable: false,
                        call: None,
                    }),
                    Err(error) => Err(AttemptError {
                        message: error.to_string(),
                        retryable: true,
                        call: None,
                    }),
                }
            }
            .boxed()
        });
        async move {
            let activity = Activity {
                op,
                kind: ActivityKind::Step,
                name: Cow::Owned(name.clone()),
                policy,
                attempt,
                call: None,
            };
            match ctx.driver().activity(activity).await {
                Ok(value) => serde_json::from_value(value).map_err(|e| WorkflowError::Decode {
                    name: name.clone(),
                    message: e.to_string(),
                }),
                Err(ActivityError::Failed(failure)) => Err(WorkflowError::Step {
                    name: name.clone(),
                    attempts: failure.attempts,
                    message: failure.message,
                }),
                Err(ActivityError::Interrupted(error)) => Err(error),
            }
        }
        .boxed()
    }
}
