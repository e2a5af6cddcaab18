//! MCP sampling: the model of the MCP client that called this agent,
//! reached with `sampling/createMessage` (tools included, SEP-1577).
//!
//! This works with clients that declare the `sampling` capability, in both
//! eras. In a 2025-11-25 session the request goes to the client directly.
//! MCP 2026-07-28 forbids server-to-client requests: there, a model call
//! made for a request ([`Model`](super::Model) from an agent's context)
//! becomes an input-required result the client answers, and the agent is
//! replayed with the answer, as [`AgentContext::sample`](crate::AgentContext::sample)
//! does (see docs/protocol.md). A provider built from a bare `Peer` has no
//! request to ride on, so it refuses 2026-07-28 clients, saying so.
//!
//! Sampling results carry no usage, so the budget is charged an estimate
//! (four characters a token) and the cost is the price table's for the
//! model the client names, or nothing: the client pays for its own model.

#![allow(deprecated)] // Sampling is deprecated by SEP-2577, still part of 2025-11-25.

use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;
use rmcp::model::{
    ContentBlock, CreateMessageRequest, CreateMessageRequestParams, CreateMessageResult,
    InputRequest, JsonObject, ModelHint, ModelPreferences, Role as McpRole, SamplingMessage,
    SamplingMessageContentBlock, Tool, ToolChoice as McpToolChoice, ToolResultContent,
};
use rmcp::service::{Peer, RoleServer};
use serde_json::Value;

use super::DEFAULT_MAX_TOKENS;
use super::message::{
    ChatRequest, ChatResponse, FinishReason, Message, Part, Role, TokenUsage, ToolCall, ToolChoice,
};
use super::provider::{CallOptions, Provider, ProviderError, ProviderErrorKind};
use crate::mcp::channel::ClientChannel;
use crate::mcp::round_trip::RoundTrip;

/// The MCP client's model, through `sampling/createMessage`.
#[derive(Clone)]
pub struct McpSampling {
    peer: Peer<RoleServer>,
    stateless: bool,
    /// The request this provider serves, when built for one: in the
    /// 2026-07-28 era its round trip carries the question.
    channel: Option<ClientChannel>,
}

impl McpSampling {
    /// Sampling through the client at the other end of `peer`.
    pub fn new(peer: Peer<RoleServer>) -> Self {
        McpSampling {
            peer,
            stateless: false,
            channel: None,
        }
    }

    /// Sampling for the request `channel` belongs to: in both eras, through
    /// the request's round trip in 2026-07-28.
    pub(crate) fn for_request(channel: ClientChannel) -> Self {
        McpSampling {
            peer: channel.peer.clone(),
            stateless: false,
            channel: Some(channel),
        }
    }

    /// Whether the client takes tools in sampling requests.
    fn supports_tools(&self) -> bool {
        match &self.channel {
            Some(channel) if channel.round_trip.is_some() => channel
                .capabilities
                .as_ref()
                .and_then(|c| c.sampling.as_ref())
                .is_some_and(|s| s.tools.is_some()),
            _ => self.peer.supports_sampling_tools(),
        }
    }

    /// Sampling for a request of MCP 2026-07-28 or later, where servers may
    /// not send requests to clients: every call fails, saying so.
    pub fn stateless(mut self) -> Self {
        self.stateless = true;
        self
    }

    fn params(&self, request: &ChatRequest) -> Result<CreateMessageRequestParams, ProviderError> {
        let messages = request
            .messages
            .iter()
            .map(sampling_message)
            .collect::<Vec<_>>();
        let max_tokens = request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
        let mut params = CreateMessageRequestParams::new(messages, max_tokens);
        let mut system = request.system.clone().unwrap_or_default();
        if let Some(schema) = &request.output_schema {
            if !system.is_empty() {
                system.push_str("\n\n");
            }
            system.push_str(&format!(
                "Answer with one JSON object and nothing else. It must follow this JSON Schema:\n{}",
                Value::Object(schema.schema.clone())
            ));
        }
        if !system.is_empty() {
            params.system_prompt = Some(system);
        }
        if !request.model.is_empty() {
            params.model_preferences =
                Some(ModelPreferences::new().with_hints(vec![ModelHint::new(&request.model)]));
        }
        params.temperature = request.temperature;
        if !request.stop.is_empty() {
            params.stop_sequences = Some(request.stop.clone());
        }
        if !request.tools.is_empty() {
            if !self.supports_tools() {
                return Err(ProviderError::new(
                    ProviderErrorKind::Unsupported,
                    "the MCP client cannot take tools in sampling requests (it does not declare \
                     the `sampling.tools` capability)",
                ));
            }
            let tools = request
                .tools
                .iter()
                .map(|tool| {
                    Tool::new_with_raw(
                        tool.name.clone(),
                        tool.description.clone().map(Into::into),
                        Arc::new(tool.parameters.clone()),
                    )
                })
                .collect();
            params.tools = Some(tools);
            params.tool_choice = Some(match request.tool_choice {
                ToolChoice::Auto => McpToolChoice::auto(),
                ToolChoice::None => McpToolChoice::none(),
                // MCP cannot name one tool: the model must call some tool.
                ToolChoice::Required | ToolChoice::Tool(_) => McpToolChoice::required(),
            });
        }
        Ok(params)
    }
}

fn sampling_message(message: &Message) -> SamplingMessage {
    let role = match message.role {
        Role::User => McpRole::User,
        Role::Assistant => McpRole::Assistant,
    };
    let blocks = message
        .parts
        .iter()
        .map(|part| match part {
            Part::Text { text } => SamplingMessageContentBlock::text(text.clone()),
            Part::ToolCall(call) => {
                let input: JsonObject = match &call.arguments {
                    Value::Object(object) => object.clone(),
                    other => rmcp::model::object(serde_json::json!({"_raw": other})),
                };
                SamplingMessageContentBlock::tool_use(call.id.clone(), call.name.clone(), input)
            }
            Part::ToolResult(result) => {
                let content = vec![ContentBlock::text(result.content.clone())];
                SamplingMessageContentBlock::ToolResult(if result.is_error {
                    ToolResultContent::error(result.call_id.clone(), content)
                } else {
                    ToolResultContent::new(result.call_id.clone(), content)
                })
            }
        })
        .collect();
    SamplingMessage::new_multiple(role, blocks)
}

fn response(result: CreateMessageResult) -> ChatResponse {
    let mut parts = Vec::new();
    for block in result.message.content.into_vec() {
        match block {
            SamplingMessageContentBlock::Text(text) => parts.push(Part::Text { text: text.text }),
            SamplingMessageContentBlock::ToolUse(call) => parts.push(Part::ToolCall(ToolCall {
                id: call.id,
                name: call.name,
                arguments: Value::Object(call.input),
            })),
            _ => {}
        }
    }
    let finish_reason = match result.stop_reason.as_deref() {
        Some(CreateMessageResult::STOP_REASON_END_MAX_TOKEN) => FinishReason::Length,
        Some(CreateMessageResult::STOP_REASON_TOOL_USE) => FinishReason::ToolCalls,
        Some(CreateMessageResult::STOP_REASON_END_TURN)
        | Some(CreateMessageResult::STOP_REASON_END_SEQUENCE)
        | None => FinishReason::Stop,
        Some(other) => FinishReason::Other(other.to_owned()),
    };
    ChatResponse {
        model: result.model,
        id: None,
        message: Message {
            role: Role::Assistant,
            parts,
        },
        finish_reason,
        // Sampling reports no usage: `Model` charges an estimate.
        usage: TokenUsage {
            estimated: true,
            ..TokenUsage::default()
        },
    }
}

impl McpSampling {
    /// A 2026-07-28 request: the question goes to the client as an
    /// input-required result; on the retry, the recorded answer comes back.
    async fn complete_in_rounds(
        &self,
        round_trip: &RoundTrip,
        request: &ChatRequest,
    ) -> Result<ChatResponse, ProviderError> {
        let declared = self
            .channel
            .as_ref()
            .and_then(|c| c.capabilities.as_ref())
            .is_some_and(|c| c.sampling.is_some());
        if !declared {
            return Err(ProviderError::new(
                ProviderErrorKind::Unsupported,
                "the MCP client does not offer sampling (it does not declare the `sampling` \
                 capability)",
            ));
        }
        let params = self.params(request)?;
        let question = InputRequest::CreateMessage(CreateMessageRequest::new(params));
        let answer = round_trip.ask(None, question).await.map_err(|error| {
            ProviderError::new(
                ProviderErrorKind::Request,
                format!("the MCP client's answer cannot be used: {error}"),
            )
        })?;
        let result: CreateMessageResult = serde_json::from_value(answer).map_err(|error| {
            ProviderError::new(
                ProviderErrorKind::Request,
                format!("the MCP client's sampling answer is malformed: {error}"),
            )
        })?;
        Ok(response(result))
    }
}

impl Provider for McpSampling {
    fn name(&self) -> &str {
        "mcp.sampling"
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
        options: &'a CallOptions,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(async move {
            if let Some(round_trip) = self.channel.as_ref().and_then(|c| c.round_trip.as_ref()) {
                return self.complete_in_rounds(round_trip, request).await;
            }
            let client = self.peer.peer_info().filter(|_| !self.stateless);
            let Some(client) = client else {
                return Err(ProviderError::new(
                    ProviderErrorKind::Unsupported,
                    "MCP sampling needs a 2025-11-25 session; this client speaks MCP 2026-07-28, \
                     where a server asks for sampling with an input-required result instead",
                ));
            };
            if client.capabilities.sampling.is_none() {
                return Err(ProviderError::new(
                    ProviderErrorKind::Unsupported,
                    "the MCP client does not offer sampling (it does not declare the `sampling` \
                     capability)",
                ));
            }
            let params = self.params(request)?;
            let call = self.peer.create_message(params);
            let result = match options.deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    tokio::time::timeout(left, call).await.map_err(|_| {
                        ProviderError::new(
                            ProviderErrorKind::Timeout,
                            "the MCP client did not answer the sampling request in time",
                        )
                    })?
                }
                None => call.await,
            };
            let result = result.map_err(|error| {
                ProviderError::new(
                    ProviderErrorKind::Request,
                    format!("the MCP client refused the sampling request: {error}"),
                )
            })?;
            Ok(response(result))
        })
    }
}
