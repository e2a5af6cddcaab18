//! The one vocabulary of `error.type` values that spans and metrics carry.

use std::fmt;

/// The `error.type` attribute of a failed operation (OpenTelemetry's
/// convention: a low-cardinality name of the error's class).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorType {
    /// The function returned an error.
    ToolError,
    /// The function panicked.
    Panic,
    /// The request was cancelled.
    Cancelled,
    /// A budget ran out.
    BudgetExceeded,
    /// The arguments did not fit the tool's input schema.
    InvalidArguments,
    /// A remote server could not be reached or answered nonsense.
    RemoteError,
    /// A remote agent was asked to run in this process.
    RemoteAgent,
    /// The request itself was malformed (JSON-RPC -32602).
    InvalidParams,
    /// The server failed to answer (JSON-RPC -32603).
    InternalError,
    /// A model provider refused for too many requests.
    RateLimited,
    /// A model provider failed on its side.
    ServerError,
    /// A model provider did not answer in time.
    Timeout,
    /// A model provider could not be reached.
    Connection,
    /// A model provider answered something unreadable.
    MalformedResponse,
    /// A model provider refused the credentials.
    Auth,
    /// A model provider refused the request.
    InvalidRequest,
    /// A model provider does not support what was asked.
    Unsupported,
    /// A model's stream failed.
    Stream,
    /// A model's stream ended before its last event.
    StreamIncomplete,
}

impl ErrorType {
    /// The attribute's value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::ToolError => "tool_error",
            ErrorType::Panic => "panic",
            ErrorType::Cancelled => "cancelled",
            ErrorType::BudgetExceeded => "budget_exceeded",
            ErrorType::InvalidArguments => "invalid_arguments",
            ErrorType::RemoteError => "remote_error",
            ErrorType::RemoteAgent => "remote_agent",
            ErrorType::InvalidParams => "invalid_params",
            ErrorType::InternalError => "internal_error",
            ErrorType::RateLimited => "rate_limited",
            ErrorType::ServerError => "server_error",
            ErrorType::Timeout => "timeout",
            ErrorType::Connection => "connection",
            ErrorType::MalformedResponse => "malformed_response",
            ErrorType::Auth => "auth",
            ErrorType::InvalidRequest => "invalid_request",
            ErrorType::Unsupported => "unsupported",
            ErrorType::Stream => "stream",
            ErrorType::StreamIncomplete => "stream_incomplete",
        }
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
