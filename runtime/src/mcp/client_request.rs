//! Asking the MCP client for input (a form, a URL visit, a model's answer)
//! the same way in both protocol eras.
//!
//! * 2025-11-25 sessions: a server→client request (`elicitation/create`,
//!   `sampling/createMessage`) on the session, awaited in place.
//! * 2026-07-28 requests: a multi-round-trip `InputRequiredResult`, by
//!   replaying the agent (`round_trip.rs`).
//!
//! The agent awaits one future either way and cannot tell the difference.

#![allow(deprecated)] // Sampling is deprecated by SEP-2577, still in both eras.

use rmcp::ServiceError;
use rmcp::model::{
    ClientCapabilities, CreateMessageRequest, CreateMessageRequestParams, ElicitRequest,
    ElicitRequestParams, InputRequest, ListRootsRequest, ServerRequest,
};
use serde_json::Value;

use crate::mcp::channel::ClientChannel;

/// Why the client could not be asked, or gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientRequestError {
    /// The agent runs without an MCP client (from the command line, say).
    #[error("no MCP client is attached to this call, so there is nobody to ask")]
    NoClient,
    /// The client did not declare the capability the request needs.
    #[error("the client does not support {0}; it did not declare that capability")]
    Unsupported(&'static str),
    /// The request cannot be expressed in MCP (for example, a form whose
    /// type has nested objects).
    #[error("{0}")]
    InvalidRequest(String),
    /// The client answered with an error.
    #[error("the client refused the request: {0}")]
    Refused(String),
    /// The client's answer does not fit what was asked.
    #[error("the client's answer does not fit the request: {0}")]
    InvalidAnswer(String),
    /// The connection to the client is gone.
    #[error("the client could not be reached: {0}")]
    Disconnected(String),
    /// In the 2026 era the agent is replayed with the answers recorded in
    /// earlier rounds, and on this run its question number `index` differed
    /// from the one that was answered. Questions must not depend on anything
    /// that changes between runs (time, randomness, outside state).
    #[error(
        "question {index} differs from the one the client answered in an earlier round; \
         in the 2026-07-28 protocol the agent is run again with the recorded answers, so \
         its questions must come out the same on every run"
    )]
    ReplayMismatch {
        /// The question's position in the run, from 0.
        index: usize,
    },
}

/// A question for the client.
pub(crate) enum Question {
    Elicit(ElicitRequestParams),
    Sample(CreateMessageRequestParams),
    /// `roots/list`: the directories or files the client lets the server see.
    Roots,
}

impl Question {
    /// Checks that the client declared what this question needs.
    fn check_capability(
        &self,
        capabilities: Option<&ClientCapabilities>,
    ) -> Result<(), ClientRequestError> {
        let supported = match self {
            Question::Elicit(ElicitRequestParams::UrlElicitationParams { .. }) => capabilities
                .and_then(|c| c.elicitation.as_ref())
                .is_some_and(|e| e.url.is_some()),
            Question::Elicit(_) => capabilities
                .and_then(|c| c.elicitation.as_ref())
                // A bare `elicitation: {}` means form mode (2025-06-18 style).
                .is_some_and(|e| e.form.is_some() || e.url.is_none()),
            Question::Sample(_) => capabilities.is_some_and(|c| c.sampling.is_some()),
            Question::Roots => capabilities.is_some_and(|c| c.roots.is_some()),
        };
        if supported {
            return Ok(());
        }
        Err(ClientRequestError::Unsupported(match self {
            Question::Elicit(ElicitRequestParams::UrlElicitationParams { .. }) => {
                "URL-mode elicitation"
            }
            Question::Elicit(_) => "form elicitation",
            Question::Sample(_) => "sampling",
            Question::Roots => "roots",
        }))
    }

    /// The client capabilities this question needs, as the `requiredCapabilities`
    /// of a `MissingRequiredClientCapabilityError`.
    fn required_capabilities(&self) -> ClientCapabilities {
        let required = match self {
            Question::Elicit(ElicitRequestParams::UrlElicitationParams { .. }) => {
                serde_json::json!({"elicitation": {"url": {}}})
            }
            Question::Elicit(_) => serde_json::json!({"elicitation": {"form": {}}}),
            Question::Sample(_) => serde_json::json!({"sampling": {}}),
            Question::Roots => serde_json::json!({"roots": {}}),
        };
        serde_json::from_value(required).unwrap_or_default()
    }

    fn into_input_request(self) -> InputRequest {
        match self {
            Question::Elicit(params) => InputRequest::Elicitation(ElicitRequest::new(params)),
            Question::Sample(params) => {
                InputRequest::CreateMessage(CreateMessageRequest::new(params))
            }
            Question::Roots => InputRequest::ListRoots(ListRootsRequest::default()),
        }
    }

    fn into_server_request(self) -> ServerRequest {
        match self {
            Question::Elicit(params) => ServerRequest::ElicitRequest(ElicitRequest::new(params)),
            Question::Sample(params) => {
                ServerRequest::CreateMessageRequest(CreateMessageRequest::new(params))
            }
            Question::Roots => ServerRequest::ListRootsRequest(ListRootsRequest::default()),
        }
    }
}

/// On a 2026 replay, passes over `question` when an earlier round asked it
/// at this point and the answer is no longer needed (see
/// [`RoundTrip::pass_over`](super::round_trip::RoundTrip::pass_over)).
pub(crate) fn pass_over(client: Option<&ClientChannel>, question: Question) {
    if let Some(round_trip) = client.and_then(|c| c.round_trip.as_ref()) {
        round_trip.pass_over(&question.into_input_request());
    }
}

/// Asks the client `question` and returns its answer as JSON (an
/// `ElicitResult`, a `CreateMessageResult` or a `ListRootsResult`). In the
/// 2026 era the question goes out under `key` in `inputRequests`
/// (`agentwire-<n>` without one).
pub(crate) async fn ask(
    client: Option<&ClientChannel>,
    key: Option<&str>,
    question: Question,
) -> Result<Value, ClientRequestError> {
    let client = client.ok_or(ClientRequestError::NoClient)?;
    if let Err(unsupported) = question.check_capability(client.capabilities.as_ref()) {
        if let Some(round_trip) = &client.round_trip {
            round_trip.note_missing(question.required_capabilities());
        }
        return Err(unsupported);
    }
    if let Some(round_trip) = &client.round_trip {
        return round_trip.ask(key, question.into_input_request()).await;
    }
    match client
        .peer
        .send_request(question.into_server_request())
        .await
    {
        Ok(result) => serde_json::to_value(result)
            .map_err(|e| ClientRequestError::InvalidAnswer(e.to_string())),
        Err(ServiceError::McpError(error)) => Err(ClientRequestError::Refused(format!(
            "{} (code {})",
            error.message, error.code.0
        ))),
        Err(error @ (ServiceError::TransportClosed | ServiceError::TransportSend(_))) => {
            Err(ClientRequestError::Disconnected(error.to_string()))
        }
        Err(error) => Err(ClientRequestError::Refused(error.to_string())),
    }
}
