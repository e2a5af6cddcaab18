//! MCP sampling: the model of the MCP client that called this agent,
//! reached with `sampling/createMessage` (tools included, SEP-1577).
//!
//! This works with clients in a 2025-11-25 session that declare the
//! `sampling` capability. MCP 2026-07-28 forbids server-to-client requests:
//! there, sampling goes through an input-required result that the client
//! answers and retries the tool call with, which needs the request's own
//! flow (the `ctx.sample(...)` work), not a provider. This provider says so
//! when asked on such a request.
//!
//! Sampling results carry no usage, so the budget is charged an estimate
//! (four characters a token) and the cost is the price table's for the
//! model the client names, or nothing: the client pays for its own model.

#![allow(deprecated)] // Sampling is deprecated by SEP-2577, still part of 2025-11-25.

use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;
use rmcp::model::{
    ContentBlock, CreateMessageRequestParams, CreateMessageResult, JsonObject, ModelHint,
    ModelPreferences, Role as McpRole, SamplingMessage, SamplingMessageContentBlock, Tool,
    ToolChoice as McpToolChoice, ToolResultContent,
};
use rmcp::service::{Peer, RoleServer};
use serde_json::Value;

use super::DEFAULT_MAX_TOKENS;
use super::message::{
    ChatRequest, ChatResponse, FinishReason, Message, Part, Role, TokenUsage, ToolCall, ToolChoice,
};
use super::provider::{CallOptions, Provider, ProviderError, ProviderErrorKind};

/// The MCP client's model, through `sampling/createMessage`.
#[derive(Clone)]
pub struct McpSampling {
    peer: Peer<RoleServer>,
    stateless: bool,
}

impl McpSampling {
    /// Sampling through the client at the other end of `peer`.
    pub fn new(peer: Peer<RoleServer>) -> Self {
        McpSampling {
            peer,
            stateless: false,
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
            if !self.peer.supports_sampling_tools() {
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
