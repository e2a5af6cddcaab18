//! [`WorkflowContext`]: everything a workflow's code does that is not pure
//! computation goes through it, so that it can be journaled and replayed.

use std::borrow::Cow;
use std::fmt::Display;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::FutureExt;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::WorkflowError;
use super::backend::{
    Activity, ActivityError, ActivityKind, AgentCall, AttemptError, RunDriver, Wait,
};
use super::record::CallFailure;
use super::step::Step;
use crate::agent::CallError;
use crate::agent::caller::CanCall;
use crate::agent::context::AgentContext;
use crate::agent::definition::AgentStub;
use crate::budget::{Budget, BudgetExceeded, Usage};

/// The context of a running workflow: its steps, agent calls, timers, waits,
/// clock and random numbers. Each of them is journaled, and when the run is
/// replayed (after a restart) the finished ones return what was journaled
/// instead of running again.
///
/// Take it as the first parameter of a `#[workflow]` function, by reference.
/// The workflow's own code must be deterministic: everything that reads the
/// outside world or changes it goes through this context.
///
/// ```no_run
/// use std::time::Duration;
/// use agentwire::prelude::*;
///
/// /// Waits a second, then greets.
/// #[workflow]
/// async fn patient_greeting(ctx: &WorkflowContext, name: String) -> Result<String, WorkflowError> {
///     ctx.sleep(Duration::from_secs(1)).await?;
///     let greeting = ctx
///         .step("compose", || async { Ok::<_, std::io::Error>(format!("Hello, {name}!")) })
///         .await?;
///     Ok(greeting)
/// }
/// # agentwire::main!();
/// ```
///
/// Cloning is cheap; clones share one run.
#[derive(Clone)]
pub struct WorkflowContext {
    driver: Arc<dyn RunDriver>,
}

impl WorkflowContext {
    /// The context of the run `driver` executes.
    #[doc(hidden)]
    pub fn new(driver: Arc<dyn RunDriver>) -> Self {
        WorkflowContext { driver }
    }

    /// The run's id (also its MCP task id).
    pub fn run_id(&self) -> &str {
        self.driver.run_id()
    }

    /// The workflow's tool name.
    pub fn workflow_name(&self) -> &'static str {
        self.driver.workflow()
    }

    /// Who started the run (see [`AgentContext::principal`]); kept with the
    /// run, so it is the same after a restart.
    pub fn principal(&self) -> Option<&crate::agent::Principal> {
        self.driver.agent_context().principal()
    }

    /// A side effect, run once and journaled: `body` runs (again on failure,
    /// as the retry policy says) until it returns `Ok`, and its value is
    /// journaled; a replay returns the journaled value without running it.
    ///
    /// The step is awaited with `.await`; before that, [`Step::retry`] and
    /// [`Step::timeout`] override the workflow's policy for this step alone.
    /// `name` identifies the step in the journal and in the run's status.
    ///
    /// A step interrupted by a crash before its value was journaled runs
    /// again: make it idempotent, or use [`Step::id`] as an idempotency key.
    pub fn step<T, E, F, Fut>(&self, name: impl Into<String>, body: F) -> Step<'_, T, F>
    where
        T: Serialize + DeserializeOwned + Send,
        E: Display,
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T, E>> + Send,
    {
        Step::new(
            self,
            self.driver.next_op(),
            name.into(),
            body,
            self.driver.default_policy(),
        )
    }

    pub(super) fn driver(&self) -> &dyn RunDriver {
        &*self.driver
    }

    /// Waits `duration` on a durable timer: after a restart the run waits
    /// only for what was left.
    pub fn sleep(
        &self,
        duration: Duration,
    ) -> impl Future<Output = Result<(), WorkflowError>> + Send + '_ {
        let op = self.driver.next_op();
        self.driver.sleep(op, duration)
    }

    /// Waits for a signal or human input named `name` (sent with
    /// `workflows-resume`, or `tasks/update`), at most `timeout`; the run
    /// shows `input_required` meanwhile. The payload is read as `T`; one that
    /// does not fit is refused when it is sent. A payload sent before the run
    /// reaches the wait is kept for it.
    ///
    /// `Duration::MAX` waits for ever.
    pub fn wait_for<T>(
        &self,
        name: &str,
        timeout: Duration,
    ) -> impl Future<Output = Result<T, WorkflowError>> + Send + '_
    where
        T: DeserializeOwned + JsonSchema + Send,
    {
        let op = self.driver.next_op();
        let name = name.to_owned();
        async move {
            let wait = Wait {
                name: &name,
                timeout: (timeout != Duration::MAX).then_some(timeout),
                check: check_payload::<T>,
                schema: payload_schema::<T>,
            };
            let value = self.driver.wait_for(op, wait).await?;
            serde_json::from_value(value).map_err(|e| WorkflowError::Decode {
                name: name.clone(),
                message: e.to_string(),
            })
        }
    }

    /// The time, read once and journaled: a replay sees the same time.
    pub fn now(&self) -> impl Future<Output = Result<SystemTime, WorkflowError>> + Send + '_ {
        let op = self.driver.next_op();
        self.driver.now(op)
    }

    /// A random number that is the same on every replay of this run.
    pub fn random_u64(&self) -> u64 {
        self.driver.random_u64()
    }

    /// A random number in `[0, 1)`, the same on every replay of this run.
    pub fn random_f64(&self) -> f64 {
        (self.random_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Charges model usage to the run's budget (see
    /// [`AgentContext::charge`]).
    pub fn charge(&self, usage: Usage) -> Result<(), BudgetExceeded> {
        self.driver.agent_context().charge(usage)
    }

    /// What the run used so far, journaled agent calls included.
    pub fn usage(&self) -> Usage {
        self.driver.agent_context().usage()
    }

    /// What the run may still use.
    pub fn remaining_budget(&self) -> Budget {
        self.driver.agent_context().remaining_budget()
    }

    /// Calls the agent `A` once, journaled, retried as the workflow's policy says.
    fn call_agent<A>(
        &self,
        budget: Budget,
        args: A::Args,
    ) -> BoxFuture<'static, Result<A::Output, CallError>>
    where
        A: AgentStub,
        A::Args: Clone,
        A::Output: Serialize + DeserializeOwned,
    {
        let op = self.driver.next_op();
        let definition = A::DEFINITION;
        let agent = definition.name;
        let caller = self.driver.agent_context().clone();
        let driver = self.driver.clone();
        let policy = driver.default_policy();
        let call = A::json_arguments(&args).map(|arguments| AgentCall {
            agent: definition,
            arguments,
            narrowing: budget,
        });
        let attempt = move |_attempt: u32| -> BoxFuture<'static, Result<Value, AttemptError>> {
            let args = args.clone();
            let caller = caller.clone();
            async move {
                match A::invoke(caller, budget, args).await {
                    Ok(output) => serde_json::to_value(output).map_err(|e| AttemptError {
                        message: format!("its result cannot be journaled: {e}"),
                        retryable: false,
                        call: None,
                    }),
                    Err(error) => Err(AttemptError {
                        message: error.to_string(),
                        retryable: matches!(
                            error,
                            CallError::Agent { .. }
                                | CallError::Panicked { .. }
                                | CallError::Remote { .. }
                        ),
                        call: Some(CallFailure::from_error(&error)),
                    }),
                }
            }
            .boxed()
        };
        async move {
            let activity = Activity {
                op,
                kind: ActivityKind::AgentCall,
                name: Cow::Borrowed(agent),
                policy,
                attempt: Box::new(move |n| -> BoxFuture<'_, _> { attempt(n) }),
                call,
            };
            match driver.activity(activity).await {
                Ok(value) => serde_json::from_value(value).map_err(|e| CallError::Agent {
                    agent,
                    message: format!("the result journaled for this call cannot be read back: {e}"),
                }),
                Err(ActivityError::Failed(failure)) => Err(match &failure.call {
                    Some(call) => call.to_error(definition),
                    None => CallError::Agent {
                        agent,
                        message: failure.message,
                    },
                }),
                Err(ActivityError::Interrupted(_)) => Err(CallError::Cancelled { agent }),
            }
        }
        .boxed()
    }
}

fn check_payload<T: DeserializeOwned>(value: &Value) -> Result<(), String> {
    T::deserialize(value).map(drop).map_err(|e| e.to_string())
}

fn payload_schema<T: JsonSchema>() -> Value {
    schemars::SchemaGenerator::default()
        .into_root_schema_for::<T>()
        .to_value()
}

impl std::fmt::Debug for WorkflowContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkflowContext")
            .field("workflow", &self.workflow_name())
            .field("run_id", &self.run_id())
            .finish()
    }
}

/// `Self` (a workflow) declares that it calls `Callee` (an agent).
#[diagnostic::on_unimplemented(
    message = "workflow `{Self}` calls `{Callee}` without declaring it",
    label = "`{Callee}` is not in this workflow's `calls` list",
    note = "declare every agent a workflow calls: `#[workflow(calls = [{Callee}])]`; the \
            declarations make the call graph that agentwire checks at start-up"
)]
#[doc(hidden)]
pub trait WorkflowDeclares<Callee> {}

/// An agent a workflow can call: the workflow may call it again (so its
/// arguments are `Clone`) and journals its result (so the result is
/// `Serialize` and `Deserialize`).
#[diagnostic::on_unimplemented(
    message = "a workflow cannot call the agent `{Self}`: its parameters must be `Clone` and its result `Serialize + Deserialize`",
    label = "this call would be journaled",
    note = "a workflow journals each agent call's result and replays it after a restart, and \
            retries failed calls: derive `Clone` for the agent's parameter types and \
            `serde::Deserialize` for its result type"
)]
#[doc(hidden)]
pub trait Journaled {}
impl<A> Journaled for A
where
    A: AgentStub,
    A::Args: Clone,
    A::Output: Serialize + DeserializeOwned,
{
}

/// The context of the workflow `Workflow` as its body sees it: a
/// [`WorkflowContext`] (it dereferences to one) that can also call the
/// agents `Workflow` declares, through their usual stubs.
pub struct WorkflowCaller<Workflow> {
    ctx: WorkflowContext,
    workflow: PhantomData<fn() -> Workflow>,
}

impl<Workflow> WorkflowCaller<Workflow> {
    #[doc(hidden)]
    pub fn new(ctx: WorkflowContext) -> Self {
        WorkflowCaller {
            ctx,
            workflow: PhantomData,
        }
    }
}

impl<Workflow> Clone for WorkflowCaller<Workflow> {
    fn clone(&self) -> Self {
        WorkflowCaller::new(self.ctx.clone())
    }
}

impl<Workflow> Deref for WorkflowCaller<Workflow> {
    type Target = WorkflowContext;

    fn deref(&self) -> &WorkflowContext {
        &self.ctx
    }
}

impl<Workflow> AsRef<WorkflowContext> for WorkflowCaller<Workflow> {
    fn as_ref(&self) -> &WorkflowContext {
        &self.ctx
    }
}

impl<Workflow> std::fmt::Debug for WorkflowCaller<Workflow> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.ctx.fmt(f)
    }
}

impl<Workflow, Callee> CanCall<Callee> for WorkflowCaller<Workflow>
where
    Workflow: WorkflowDeclares<Callee>,
    Callee: AgentStub + Journaled,
    Callee::Args: Clone,
    Callee::Output: Serialize + DeserializeOwned,
{
    fn agent_context(&self) -> &AgentContext {
        self.ctx.driver.agent_context()
    }

    fn run_call(
        &self,
        budget: Budget,
        args: Callee::Args,
    ) -> impl Future<Output = Result<Callee::Output, CallError>> + Send + 'static + use<Workflow, Callee>
    where
        Callee: AgentStub,
    {
        self.ctx.call_agent::<Callee>(budget, args)
    }
}
