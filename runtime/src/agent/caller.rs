//! Which agents an agent may call. `#[agent(calls = [a, b])]` implements
//! [`Declares<a>`] and [`Declares<b>`] for the calling agent, and inside its
//! body the context becomes a [`CallerContext`] of that agent: the only thing
//! the generated stubs accept. Calling an undeclared agent does not compile.

use std::marker::PhantomData;
use std::ops::Deref;

use std::future::Future;

use crate::agent::CallError;
use crate::agent::context::AgentContext;
use crate::agent::definition::AgentStub;
use crate::budget::Budget;

/// `Self` (an agent) declares that it calls `Callee` (another agent).
#[diagnostic::on_unimplemented(
    message = "agent `{Self}` calls `{Callee}` without declaring it",
    label = "`{Callee}` is not in this agent's `calls` list",
    note = "declare every agent an agent calls: `#[agent(calls = [{Callee}])]`; the \
            declarations make the call graph that agentwire checks at start-up"
)]
pub trait Declares<Callee> {}

/// A context that may call the agent `Callee` through its stub.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot call the agent `{Callee}`",
    label = "stubs take the context of an agent that declares the callee",
    note = "call `{Callee}::call(ctx, ...)` from the body of an `#[agent(calls = [{Callee}])]` \
            function, passing its context parameter"
)]
pub trait CanCall<Callee> {
    /// The context the call runs under.
    fn agent_context(&self) -> &AgentContext;

    /// Runs the call: an agent's context runs it at once (see
    /// [`AgentStub::invoke`]), a workflow's journals it. The future owns
    /// what it needs and borrows nothing.
    #[doc(hidden)]
    fn run_call(
        &self,
        budget: Budget,
        args: Callee::Args,
    ) -> impl Future<Output = Result<Callee::Output, CallError>> + Send + 'static + use<Self, Callee>
    where
        Callee: AgentStub,
    {
        Callee::invoke(self.agent_context().clone(), budget, args)
    }
}

/// The context of the agent `Agent` as its body sees it: an [`AgentContext`]
/// (it dereferences to one) that can also call the agents `Agent` declares.
///
/// Helpers that call agents on an agent's behalf take it generically:
/// `async fn helper(ctx: &impl CanCall<summarize>)`.
pub struct CallerContext<Agent> {
    ctx: AgentContext,
    agent: PhantomData<fn() -> Agent>,
}

impl<Agent> CallerContext<Agent> {
    #[doc(hidden)]
    pub fn new(ctx: AgentContext) -> Self {
        CallerContext {
            ctx,
            agent: PhantomData,
        }
    }
}

impl<Agent> CallerContext<Agent> {
    /// The plain context, for code that takes an [`AgentContext`] by value.
    pub fn into_inner(self) -> AgentContext {
        self.ctx
    }
}

impl<Agent> From<CallerContext<Agent>> for AgentContext {
    fn from(caller: CallerContext<Agent>) -> Self {
        caller.ctx
    }
}

impl<Agent> Clone for CallerContext<Agent> {
    fn clone(&self) -> Self {
        CallerContext::new(self.ctx.clone())
    }
}

impl<Agent> Deref for CallerContext<Agent> {
    type Target = AgentContext;

    fn deref(&self) -> &AgentContext {
        &self.ctx
    }
}

impl<Agent> AsRef<AgentContext> for CallerContext<Agent> {
    fn as_ref(&self) -> &AgentContext {
        &self.ctx
    }
}

impl<Agent, Callee> CanCall<Callee> for CallerContext<Agent>
where
    Agent: Declares<Callee>,
{
    fn agent_context(&self) -> &AgentContext {
        &self.ctx
    }
}

impl<Agent> std::fmt::Debug for CallerContext<Agent> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.ctx.fmt(f)
    }
}
