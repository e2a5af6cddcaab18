//! [`AgentContext`]: what a running agent knows about its request.

use std::fmt;
use std::sync::Arc;

use rmcp::model::ProgressNotificationParam;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::agent::definition::AgentDefinition;
use crate::agent::host::Host;
use crate::agent::principal::Principal;
use crate::budget::{Budget, BudgetExceeded, Scope, Usage};
use crate::mcp::channel::ClientChannel;
use crate::mcp::logging::LogLevel;

/// The request an agent is running for: its cancellation, its way back to the
/// MCP client (progress, log messages, questions for the user and the model),
/// and its place in a chain of agents.
///
/// Everything that reaches the client works the same in both protocol eras;
/// see [`elicit`](Self::elicit) and [`sample`](Self::sample) for what the
/// 2026-07-28 era changes underneath.
///
/// Take it as the first parameter of an `#[agent]` function, by reference:
///
/// ```
/// use agentwire::prelude::*;
///
/// /// Counts to `n`, reporting progress.
/// #[agent]
/// async fn count(ctx: &AgentContext, n: u32) -> u32 {
///     for i in 1..=n {
///         ctx.progress(f64::from(i), Some(f64::from(n)), None).await;
///     }
///     n
/// }
/// # fn main() {}
/// ```
///
/// Cloning is cheap; clones share one request.
#[derive(Clone)]
pub struct AgentContext {
    inner: Arc<Inner>,
}

struct Inner {
    agent: &'static str,
    cancellation: CancellationToken,
    client: Option<ClientChannel>,
    /// How many agents stand between this one and the client: 0 for the
    /// agent the client called.
    depth: u32,
    budget: Arc<Scope>,
    host: Arc<Host>,
    /// Who called, when the transport authenticated them.
    principal: Option<Arc<Principal>>,
}

impl AgentContext {
    /// The context of an agent (or a prompt or a resource: `name`) called
    /// directly by a client (or the CLI), with the budget `budget`.
    pub(crate) fn root(
        name: &'static str,
        cancellation: CancellationToken,
        client: Option<ClientChannel>,
        budget: Arc<Scope>,
        host: Arc<Host>,
        principal: Option<Arc<Principal>>,
    ) -> Self {
        AgentContext {
            inner: Arc::new(Inner {
                agent: name,
                cancellation,
                client,
                depth: 0,
                budget,
                host,
                principal,
            }),
        }
    }

    /// The context of `callee` called by this agent, or the budget reason it
    /// may not run: its budget is the tightest of this agent's remaining
    /// budget, the callee's policy and `narrowing`; it is cancelled with this
    /// agent and reports to the same client.
    pub(crate) fn child(
        &self,
        callee: &'static AgentDefinition,
        narrowing: Budget,
    ) -> Result<Self, BudgetExceeded> {
        self.child_named(callee.name, callee.policy, narrowing)
    }

    /// [`child`](Self::child) for a callee known by its name and policy
    /// only (a tool of another MCP server).
    pub(crate) fn child_named(
        &self,
        callee: &'static str,
        policy: Budget,
        narrowing: Budget,
    ) -> Result<Self, BudgetExceeded> {
        let budget = self.inner.budget.child(callee, policy.min(narrowing))?;
        Ok(AgentContext {
            inner: Arc::new(Inner {
                agent: callee,
                cancellation: self.inner.cancellation.child_token(),
                client: self.inner.client.clone(),
                depth: self.inner.depth + 1,
                budget,
                host: self.inner.host.clone(),
                principal: self.inner.principal.clone(),
            }),
        })
    }

    pub(crate) fn scope(&self) -> &Arc<Scope> {
        &self.inner.budget
    }

    pub(crate) fn host(&self) -> &Arc<Host> {
        &self.inner.host
    }

    /// Charges model usage (tokens and cost) to this agent's budget and every
    /// caller's. Refused, and nothing charged, when any of them would pass its
    /// limit. The LLM layer charges model calls for you (see docs/llm.md).
    pub fn charge(&self, usage: Usage) -> Result<(), BudgetExceeded> {
        self.inner.budget.charge(usage)?;
        crate::telemetry::record_token_usage(
            self.inner.agent,
            usage.input_tokens,
            usage.output_tokens,
        );
        Ok(())
    }

    /// What this agent and everything it called used so far.
    pub fn usage(&self) -> Usage {
        self.inner.budget.usage()
    }

    /// What this agent may still use: the tightest of its own remaining
    /// limits and its callers'.
    pub fn remaining_budget(&self) -> Budget {
        self.inner.budget.remaining()
    }

    /// The way back to the client, when there is one.
    pub(crate) fn client(&self) -> Option<&ClientChannel> {
        self.inner.client.as_ref()
    }

    /// The tool name of the running agent (the prompt's name, or the
    /// resource's, when a prompt or a resource takes the context).
    pub fn agent_name(&self) -> &'static str {
        self.inner.agent
    }

    /// Who called: the subject, client and scopes of the access token the
    /// HTTP request carried, when the server has `[auth]`. `None` over
    /// stdio (the parent process is trusted) and without `[auth]`. A
    /// workflow run sees the principal that started it.
    pub fn principal(&self) -> Option<&Principal> {
        self.inner.principal.as_deref()
    }

    /// How deep this agent runs in a chain of agent calls: 0 when a client
    /// called it directly, 1 for an agent it called, and so on.
    pub fn depth(&self) -> u32 {
        self.inner.depth
    }

    /// Whether the request was cancelled (by the client, or because a caller
    /// was). The agent's future is dropped soon after; long synchronous work
    /// can poll this to stop early.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancellation.is_cancelled()
    }

    /// Completes when the request is cancelled.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        self.inner.cancellation.cancelled()
    }

    /// The request's cancellation token, to hand to code that takes one.
    pub fn cancellation_token(&self) -> CancellationToken {
        self.inner.cancellation.clone()
    }

    /// Reports progress to the client, if it asked for progress with a
    /// `progressToken`; otherwise does nothing. Best effort: a client that
    /// went away does not fail the agent.
    pub async fn progress(&self, done: f64, total: Option<f64>, message: Option<&str>) {
        let Some(ClientChannel {
            peer,
            progress_token: Some(token),
            ..
        }) = &self.inner.client
        else {
            return;
        };
        let mut param = ProgressNotificationParam::new(token.clone(), done);
        param.total = total;
        param.message = message.map(str::to_owned);
        if let Err(error) = peer.notify_progress(param).await {
            tracing::debug!(%error, "could not send a progress notification");
        }
    }

    /// Sends a log message to the client (`notifications/message`) when the
    /// client's log level lets it through, and always to this process's log.
    pub async fn log(&self, level: LogLevel, message: impl Into<String>) {
        let message = message.into();
        let agent = self.inner.agent;
        match level {
            LogLevel::Debug => tracing::debug!(agent, "{message}"),
            LogLevel::Info | LogLevel::Notice => tracing::info!(agent, "{message}"),
            LogLevel::Warning => tracing::warn!(agent, "{message}"),
            _ => tracing::error!(agent, "{message}"),
        }
        let Some(client) = &self.inner.client else {
            return;
        };
        if client.log_level.is_none_or(|min| level < min) {
            return;
        }
        #[allow(deprecated)] // MCP logging is deprecated by SEP-2577 but still served.
        let param =
            rmcp::model::LoggingMessageNotificationParam::new(level.to_rmcp(), message.into())
                .with_logger(agent);
        #[allow(deprecated)]
        if let Err(error) = client.peer.notify_logging_message(param).await {
            tracing::debug!(%error, "could not send a log message to the client");
        }
    }

    /// [`log`](Self::log) at `info` level.
    pub async fn info(&self, message: impl Into<String>) {
        self.log(LogLevel::Info, message).await;
    }

    /// [`log`](Self::log) at `warning` level.
    pub async fn warn(&self, message: impl Into<String>) {
        self.log(LogLevel::Warning, message).await;
    }
}

impl fmt::Debug for AgentContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentContext")
            .field("agent", &self.inner.agent)
            .field("depth", &self.inner.depth)
            .field(
                "principal",
                &self.inner.principal.as_ref().map(|p| &p.subject),
            )
            .field("usage", &self.usage())
            .field("cancelled", &self.is_cancelled())
            .field("has_client", &self.inner.client.is_some())
            .finish()
    }
}
