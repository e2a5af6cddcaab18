//! Every way a call can fail, in one place: what an invocation reports
//! ([`InvokeError`]), why its future stopped ([`Interrupted`]), what a
//! caller gets back ([`CallError`]), the `error.type` of each on spans and
//! metrics ([`ErrorType`]), and the one mapping from an invocation's outcome
//! to a [`Failure`] and from there to a tool result.

use std::fmt;

use rmcp::model::CallToolResult;

use crate::budget::BudgetExceeded;
use crate::mcp::meta::{ERROR_KEY, budget_error_value};
use crate::schema::ArgumentError;
use crate::telemetry::ErrorType;

use super::output::error_result;

/// Why an invocation produced no output.
#[derive(Debug)]
pub enum InvokeError {
    /// The arguments did not match the tool's input schema.
    Arguments(ArgumentError),
    /// The agent returned `Err`; the message is its `Display` text.
    Agent(String),
}

impl From<ArgumentError> for InvokeError {
    fn from(error: ArgumentError) -> Self {
        InvokeError::Arguments(error)
    }
}

/// Why an agent's future did not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interrupted {
    /// The request was cancelled; the future was dropped.
    Cancelled,
    /// The agent's deadline passed; the future was dropped.
    OutOfTime(BudgetExceeded),
    /// The agent panicked; the text is the panic message.
    Panicked(String),
}

/// Why a call to another agent returned no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The called agent returned an error; `message` is its `Display` text.
    #[error("agent `{agent}` failed: {message}")]
    Agent {
        /// The called agent.
        agent: &'static str,
        /// The error's `Display` text.
        message: String,
    },
    /// The called agent panicked.
    #[error("agent `{agent}` panicked: {message}")]
    Panicked {
        /// The called agent.
        agent: &'static str,
        /// The panic's message.
        message: String,
    },
    /// The caller's request was cancelled while the call was running.
    #[error("the call to agent `{agent}` was cancelled")]
    Cancelled {
        /// The called agent.
        agent: &'static str,
    },
    /// A budget ran out, before the call or during it.
    #[error("the call to agent `{agent}` stopped: {exceeded}")]
    BudgetExceeded {
        /// The called agent.
        agent: &'static str,
        /// The budget that ran out.
        exceeded: BudgetExceeded,
    },
    /// The arguments do not fit the agent's input schema (from a call with
    /// JSON arguments, such as a model's tool call).
    #[error("the call to agent `{agent}` has an {message}")]
    InvalidArguments {
        /// The called agent.
        agent: &'static str,
        /// Which argument is wrong, and how.
        message: String,
    },
    /// The remote agent's server could not be reached or answered nonsense.
    #[error("remote agent `{agent}` on server `{server}` failed: {message}")]
    Remote {
        /// The called agent.
        agent: &'static str,
        /// The server it lives on.
        server: &'static str,
        /// What went wrong.
        message: String,
    },
}

impl CallError {
    /// The `error.type` of this failure on spans and metrics.
    pub fn error_type(&self) -> ErrorType {
        match self {
            CallError::Agent { .. } => ErrorType::ToolError,
            CallError::Panicked { .. } => ErrorType::Panic,
            CallError::Cancelled { .. } => ErrorType::Cancelled,
            CallError::BudgetExceeded { .. } => ErrorType::BudgetExceeded,
            CallError::InvalidArguments { .. } => ErrorType::InvalidArguments,
            CallError::Remote { .. } => ErrorType::RemoteError,
        }
    }

    /// The budget that ran out, if that is why the call failed.
    pub fn budget_exceeded(&self) -> Option<&BudgetExceeded> {
        match self {
            CallError::BudgetExceeded { exceeded, .. } => Some(exceeded),
            _ => None,
        }
    }
}

/// What failed, for messages: "the agent `summarize`", "the prompt `review`".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Subject {
    /// `agent`, `workflow`, `prompt` or `resource`.
    pub kind: &'static str,
    pub name: &'static str,
}

impl Subject {
    pub fn new(kind: &'static str, name: &'static str) -> Self {
        Subject { kind, name }
    }

    pub fn agent(name: &'static str) -> Self {
        Subject {
            kind: "agent",
            name,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {} `{}`", self.kind, self.name)
    }
}

/// Why an invocation produced no value: the one mapping from an outcome
/// to an error, which agents, stubs, prompts, resources and workflow runs
/// all go through, and the one place their texts are written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    subject: Subject,
    kind: FailureKind,
}

#[derive(Debug, Clone, PartialEq)]
enum FailureKind {
    /// The arguments did not fit (the client's fault): why.
    InvalidArguments(String),
    /// The function returned `Err`: its own text.
    Failed(String),
    /// A budget ran out; the text names the dimension; `at` is the agent
    /// whose limit it was.
    OutOfBudget {
        message: String,
        exceeded: BudgetExceeded,
        at: String,
    },
    /// The function panicked: the panic message.
    Panicked(String),
    /// The request was cancelled.
    Cancelled,
}

impl Failure {
    /// The value of an invocation's `outcome`, or its failure. `exceeded` is
    /// the budget that ran out below the invocation, if one did: an error
    /// caused by it stays a budget error.
    pub fn check<T>(
        subject: Subject,
        outcome: Result<Result<T, InvokeError>, Interrupted>,
        exceeded: impl FnOnce() -> Option<(BudgetExceeded, String)>,
    ) -> Result<T, Failure> {
        let kind = match outcome {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(InvokeError::Arguments(error))) => {
                FailureKind::InvalidArguments(error.to_string())
            }
            Ok(Err(InvokeError::Agent(message))) => match exceeded() {
                Some((exceeded, at)) => {
                    return Err(Failure::out_of_budget(subject, message, exceeded, at));
                }
                None => FailureKind::Failed(message),
            },
            Err(interrupted) => return Err(Failure::interrupted(subject, interrupted)),
        };
        Err(Failure { subject, kind })
    }

    /// Why `subject`'s future stopped, as a failure.
    pub fn interrupted(subject: Subject, interrupted: Interrupted) -> Self {
        let kind = match interrupted {
            Interrupted::OutOfTime(exceeded) => {
                let message = format!("{subject} ran out of time");
                let at = subject.name.to_owned();
                return Failure::out_of_budget(subject, message, exceeded, at);
            }
            Interrupted::Panicked(message) => {
                tracing::error!("{subject} panicked: {message}");
                FailureKind::Panicked(message)
            }
            Interrupted::Cancelled => FailureKind::Cancelled,
        };
        Failure { subject, kind }
    }

    /// A budget that ran out for `subject`; `message` says what was
    /// happening, and gains the budget's own text unless it names it.
    pub fn out_of_budget(
        subject: Subject,
        message: String,
        exceeded: BudgetExceeded,
        at: String,
    ) -> Self {
        let message = if message.contains(&exceeded.to_string()) {
            message
        } else {
            format!("{message} ({exceeded})")
        };
        Failure {
            subject,
            kind: FailureKind::OutOfBudget {
                message,
                exceeded,
                at,
            },
        }
    }

    /// The `error.type` of this failure.
    pub fn error_type(&self) -> ErrorType {
        match self.kind {
            FailureKind::InvalidArguments(_) => ErrorType::InvalidArguments,
            FailureKind::Failed(_) => ErrorType::ToolError,
            FailureKind::OutOfBudget { .. } => ErrorType::BudgetExceeded,
            FailureKind::Panicked(_) => ErrorType::Panic,
            FailureKind::Cancelled => ErrorType::Cancelled,
        }
    }

    /// Whether the client's arguments are at fault.
    pub fn is_invalid_arguments(&self) -> bool {
        matches!(self.kind, FailureKind::InvalidArguments(_))
    }

    /// The budget that ran out, and whose limit it was.
    pub fn budget_exceeded(&self) -> Option<(&BudgetExceeded, &str)> {
        match &self.kind {
            FailureKind::OutOfBudget { exceeded, at, .. } => Some((exceeded, at)),
            _ => None,
        }
    }

    /// The text a model or a person reads.
    pub fn message(&self) -> String {
        let subject = self.subject;
        match &self.kind {
            FailureKind::InvalidArguments(error) => format!("{subject} has an {error}"),
            FailureKind::Failed(message) | FailureKind::OutOfBudget { message, .. } => {
                message.clone()
            }
            FailureKind::Panicked(message) => format!("{subject} panicked: {message}"),
            FailureKind::Cancelled => format!("{subject} was cancelled"),
        }
    }

    /// What the caller of the agent gets back.
    pub fn into_call_error(self) -> CallError {
        let agent = self.subject.name;
        match self.kind {
            FailureKind::InvalidArguments(message) => {
                CallError::InvalidArguments { agent, message }
            }
            FailureKind::Failed(message) => CallError::Agent { agent, message },
            FailureKind::OutOfBudget { exceeded, .. } => {
                CallError::BudgetExceeded { agent, exceeded }
            }
            FailureKind::Panicked(message) => CallError::Panicked { agent, message },
            FailureKind::Cancelled => CallError::Cancelled { agent },
        }
    }

    /// The `isError` tool result: the text, and for a budget that ran out
    /// the details in `_meta` (`dev.agentwire/error`).
    pub fn into_tool_result(self) -> CallToolResult {
        let mut result = error_result(self.message());
        if let Some((exceeded, at)) = self.budget_exceeded() {
            result
                .meta
                .get_or_insert_with(Default::default)
                .insert(ERROR_KEY.into(), budget_error_value(exceeded, at));
        }
        result
    }
}
