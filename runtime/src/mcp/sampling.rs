//! Sampling: asking the client's model for a completion
//! (`sampling/createMessage`), so an agent can think with the model its
//! user already chose, without keys of its own.
//!
//! ```
//! use agentwire::prelude::*;
//!
//! /// Names a cat.
//! #[agent]
//! async fn name_a_cat(ctx: &AgentContext) -> Result<String, ClientRequestError> {
//!     let answer = ctx
//!         .sample(SamplingRequest::new("One name for a grey cat, please.").max_tokens(20))
//!         .await?;
//!     Ok(answer.text())
//! }
//! # fn main() {}
//! ```

#![allow(deprecated)] // Sampling is deprecated by SEP-2577, still in both eras.

use rmcp::model::{
    ContentBlock, CreateMessageRequestParams, CreateMessageResult, ModelHint, ModelPreferences,
    SamplingMessage, SamplingMessageContentBlock,
};

use crate::mcp::channel::ClientChannel;
use crate::mcp::client_request::{ClientRequestError, Question, ask};
use crate::mcp::content::Content;
use crate::mcp::message::{PromptMessage, Role};

/// What to ask the client's model.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingRequest {
    messages: Vec<PromptMessage>,
    system_prompt: Option<String>,
    max_tokens: u32,
    temperature: Option<f32>,
    stop_sequences: Vec<String>,
    model_hints: Vec<String>,
    cost_priority: Option<f32>,
    speed_priority: Option<f32>,
    intelligence_priority: Option<f32>,
}

impl SamplingRequest {
    /// The number of tokens asked for unless [`max_tokens`](Self::max_tokens) says otherwise.
    pub const DEFAULT_MAX_TOKENS: u32 = 1000;

    /// A conversation of one user message.
    pub fn new(prompt: impl Into<Content>) -> Self {
        SamplingRequest {
            messages: vec![PromptMessage::user(prompt)],
            system_prompt: None,
            max_tokens: Self::DEFAULT_MAX_TOKENS,
            temperature: None,
            stop_sequences: Vec::new(),
            model_hints: Vec::new(),
            cost_priority: None,
            speed_priority: None,
            intelligence_priority: None,
        }
    }

    /// Adds a message to the conversation.
    pub fn message(mut self, message: PromptMessage) -> Self {
        self.messages.push(message);
        self
    }

    /// The system prompt; the client may change or ignore it.
    pub fn system_prompt(mut self, text: impl Into<String>) -> Self {
        self.system_prompt = Some(text.into());
        self
    }

    /// At most this many tokens in the answer.
    pub fn max_tokens(mut self, tokens: u32) -> Self {
        self.max_tokens = tokens;
        self
    }

    /// The sampling temperature.
    pub fn temperature(mut self, temperature: f32) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Stops the answer at this text.
    pub fn stop_sequence(mut self, text: impl Into<String>) -> Self {
        self.stop_sequences.push(text.into());
        self
    }

    /// Suggests a model by (part of) its name, in order of preference.
    pub fn model_hint(mut self, name: impl Into<String>) -> Self {
        self.model_hints.push(name.into());
        self
    }

    /// How much cost, speed and intelligence matter, each from 0 to 1.
    pub fn priorities(mut self, cost: f32, speed: f32, intelligence: f32) -> Self {
        self.cost_priority = Some(cost);
        self.speed_priority = Some(speed);
        self.intelligence_priority = Some(intelligence);
        self
    }

    fn into_rmcp(self) -> Result<CreateMessageRequestParams, ClientRequestError> {
        let messages = self
            .messages
            .into_iter()
            .map(|message| {
                let block = SamplingMessageContentBlock::try_from(message.content.0)
                    .map_err(|why| ClientRequestError::InvalidRequest(why.to_owned()))?;
                Ok(SamplingMessage::new(message.role.to_rmcp(), block))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut params = CreateMessageRequestParams::new(messages, self.max_tokens);
        params.system_prompt = self.system_prompt;
        params.temperature = self.temperature;
        params.stop_sequences = (!self.stop_sequences.is_empty()).then_some(self.stop_sequences);
        let wants_preferences = !self.model_hints.is_empty()
            || self.cost_priority.is_some()
            || self.speed_priority.is_some()
            || self.intelligence_priority.is_some();
        if wants_preferences {
            let mut preferences = ModelPreferences::new();
            if !self.model_hints.is_empty() {
                preferences.hints =
                    Some(self.model_hints.into_iter().map(ModelHint::new).collect());
            }
            preferences.cost_priority = self.cost_priority;
            preferences.speed_priority = self.speed_priority;
            preferences.intelligence_priority = self.intelligence_priority;
            params.model_preferences = Some(preferences);
        }
        Ok(params)
    }
}

impl From<&str> for SamplingRequest {
    fn from(prompt: &str) -> Self {
        SamplingRequest::new(prompt)
    }
}

impl From<String> for SamplingRequest {
    fn from(prompt: String) -> Self {
        SamplingRequest::new(prompt)
    }
}

/// The model's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Sampled {
    /// What the model said.
    pub content: Vec<Content>,
    /// Who said it: normally the assistant.
    pub role: Role,
    /// The model the client used.
    pub model: String,
    /// Why the model stopped (`endTurn`, `maxTokens`, ...), when the client says.
    pub stop_reason: Option<String>,
}

impl Sampled {
    /// The text of the answer, its text pieces joined.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(Content::as_text)
            .collect::<Vec<_>>()
            .join("")
    }

    fn from_rmcp(result: CreateMessageResult) -> Self {
        let content = result
            .message
            .content
            .into_vec()
            .into_iter()
            .map(|block| {
                Content(match block {
                    SamplingMessageContentBlock::Text(text) => ContentBlock::Text(text),
                    SamplingMessageContentBlock::Image(image) => ContentBlock::Image(image),
                    SamplingMessageContentBlock::Audio(audio) => ContentBlock::Audio(audio),
                    // Tool use only happens when the request offers tools,
                    // which this API does not; keep it readable anyway.
                    other => ContentBlock::text(serde_json::to_string(&other).unwrap_or_default()),
                })
            })
            .collect();
        Sampled {
            content,
            role: Role::from_rmcp(&result.message.role),
            model: result.model,
            stop_reason: result.stop_reason,
        }
    }
}

/// Asks the client's model to continue the conversation in `request` (what
/// [`AgentContext::sample`](crate::AgentContext::sample) does).
pub(crate) async fn sample(
    client: Option<&ClientChannel>,
    key: Option<&str>,
    request: SamplingRequest,
) -> Result<Sampled, ClientRequestError> {
    let params = request.into_rmcp()?;
    let answer = ask(client, key, Question::Sample(params)).await?;
    let result: CreateMessageResult = serde_json::from_value(answer)
        .map_err(|e| ClientRequestError::InvalidAnswer(e.to_string()))?;
    Ok(Sampled::from_rmcp(result))
}
