//! Fitting a model call into the budget before it is made, and charging
//! what the provider reports after.
//!
//! Before the call the prompt's size is estimated and the answer's
//! `max_tokens` clamped to what the token and cost budgets leave; a call
//! that cannot fit even a small answer is refused. The prompt estimate plus
//! `max_tokens` (and its cost) is then reserved in the budget, so parallel
//! calls cannot together overspend it. After the call the reservation is
//! replaced by the usage the provider reported, which is untrusted: where a
//! limit applies it is clamped to the reservation, and a report beyond it
//! fails the call with the budget error. A billed answer that cannot be
//! read is charged the prompt's estimate. An answer cut short (`length`) because the
//! budget clamped it fails with the budget error too: the budget, not the
//! model, ended it.

use std::sync::Arc;

use crate::agent::context::AgentContext;
use crate::budget::{BudgetExceeded, Dimension, Reservation, Scope, Usage};

use super::message::{ChatRequest, FinishReason, Part, TokenUsage};
use super::pricing::Price;
use super::{DEFAULT_MAX_TOKENS, LlmError};

/// A rough count of the tokens of `chars` characters of text (four per
/// token, as for English with common tokenizers), rounded up.
pub(crate) fn tokens_of_chars(chars: usize) -> u64 {
    (chars as u64).div_ceil(4)
}

/// An estimate of the prompt tokens of `request`: its text, tool schemas and
/// output schema at four characters a token, plus a few tokens of framing
/// per message.
pub(crate) fn estimate_input_tokens(request: &ChatRequest) -> u64 {
    let mut chars = request.system.as_ref().map_or(0, String::len);
    for message in &request.messages {
        for part in &message.parts {
            chars += match part {
                Part::Text { text } => text.len(),
                Part::ToolCall(call) => call.name.len() + call.arguments.to_string().len(),
                Part::ToolResult(result) => result.content.len() + result.call_id.len(),
            };
        }
    }
    for tool in &request.tools {
        chars += tool.name.len()
            + tool.description.as_ref().map_or(0, String::len)
            + serde_json::to_string(&tool.parameters).map_or(0, |s| s.len());
    }
    if let Some(schema) = &request.output_schema {
        chars += serde_json::to_string(&schema.schema).map_or(0, |s| s.len());
    }
    let messages = request.messages.len() as u64 + u64::from(request.system.is_some());
    tokens_of_chars(chars) + 4 * messages + 3
}

/// A model call admitted into the budget: what was reserved for it, and
/// whether the budget lowered its `max_tokens`.
pub(crate) struct Meter {
    agent: &'static str,
    scope: Arc<Scope>,
    reservation: Option<Reservation>,
    estimated_input: u64,
    /// The answer tokens the request asked for.
    wanted: u64,
    /// The budget dimension that lowered `max_tokens`, if one did.
    clamped_by: Option<Dimension>,
    price: Option<Price>,
}

impl Meter {
    /// Fits `request` into `ctx`'s budget: sets its `max_tokens` and reserves
    /// the most it may use. `price` is the model's, `None` when unknown (a
    /// cost budget then cannot be enforced, and the call is refused).
    pub fn open(
        ctx: &AgentContext,
        request: &mut ChatRequest,
        price: Option<Price>,
        min_output_tokens: u32,
    ) -> Result<Meter, LlmError> {
        let scope = ctx.scope().clone();
        let wanted = u64::from(request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS));
        let estimated_input = estimate_input_tokens(request);
        let remaining = scope.remaining();
        let mut allowed = wanted;
        let mut clamped_by = None;
        if let Some(tokens) = remaining.tokens {
            let fits = tokens.saturating_sub(estimated_input);
            if fits < allowed {
                allowed = fits;
                clamped_by = Some(Dimension::Tokens);
            }
        }
        if let Some(cost) = remaining.cost_micros {
            let Some(price) = price else {
                return Err(LlmError::Unpriced {
                    model: request.model.clone(),
                });
            };
            let fits = price
                .output_tokens_for(cost.saturating_sub(price.estimate_micros(estimated_input, 0)));
            if fits < allowed {
                allowed = fits;
                clamped_by = Some(Dimension::Cost);
            }
        }
        let floor = u64::from(min_output_tokens).min(wanted).max(1);
        let allowed = allowed.max(floor);
        let cost = price.map_or(0, |p| p.estimate_micros(estimated_input, allowed));
        // When even the floor does not fit, this reservation is refused with
        // the limit and the use it would have made.
        let reservation = scope
            .reserve(Usage::model(estimated_input, allowed, cost))
            .map_err(LlmError::Budget)?;
        if clamped_by.is_some() {
            request.max_tokens = Some(u32::try_from(allowed).unwrap_or(u32::MAX));
        }
        Ok(Meter {
            agent: ctx.agent_name(),
            scope,
            reservation: Some(reservation),
            estimated_input,
            wanted,
            clamped_by,
            price,
        })
    }

    /// The estimate of the prompt's tokens, for providers that report none.
    pub fn estimated_input(&self) -> u64 {
        self.estimated_input
    }

    /// Charges the reported `usage` and `cost`. Fails, with everything
    /// charged all the same, when that took a budget past its limit, or when
    /// the budget cut the answer short.
    pub fn settle(
        mut self,
        usage: &TokenUsage,
        cost_micros: u64,
        finish: &FinishReason,
    ) -> Result<(), BudgetExceeded> {
        if let Some(reservation) = self.reservation.take() {
            crate::telemetry::record_token_usage(
                self.agent,
                usage.input_tokens,
                usage.output_tokens,
            );
            reservation.settle(Usage::model(
                usage.input_tokens,
                usage.output_tokens,
                cost_micros,
            ))?;
        }
        if *finish == FinishReason::Length
            && let Some(dimension) = self.clamped_by
        {
            let more = self.wanted.saturating_sub(usage.output_tokens).max(1);
            let amount = match dimension {
                Dimension::Cost => self.price.map_or(1, |p| p.estimate_micros(0, more).max(1)),
                _ => more,
            };
            return Err(self.scope.exceeded_by(dimension, amount));
        }
        Ok(())
    }
}
