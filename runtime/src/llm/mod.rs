//! The LLM layer: models whose every call is fitted into the calling
//! agent's budget, charged with the usage its provider reports, retried
//! within the deadline, and traced as a `chat {model}` span.
//!
//! * [`AgentContext::model`](crate::AgentContext::model) gives the
//!   configured [`Model`]; [`Model::complete`], [`Model::stream`],
//!   [`Model::ask`] and [`Model::structured`] call it.
//! * [`Model::agent_loop`] lets the model call tools ([`Toolbox`]: agents,
//!   remote agents, MCP servers' tools) until it answers.
//! * [`patterns`] holds the router, fan-out/fan-in, orchestrator-workers
//!   and evaluator-optimizer helpers.
//! * Providers: [`OpenAi`] (Chat Completions, and every compatible server),
//!   [`Anthropic`] (Messages), [`McpSampling`] (the MCP client's model), or
//!   your own [`Provider`].
//!
//! Configuration (`[llm]`, `[providers.*]`) is described in [`config`];
//! budgets, retries and tracing in docs/llm.md.

mod agent_loop;
mod anthropic;
pub mod config;
mod http;
mod intern;
mod message;
mod metering;
mod model;
pub(crate) mod models;
mod openai;
pub mod patterns;
mod pricing;
mod provider;
mod retry;
mod sampling;
mod secret;
mod span;
mod structured;
mod toolbox;

pub use agent_loop::{AgentLoop, LoopOutcome};
pub use anthropic::{ANTHROPIC_BASE_URL, ANTHROPIC_VERSION, Anthropic};
pub use message::{
    ChatRequest, ChatResponse, FinishReason, Message, OutputSchema, Part, Role, TokenUsage,
    ToolCall, ToolChoice, ToolResult, ToolSpec,
};
#[cfg(feature = "testing")]
pub(crate) use metering::{estimate_input_tokens, tokens_of_chars};
pub use model::{Model, ModelStream};
pub use openai::{MaxTokensField, OPENAI_BASE_URL, OpenAi};
pub use pricing::{Price, PriceTable};
pub use provider::{
    CallOptions, EventStream, Provider, ProviderError, ProviderErrorKind, StreamEvent,
};
pub use retry::ProviderRetry;
pub use sampling::McpSampling;
pub use secret::Secret;
pub use toolbox::Toolbox;

use crate::budget::BudgetExceeded;

/// The answer limit of a call that sets none (Anthropic's API requires one).
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

/// Why a model call, or a loop of them, gave no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    /// A budget ran out: the call was refused before it was made, or the
    /// usage it reported (charged up to what was reserved) went past it, or the budget
    /// cut its answer short.
    #[error("{0}")]
    Budget(BudgetExceeded),
    /// The provider failed, retries included.
    #[error("the call to model `{model}` ({provider}) failed: {error}")]
    Provider {
        /// The provider's name.
        provider: String,
        /// The model's name.
        model: String,
        /// What went wrong.
        error: ProviderError,
    },
    /// The configuration does not give a usable model.
    #[error("{0}")]
    Config(String),
    /// A cost budget applies and the model's price is unknown, so it cannot
    /// be enforced.
    #[error(
        "no price is known for model `{model}`, so the cost budget cannot be enforced; add \
         [llm.prices.\"{model}\"] with `input` and `output` (USD per million tokens) to \
         agentwire.toml"
    )]
    Unpriced {
        /// The model without a price.
        model: String,
    },
    /// The tools could not be offered (an MCP server is unreachable, two
    /// tools share a name).
    #[error("{0}")]
    Tools(String),
    /// The loop made its last allowed model call and still got tool calls.
    #[error("the agent loop reached its limit of {limit} turns without a final answer")]
    TurnLimit {
        /// The most turns the loop was allowed.
        limit: u32,
    },
    /// The answer did not fit the requested type, even after a correction.
    #[error("the model's answer does not fit the requested type: {message}")]
    InvalidOutput {
        /// Why the answer does not fit.
        message: String,
    },
}

impl LlmError {
    /// The budget that ran out, if that is why.
    pub fn budget_exceeded(&self) -> Option<&BudgetExceeded> {
        match self {
            LlmError::Budget(exceeded) => Some(exceeded),
            _ => None,
        }
    }
}

impl From<BudgetExceeded> for LlmError {
    fn from(exceeded: BudgetExceeded) -> Self {
        LlmError::Budget(exceeded)
    }
}
