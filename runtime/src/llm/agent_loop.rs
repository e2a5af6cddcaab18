//! The agent loop: the model answers or asks for tool calls; the calls run
//! (in parallel, each a budget-checked child of the looping agent) and their
//! results go back to the model, until it answers. Turns are bounded by
//! `max_turns`, tokens and cost by the budget (every model call is
//! metered), time by the agent's deadline, and nesting by its depth budget.

use futures::future::join_all;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::LlmError;
use super::message::{ChatRequest, Message, Part, Role, TokenUsage};
use super::model::Model;
use super::structured;
use super::toolbox::Toolbox;

/// How an agent loop ended well.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoopOutcome {
    /// The model's final answer.
    pub answer: String,
    /// The whole conversation, the final answer included.
    pub messages: Vec<Message>,
    /// How many model calls were made.
    pub turns: u32,
    /// How many tool calls the model made.
    pub tool_calls: u32,
    /// The tokens of every model call, added up (as charged).
    pub usage: TokenUsage,
}

/// A model working through tool calls until it answers. Made by
/// [`Model::agent_loop`].
///
/// ```no_run
/// # use agentwire::prelude::*;
/// # use agentwire::llm::{LlmError, Toolbox};
/// # async fn example(ctx: &AgentContext) -> Result<(), LlmError> {
/// let outcome = ctx
///     .model()?
///     .agent_loop()
///     .system("You are a careful research assistant.")
///     .tools(Toolbox::new().mcp_server("search"))
///     .max_turns(6)
///     .run("What changed in Rust 1.88?")
///     .await?;
/// println!("{} (in {} turns)", outcome.answer, outcome.turns);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AgentLoop {
    model: Model,
    tools: Toolbox,
    system: Option<String>,
    max_turns: u32,
}

impl AgentLoop {
    pub(crate) fn new(model: Model) -> Self {
        AgentLoop {
            max_turns: model.max_turns(),
            model,
            tools: Toolbox::new(),
            system: None,
        }
    }

    /// The tools the model may call.
    pub fn tools(mut self, tools: Toolbox) -> Self {
        self.tools = tools;
        self
    }

    /// The system prompt (replacing the request's, if it has one).
    pub fn system(mut self, system: impl Into<String>) -> Self {
        self.system = Some(system.into());
        self
    }

    /// The most model calls the loop makes (`[llm] max_turns`, else 10).
    pub fn max_turns(mut self, turns: u32) -> Self {
        self.max_turns = turns.max(1);
        self
    }

    /// Runs the loop from `request` (a question, or a whole [`ChatRequest`])
    /// until the model answers without asking for tools.
    pub async fn run(self, request: impl Into<ChatRequest>) -> Result<LoopOutcome, LlmError> {
        self.run_until(request.into(), |_| Ok(())).await
    }

    /// [`run`](Self::run), with the final answer read into a `T` through its
    /// JSON Schema. An answer that does not fit is sent back to the model
    /// with the reason, taking another turn.
    pub async fn run_structured<T: DeserializeOwned + JsonSchema>(
        self,
        request: impl Into<ChatRequest>,
    ) -> Result<(T, LoopOutcome), LlmError> {
        let (schema, wrapped) = structured::output_schema::<T>();
        let mut request = request.into();
        request.output_schema = Some(schema);
        let mut value = None;
        let outcome = self
            .run_until(request, |answer| {
                value = Some(structured::parse::<T>(answer, wrapped)?);
                Ok(())
            })
            .await?;
        match value {
            Some(value) => Ok((value, outcome)),
            None => Err(LlmError::InvalidOutput {
                message: "the loop ended without a final answer".to_owned(),
            }),
        }
    }

    /// The loop; `accept` checks a final answer, and its error goes back to
    /// the model as a correction.
    async fn run_until(
        self,
        mut request: ChatRequest,
        mut accept: impl FnMut(&str) -> Result<(), String>,
    ) -> Result<LoopOutcome, LlmError> {
        let ctx = self.model.context().clone();
        let tools = self.tools.resolve(&ctx).await?;
        if !self.tools.is_empty() {
            request.tools = tools.specs();
        }
        if self.system.is_some() {
            request.system = self.system.clone();
        }
        let mut usage = TokenUsage::default();
        let mut tool_calls = 0;
        let mut rejection = None;
        for turn in 1..=self.max_turns {
            let response = self.model.complete(request.clone()).await?;
            usage.input_tokens = usage
                .input_tokens
                .saturating_add(response.usage.input_tokens);
            usage.output_tokens = usage
                .output_tokens
                .saturating_add(response.usage.output_tokens);
            usage.cache_read_tokens = usage
                .cache_read_tokens
                .saturating_add(response.usage.cache_read_tokens);
            usage.cache_write_tokens = usage
                .cache_write_tokens
                .saturating_add(response.usage.cache_write_tokens);
            usage.estimated |= response.usage.estimated;
            request.messages.push(response.message.clone());
            let calls: Vec<_> = response.message.tool_calls().cloned().collect();
            if calls.is_empty() {
                let answer = response.text();
                match accept(&answer) {
                    Ok(()) => {
                        return Ok(LoopOutcome {
                            answer,
                            messages: request.messages,
                            turns: turn,
                            tool_calls,
                            usage,
                        });
                    }
                    Err(problem) => {
                        tracing::debug!(turn, %problem, "the answer was sent back");
                        request.messages.push(Message::user(format!(
                            "Your answer cannot be used: {problem}. Answer again with only the \
                             JSON object."
                        )));
                        rejection = Some(problem);
                        continue;
                    }
                }
            }
            rejection = None;
            tool_calls += calls.len() as u32;
            // The turn's calls run at once and share what remains fairly.
            let share = ctx.scope().remaining().share(calls.len());
            let results = join_all(calls.iter().map(|call| tools.call(&ctx, call, share))).await;
            let mut parts = Vec::with_capacity(results.len());
            for result in results {
                parts.push(Part::ToolResult(result?));
            }
            request.messages.push(Message {
                role: Role::User,
                parts,
            });
        }
        Err(match rejection {
            Some(message) => LlmError::InvalidOutput { message },
            None => LlmError::TurnLimit {
                limit: self.max_turns,
            },
        })
    }
}

impl From<&str> for ChatRequest {
    /// A request of one user message.
    fn from(text: &str) -> Self {
        ChatRequest::new().user(text)
    }
}

impl From<String> for ChatRequest {
    /// A request of one user message.
    fn from(text: String) -> Self {
        ChatRequest::new().user(text)
    }
}

impl From<&String> for ChatRequest {
    /// A request of one user message.
    fn from(text: &String) -> Self {
        ChatRequest::new().user(text.as_str())
    }
}
