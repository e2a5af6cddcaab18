//! Scripted models: [`Provider`]s that answer from a list or from a closure,
//! so that an LLM agent can be tested without a network or a key. They go
//! through [`Model`](crate::llm::Model) like any provider: every call is
//! fitted into the budget, charged with the usage they declare, and traced
//! as a `chat {model}` span.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use serde_json::Value;

use crate::llm::{
    CallOptions, ChatRequest, ChatResponse, FinishReason, Message, Part, Price, Provider,
    ProviderError, ProviderErrorKind, Role, TokenUsage, ToolCall, estimate_input_tokens,
    tokens_of_chars,
};

/// The provider name scripted models report (`gen_ai.provider.name`).
pub const SCRIPTED_PROVIDER: &str = "scripted";

/// The model name scripted models answer as, unless told otherwise.
pub const SCRIPTED_MODEL: &str = "scripted-model";

/// One answer of a scripted model: text, tool calls, or a failure, with the
/// usage it declares.
///
/// ```
/// use agentwire::testing::Reply;
/// use serde_json::json;
///
/// let replies = [
///     Reply::tool_call("word_count", json!({"text": "one two"})),
///     Reply::text("Two words.").with_usage(120, 3),
///     Reply::json(json!({"desk": "Billing"})),
/// ];
/// # let _ = replies;
/// ```
#[derive(Debug, Clone)]
pub struct Reply {
    text: String,
    calls: Vec<(String, Value)>,
    usage: Option<(u64, u64)>,
    cost_micros: Option<u64>,
    finish: Option<FinishReason>,
    error: Option<ProviderError>,
}

impl Reply {
    fn empty() -> Self {
        Reply {
            text: String::new(),
            calls: Vec::new(),
            usage: None,
            cost_micros: None,
            finish: None,
            error: None,
        }
    }

    /// An answer in text.
    pub fn text(text: impl Into<String>) -> Self {
        Reply {
            text: text.into(),
            ..Reply::empty()
        }
    }

    /// A structured answer: `value` as the JSON text a model gives when
    /// asked for an output schema ([`Model::structured`](crate::llm::Model::structured)
    /// wraps a type that is not an object as `{"value": ...}`).
    pub fn json(value: Value) -> Self {
        Reply::text(value.to_string())
    }

    /// An answer that calls the tool `name` with `arguments`.
    pub fn tool_call(name: impl Into<String>, arguments: Value) -> Self {
        Reply::empty().and_tool_call(name, arguments)
    }

    /// This answer with one more tool call.
    pub fn and_tool_call(mut self, name: impl Into<String>, arguments: Value) -> Self {
        self.calls.push((name.into(), arguments));
        self
    }

    /// A provider failure of `kind` (a rate limit, a server error...).
    pub fn error(kind: ProviderErrorKind, message: impl Into<String>) -> Self {
        Reply {
            error: Some(ProviderError::new(kind, message)),
            ..Reply::empty()
        }
    }

    /// The tokens this answer declares it used (otherwise: the prompt's size
    /// estimated at four characters a token, and the answer's the same way).
    pub fn with_usage(mut self, input_tokens: u64, output_tokens: u64) -> Self {
        self.usage = Some((input_tokens, output_tokens));
        self
    }

    /// The cost this answer declares, in micro-USD (otherwise the price of
    /// the model, if it has one, gives it).
    pub fn with_cost_micros(mut self, cost_micros: u64) -> Self {
        self.cost_micros = Some(cost_micros);
        self
    }

    /// Why the answer ended (otherwise `tool_calls` with calls, else `stop`).
    pub fn with_finish(mut self, finish: FinishReason) -> Self {
        self.finish = Some(finish);
        self
    }

    /// The response a provider would give to `request` with this answer.
    fn respond(self, request: &ChatRequest, number: usize) -> Result<ChatResponse, ProviderError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let mut parts = Vec::new();
        if !self.text.is_empty() {
            parts.push(Part::Text {
                text: self.text.clone(),
            });
        }
        for (index, (name, arguments)) in self.calls.iter().enumerate() {
            parts.push(Part::ToolCall(ToolCall {
                id: format!("call_{number}_{index}"),
                name: name.clone(),
                arguments: arguments.clone(),
            }));
        }
        let written: usize = self.text.len()
            + self
                .calls
                .iter()
                .map(|(name, arguments)| name.len() + arguments.to_string().len())
                .sum::<usize>();
        let (input_tokens, output_tokens, estimated) = match self.usage {
            Some((input, output)) => (input, output, false),
            None => (
                estimate_input_tokens(request),
                tokens_of_chars(written).max(1),
                true,
            ),
        };
        let finish_reason = self.finish.unwrap_or(if self.calls.is_empty() {
            FinishReason::Stop
        } else {
            FinishReason::ToolCalls
        });
        Ok(ChatResponse {
            model: request.model.clone(),
            id: Some(format!("scripted-{number}")),
            message: Message {
                role: Role::Assistant,
                parts,
            },
            finish_reason,
            usage: TokenUsage {
                input_tokens,
                output_tokens,
                reported_cost_micros: self.cost_micros,
                estimated,
                ..TokenUsage::default()
            },
        })
    }
}

impl From<&str> for Reply {
    fn from(text: &str) -> Self {
        Reply::text(text)
    }
}

impl From<String> for Reply {
    fn from(text: String) -> Self {
        Reply::text(text)
    }
}

/// What both scripted models keep besides their answers: the requests they
/// were sent (shared by clones), the name they answer as and their price.
#[derive(Debug, Clone)]
struct Script {
    requests: Arc<Mutex<Vec<ChatRequest>>>,
    model: String,
    price: Option<Price>,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            requests: Arc::default(),
            model: SCRIPTED_MODEL.to_owned(),
            price: Some(Price::FREE),
        }
    }
}

impl Script {
    /// Records `request`; its number, from 1.
    fn record(&self, request: &ChatRequest) -> usize {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        requests.push(request.clone());
        requests.len()
    }
}

/// The builder methods and [`TestModel`] of a scripted model type (a
/// struct with a `script: Script` field).
macro_rules! scripted_model {
    ($model:ident) => {
        impl $model {
            /// The model answers as `model` (default [`SCRIPTED_MODEL`]).
            pub fn named(mut self, model: impl Into<String>) -> Self {
                self.script.model = model.into();
                self
            }

            /// The model's price, which cost budgets are enforced with
            /// (default free; `None` makes it unpriced, so a cost budget
            /// refuses it).
            pub fn with_price(mut self, price: impl Into<Option<Price>>) -> Self {
                self.script.price = price.into();
                self
            }

            /// Every request the model was sent, in order, as the provider
            /// saw it (`max_tokens` already fitted to the budget).
            pub fn requests(&self) -> Vec<ChatRequest> {
                self.script
                    .requests
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone()
            }
        }

        impl TestModel for $model {
            fn model_name(&self) -> String {
                self.script.model.clone()
            }
            fn price(&self) -> Option<Price> {
                self.script.price
            }
        }
    };
}

scripted_model!(ScriptedModel);
scripted_model!(FunctionModel);

/// A model that answers each request with the next [`Reply`] of a list,
/// and fails (a clear provider error) once the list is used up.
///
/// Give it to [`TestServer::builder`](super::TestServer::builder) with
/// [`model`](super::TestServerBuilder::model): agents' `ctx.model()` then
/// answers with it, charged and traced as any provider. Clones share the
/// list and the record of requests.
///
/// ```
/// use agentwire::testing::{Reply, ScriptedModel};
///
/// let model = ScriptedModel::new(["Hello!", "Goodbye!"]);
/// assert_eq!(model.requests().len(), 0);
/// let model = ScriptedModel::new([Reply::text("Priced.").with_usage(10, 2)])
///     .with_price(agentwire::llm::Price::per_million(1_000_000, 2_000_000));
/// # let _ = model;
/// ```
#[derive(Debug, Clone)]
pub struct ScriptedModel {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    script: Script,
}

impl ScriptedModel {
    /// A model that answers with `replies`, in order.
    pub fn new<R: Into<Reply>>(replies: impl IntoIterator<Item = R>) -> Self {
        ScriptedModel {
            replies: Arc::new(Mutex::new(replies.into_iter().map(Into::into).collect())),
            script: Script::default(),
        }
    }

    /// How many replies are left.
    pub fn remaining(&self) -> usize {
        self.replies.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Provider for ScriptedModel {
    fn name(&self) -> &str {
        SCRIPTED_PROVIDER
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
        _options: &'a CallOptions,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        let number = self.script.record(request);
        let reply = self
            .replies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        Box::pin(async move {
            match reply {
                Some(reply) => reply.respond(request, number),
                None => Err(ProviderError::new(
                    ProviderErrorKind::Request,
                    format!(
                        "the scripted model has no reply left for request {number} \
                         (it was given {} replies)",
                        number - 1
                    ),
                )),
            }
        })
    }
}

type Answer = dyn Fn(&ChatRequest) -> Reply + Send + Sync;

/// A model whose answers come from a closure that sees the whole request
/// (system prompt, messages, tool results, tools offered, output schema).
///
/// ```
/// use agentwire::testing::{FunctionModel, Reply};
///
/// let model = FunctionModel::new(|request| {
///     let question = request.messages.last().map(|m| m.text()).unwrap_or_default();
///     Reply::text(format!("You asked: {question}"))
/// });
/// # let _ = model;
/// ```
#[derive(Clone)]
pub struct FunctionModel {
    answer: Arc<Answer>,
    script: Script,
}

impl std::fmt::Debug for FunctionModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionModel")
            .field("model", &self.script.model)
            .finish_non_exhaustive()
    }
}

impl FunctionModel {
    /// A model that answers each request with `answer(request)`.
    pub fn new(answer: impl Fn(&ChatRequest) -> Reply + Send + Sync + 'static) -> Self {
        FunctionModel {
            answer: Arc::new(answer),
            script: Script::default(),
        }
    }
}

impl Provider for FunctionModel {
    fn name(&self) -> &str {
        SCRIPTED_PROVIDER
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
        _options: &'a CallOptions,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        let number = self.script.record(request);
        let reply = (self.answer)(request);
        Box::pin(async move { reply.respond(request, number) })
    }
}

/// A model a [`TestServer`](super::TestServer) can serve as the default
/// model: a [`Provider`] that knows the name it answers as and its price.
/// [`ScriptedModel`] and [`FunctionModel`] are two; implement it to test
/// with a provider of your own.
pub trait TestModel: Provider + Clone {
    /// The model's name (`gen_ai.request.model`).
    fn model_name(&self) -> String;
    /// The model's price, `None` when unknown.
    fn price(&self) -> Option<Price>;
}
