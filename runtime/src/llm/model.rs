//! [`Model`]: a model bound to the running agent, so that every call it
//! makes is fitted into the agent's budget, charged with the usage its
//! provider reports, traced, and cut off with the agent.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use tracing::{Instrument, Span};

use crate::agent::context::AgentContext;
use crate::telemetry::ErrorType;

use super::agent_loop::AgentLoop;
use super::message::{ChatRequest, ChatResponse, FinishReason, TokenUsage};
use super::metering::{Meter, tokens_of_chars};
use super::models::{Models, ProviderEntry};
use super::pricing::Price;
use super::provider::{CallOptions, EventStream, Provider, ProviderError, StreamEvent};
use super::sampling::McpSampling;
use super::{LlmError, span};

/// A model the running agent may call: the configured one from
/// [`AgentContext::model`], or any [`Provider`] with [`Model::new`].
///
/// ```no_run
/// use agentwire::prelude::*;
/// use agentwire::llm::LlmError;
///
/// /// Answers a question in one sentence.
/// #[agent]
/// async fn answer(ctx: &AgentContext, question: String) -> Result<String, LlmError> {
///     ctx.model()?.ask(question).await
/// }
/// # fn main() {}
/// ```
///
/// Cloning is cheap.
#[derive(Clone)]
pub struct Model {
    ctx: AgentContext,
    provider: Arc<dyn Provider>,
    model: String,
    max_tokens: Option<u32>,
    price: Option<Price>,
    max_turns: u32,
    min_output_tokens: u32,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("provider", &self.provider.name())
            .field("model", &self.model)
            .field("price", &self.price)
            .finish_non_exhaustive()
    }
}

impl AgentContext {
    /// The default model of this server (`[llm]` in `agentwire.toml`, or the
    /// `OPENAI_*` / `ANTHROPIC_*` environment variables), bound to this
    /// agent's budget.
    pub fn model(&self) -> Result<Model, LlmError> {
        Model::configured(self, None)
    }

    /// The model configured as `[llm.models.NAME]`, bound to this agent's
    /// budget.
    pub fn model_named(&self, name: &str) -> Result<Model, LlmError> {
        Model::configured(self, Some(name))
    }
}

impl Model {
    /// `model` at `provider`, bound to `ctx`'s budget, priced from the
    /// server's price table.
    pub fn new(ctx: &AgentContext, provider: Arc<dyn Provider>, model: impl Into<String>) -> Self {
        let models = Models::of(ctx);
        let model = model.into();
        Model {
            ctx: ctx.clone(),
            price: models.price(&model),
            provider,
            model,
            max_tokens: None,
            max_turns: models.max_turns,
            min_output_tokens: models.min_output_tokens,
        }
    }

    fn configured(ctx: &AgentContext, name: Option<&str>) -> Result<Self, LlmError> {
        let spec = Models::of(ctx).model(name)?;
        let (provider, sampling): (Arc<dyn Provider>, bool) = match spec.provider {
            ProviderEntry::Http(provider) => (provider, false),
            ProviderEntry::Sampling => {
                let channel = ctx.client().ok_or_else(|| {
                    LlmError::Config(
                        "the `sampling` provider asks the MCP client's model, and this call has \
                         no MCP client (it was run from the command line)"
                            .to_owned(),
                    )
                })?;
                (Arc::new(McpSampling::for_request(channel.clone())), true)
            }
            ProviderEntry::Broken(problem) => return Err(LlmError::Config(problem)),
        };
        let mut model = Model::new(ctx, provider, spec.model);
        model.max_tokens = spec.max_tokens;
        if sampling && model.price.is_none() {
            // The client runs and pays for its own model.
            model.price = Some(Price::FREE);
        }
        Ok(model)
    }

    /// The model's name at its provider.
    pub fn name(&self) -> &str {
        &self.model
    }

    /// The provider's name (`gen_ai.provider.name`).
    pub fn provider_name(&self) -> &str {
        self.provider.name()
    }

    /// The agent context whose budget this model's calls are charged to.
    pub fn context(&self) -> &AgentContext {
        &self.ctx
    }

    /// The same provider with another model (priced from the table).
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self.price = Models::of(&self.ctx).price(&self.model);
        self
    }

    /// This model priced at `price` (micro-USD per million tokens).
    pub fn with_price(mut self, price: Price) -> Self {
        self.price = Some(price);
        self
    }

    /// This model answering with at most `max_tokens` tokens unless a
    /// request says otherwise.
    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// The price per million tokens, when known.
    pub fn price(&self) -> Option<Price> {
        self.price
    }

    pub(crate) fn max_turns(&self) -> u32 {
        self.max_turns
    }

    fn prepare(&self, mut request: ChatRequest) -> ChatRequest {
        request.model.clone_from(&self.model);
        if request.max_tokens.is_none() {
            request.max_tokens = self.max_tokens;
        }
        request
    }

    /// What a call cost: the provider's own figure when it gives one, else
    /// the price table's (nothing when the price is unknown and no cost
    /// budget applies).
    fn cost(&self, usage: &TokenUsage) -> u64 {
        usage
            .reported_cost_micros
            .unwrap_or_else(|| self.price.map_or(0, |p| p.cost_micros(usage)))
    }

    fn provider_error(&self, error: ProviderError) -> LlmError {
        let model = if self.model.is_empty() {
            "(the client's choice)".to_owned()
        } else {
            self.model.clone()
        };
        LlmError::Provider {
            provider: self.provider.name().to_owned(),
            model,
            error,
        }
    }

    /// Sends `request` and returns the whole answer, charged to the budget.
    ///
    /// Before the call its `max_tokens` is lowered to what the token and cost
    /// budgets leave, or it is refused with [`LlmError::Budget`]; after it,
    /// the usage the provider reported is charged. See docs/llm.md.
    pub async fn complete(
        &self,
        request: impl Into<ChatRequest>,
    ) -> Result<ChatResponse, LlmError> {
        let mut request = self.prepare(request.into());
        let meter = Meter::open(&self.ctx, &mut request, self.price, self.min_output_tokens)?;
        let span = span::chat_span(self.provider.name(), &request);
        let options = CallOptions::with_deadline(self.ctx.scope().deadline());
        let result = self
            .provider
            .complete(&request, &options)
            .instrument(span.clone())
            .await;
        let mut response = match result {
            Ok(response) => response,
            Err(error) => {
                span::record_error(&span, error_type(&error));
                use super::provider::ProviderErrorKind as K;
                if matches!(error.kind, K::Malformed | K::TooLarge) {
                    // The provider answered (and bills) but the answer could
                    // not be read: the prompt's estimate is charged.
                    let usage = TokenUsage {
                        input_tokens: meter.estimated_input(),
                        estimated: true,
                        ..TokenUsage::default()
                    };
                    let cost = self.cost(&usage);
                    let _ = meter.settle(&usage, cost, &FinishReason::Other("malformed".into()));
                }
                return Err(self.provider_error(error));
            }
        };
        let answer_chars = response.text().len();
        fill_estimate(&mut response.usage, meter.estimated_input(), answer_chars);
        self.settle(meter, &span, &response)?;
        Ok(response)
    }

    fn settle(&self, meter: Meter, span: &Span, response: &ChatResponse) -> Result<(), LlmError> {
        let cost = self.cost(&response.usage);
        span::record_response(span, response, cost);
        tracing::debug!(
            parent: span,
            model = %self.model,
            input_tokens = response.usage.input_tokens,
            output_tokens = response.usage.output_tokens,
            cost_micros = cost,
            finish = response.finish_reason.as_str(),
            "model call finished"
        );
        meter
            .settle(&response.usage, cost, &response.finish_reason)
            .map_err(|exceeded| {
                span::record_error(span, ErrorType::BudgetExceeded);
                LlmError::Budget(exceeded)
            })
    }

    /// Sends `request` and streams the answer. The usage is charged when the
    /// stream ends; a stream dropped early is charged an estimate of what
    /// it used (the prompt, and the answer so far at four characters a
    /// token).
    pub async fn stream(&self, request: impl Into<ChatRequest>) -> Result<ModelStream, LlmError> {
        let mut request = self.prepare(request.into());
        let meter = Meter::open(&self.ctx, &mut request, self.price, self.min_output_tokens)?;
        let span = span::chat_span(self.provider.name(), &request);
        let options = CallOptions::with_deadline(self.ctx.scope().deadline());
        let events = self
            .provider
            .stream(&request, &options)
            .instrument(span.clone())
            .await;
        match events {
            Ok(events) => Ok(ModelStream {
                model: self.clone(),
                events,
                meter: Some(meter),
                span,
                streamed_chars: 0,
            }),
            Err(error) => {
                span::record_error(&span, error_type(&error));
                Err(self.provider_error(error))
            }
        }
    }

    /// Asks one question (a user message) and returns the answer's text.
    pub async fn ask(&self, prompt: impl Into<String>) -> Result<String, LlmError> {
        Ok(self.complete(ChatRequest::new().user(prompt)).await?.text())
    }

    /// Has the model answer with a `T`: the request asks for JSON following
    /// `T`'s JSON Schema, and an answer that does not parse is sent back once
    /// with the error for the model to correct.
    ///
    /// ```no_run
    /// # use agentwire::prelude::*;
    /// # use agentwire::llm::{ChatRequest, LlmError};
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Verdict { positive: bool, reason: String }
    ///
    /// # async fn judge(ctx: &AgentContext) -> Result<(), LlmError> {
    /// let verdict: Verdict = ctx.model()?.structured("Is 'great film!' positive?").await?;
    /// # Ok(()) }
    /// ```
    pub async fn structured<T: DeserializeOwned + JsonSchema>(
        &self,
        request: impl Into<ChatRequest>,
    ) -> Result<T, LlmError> {
        self.agent_loop()
            .max_turns(2)
            .run_structured(request)
            .await
            .map(|(value, _)| value)
    }

    /// An agent loop on this model: it may call tools (agents, MCP servers'
    /// tools) until it answers. See [`AgentLoop`].
    pub fn agent_loop(&self) -> AgentLoop {
        AgentLoop::new(self.clone())
    }
}

/// Providers that report no usage get an estimate: the prompt's, and four
/// characters a token of the answer.
fn fill_estimate(usage: &mut TokenUsage, estimated_input: u64, answer_chars: usize) {
    if usage.estimated && usage.input_tokens == 0 && usage.output_tokens == 0 {
        usage.input_tokens = estimated_input;
        usage.output_tokens = tokens_of_chars(answer_chars);
    }
}

fn error_type(error: &ProviderError) -> ErrorType {
    use super::provider::ProviderErrorKind as K;
    match error.kind {
        K::RateLimited => ErrorType::RateLimited,
        K::Server => ErrorType::ServerError,
        K::Timeout => ErrorType::Timeout,
        K::Connection => ErrorType::Connection,
        K::Malformed | K::TooLarge => ErrorType::MalformedResponse,
        K::Auth => ErrorType::Auth,
        K::Request => ErrorType::InvalidRequest,
        K::Unsupported => ErrorType::Unsupported,
        _ => ErrorType::Stream,
    }
}

/// A streamed answer (see [`Model::stream`]): [`StreamEvent`]s, the last
/// one [`StreamEvent::Done`] with the whole answer, charged to the budget.
pub struct ModelStream {
    model: Model,
    events: EventStream,
    meter: Option<Meter>,
    span: Span,
    streamed_chars: usize,
}

impl ModelStream {
    /// Charges an estimate for a stream that did not finish.
    fn settle_estimate(&mut self) {
        if let Some(meter) = self.meter.take() {
            let usage = TokenUsage {
                input_tokens: meter.estimated_input(),
                output_tokens: tokens_of_chars(self.streamed_chars),
                estimated: true,
                ..TokenUsage::default()
            };
            let cost = self.model.cost(&usage);
            span::record_error(&self.span, ErrorType::StreamIncomplete);
            let _ = meter.settle(&usage, cost, &FinishReason::Other("incomplete".into()));
        }
    }
}

impl Stream for ModelStream {
    type Item = Result<StreamEvent, LlmError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.meter.is_none() {
            return Poll::Ready(None);
        }
        let entered = this.span.clone();
        let _guard = entered.enter();
        match this.events.as_mut().poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(StreamEvent::Done(mut response)))) => {
                let meter = this.meter.take().expect("checked above");
                let answer_chars = response.text().len();
                fill_estimate(&mut response.usage, meter.estimated_input(), answer_chars);
                match this.model.settle(meter, &this.span, &response) {
                    Ok(()) => Poll::Ready(Some(Ok(StreamEvent::Done(response)))),
                    Err(error) => Poll::Ready(Some(Err(error))),
                }
            }
            Poll::Ready(Some(Ok(event))) => {
                match &event {
                    StreamEvent::Text(text) => this.streamed_chars += text.len(),
                    StreamEvent::ToolCallArguments { delta, .. } => {
                        this.streamed_chars += delta.len();
                    }
                    _ => {}
                }
                Poll::Ready(Some(Ok(event)))
            }
            Poll::Ready(Some(Err(error))) => {
                let kind = error_type(&error);
                this.settle_estimate();
                span::record_error(&this.span, kind);
                Poll::Ready(Some(Err(this.model.provider_error(error))))
            }
            Poll::Ready(None) => {
                this.settle_estimate();
                let error = ProviderError::new(
                    super::provider::ProviderErrorKind::Stream,
                    "the stream ended without its final event",
                );
                Poll::Ready(Some(Err(this.model.provider_error(error))))
            }
        }
    }
}

impl Drop for ModelStream {
    fn drop(&mut self) {
        self.settle_estimate();
    }
}
