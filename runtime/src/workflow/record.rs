//! What the journal holds: runs, their journal entries and the signals sent
//! to them. Every backend stores these same records, so `workflows-*` tools
//! and MCP tasks read the same thing whichever backend runs.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agent::definition::AgentDefinition;
use crate::agent::{CallError, Principal};
use crate::budget::{Budget, BudgetExceeded, Usage};

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Running, or waiting for a timer, or about to be resumed after a restart.
    Running,
    /// Waiting for a signal or for human input (`workflows-resume`, `tasks/update`).
    InputRequired,
    /// Finished with a result.
    Completed,
    /// Finished with an error.
    Failed,
    /// Stopped by `workflows-cancel` or `tasks/cancel`.
    Cancelled,
}

impl RunStatus {
    /// The name used in the store and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::InputRequired => "input_required",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    /// Reads a status name written by [`as_str`](Self::as_str).
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "running" => RunStatus::Running,
            "input_required" => RunStatus::InputRequired,
            "completed" => RunStatus::Completed,
            "failed" => RunStatus::Failed,
            "cancelled" => RunStatus::Cancelled,
            _ => return None,
        })
    }

    /// Whether the run is over: completed, failed or cancelled.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled
        )
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One run of a workflow, as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// The run's id; also its MCP task id.
    pub run_id: String,
    /// The workflow's tool name.
    pub workflow: String,
    /// Where the run stands.
    pub status: RunStatus,
    /// The arguments the run was started with.
    pub input: Value,
    /// The budget the run was started with (the tightest of the server's
    /// default, the workflow's policy and the caller's grant). Its time counts
    /// from `created_ms`, across restarts.
    pub limits: Budget,
    /// The seed of the run's deterministic random numbers.
    pub seed: u64,
    /// When the run was created, in milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// When the run's record last changed.
    pub updated_ms: u64,
    /// The signal or input the run waits for, when `input_required`.
    pub waiting_for: Option<String>,
    /// The workflow's result, when completed.
    pub output: Option<Value>,
    /// Why the run failed or was cancelled.
    pub error: Option<RunError>,
    /// What the run used, once it is over.
    pub usage: Option<Usage>,
    /// Who started the run, when the server authenticates its callers:
    /// only they may see or change it, and its agents see them as
    /// [`AgentContext::principal`](crate::agent::AgentContext::principal).
    pub owner: Option<Principal>,
}

/// Why a run failed, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunError {
    /// For a person or a model to read.
    pub message: String,
    /// The budget that ran out, when that is why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetFailure>,
    /// The run broke (its code panicked, or no longer matches its journal)
    /// rather than returned its own error: an MCP task `failed`, not
    /// `completed` with an error result.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub broke: bool,
}

/// A budget that ran out, and the agent or workflow that ran into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetFailure {
    /// The budget that ran out.
    pub exceeded: BudgetExceeded,
    /// The agent or workflow that ran into it.
    pub agent: String,
}

impl RunError {
    /// An error with a message only.
    pub fn new(message: impl Into<String>) -> Self {
        RunError {
            message: message.into(),
            budget: None,
            broke: false,
        }
    }

    /// The error of a run that broke (its code panicked, or no longer
    /// matches what was recorded of it).
    pub(crate) fn broke(message: impl Into<String>) -> Self {
        RunError {
            broke: true,
            ..RunError::new(message)
        }
    }

    /// The error of a run that failed with `failure`: its text, and the
    /// budget that ran out if that is why.
    pub(crate) fn from_failure(failure: &crate::agent::Failure) -> Self {
        RunError {
            message: failure.message(),
            budget: failure
                .budget_exceeded()
                .map(|(exceeded, agent)| BudgetFailure {
                    exceeded: *exceeded,
                    agent: agent.to_owned(),
                }),
            broke: failure.error_type() == crate::telemetry::ErrorType::Panic,
        }
    }
}

/// A change to a run's record.
#[derive(Debug, Clone, PartialEq)]
pub struct RunUpdate {
    /// The run.
    pub run_id: String,
    /// Its new status.
    pub status: RunStatus,
    /// When it changed, in milliseconds since the Unix epoch.
    pub updated_ms: u64,
    /// The signal or input it now waits for.
    pub waiting_for: Option<String>,
    /// The workflow's result, when completed.
    pub output: Option<Value>,
    /// Why it failed or was cancelled.
    pub error: Option<RunError>,
    /// What it used.
    pub usage: Option<Usage>,
}

/// What a journal entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// `ctx.step(name, ...)`.
    Step,
    /// A call to an agent through its stub; the name is the agent's.
    Call,
    /// `ctx.sleep(...)`.
    Sleep,
    /// `ctx.wait_for(name, ...)`.
    Wait,
    /// `ctx.now()`.
    Now,
}

impl EntryKind {
    /// The name used in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Step => "step",
            EntryKind::Call => "call",
            EntryKind::Sleep => "sleep",
            EntryKind::Wait => "wait",
            EntryKind::Now => "now",
        }
    }

    /// Reads a kind name written by [`as_str`](Self::as_str).
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "step" => EntryKind::Step,
            "call" => EntryKind::Call,
            "sleep" => EntryKind::Sleep,
            "wait" => EntryKind::Wait,
            "now" => EntryKind::Now,
            _ => return None,
        })
    }

    /// How the kind reads in messages.
    pub fn describe(self) -> &'static str {
        match self {
            EntryKind::Step => "step",
            EntryKind::Call => "agent call",
            EntryKind::Sleep => "sleep",
            EntryKind::Wait => "wait",
            EntryKind::Now => "clock reading",
        }
    }
}

/// One operation of a run, at position `seq` in the order the workflow's
/// code asks for them. Replaying the code meets the same operations in the
/// same order, and finished ones return what is recorded here.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    /// The operation's position in the run, from 0.
    pub seq: u32,
    /// What kind of operation.
    pub kind: EntryKind,
    /// The step's name, the agent's, or the wait's.
    pub name: String,
    /// Where it stands.
    pub state: EntryState,
    /// When the entry was written, in milliseconds since the Unix epoch.
    pub recorded_ms: u64,
}

/// Where one operation stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EntryState {
    /// Finished with this value. For agent calls, `usage` is what the whole
    /// run had used when the entry was written, restored on replay.
    Succeeded {
        /// The operation's value, as JSON.
        value: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// For agent calls, the run's usage when written.
        usage: Option<Usage>,
    },
    /// Finished with this error, retries exhausted (or a wait timed out).
    Failed {
        /// How it failed.
        failure: Failure,
    },
    /// A timer that fires at this time.
    Timer {
        /// When it fires, in milliseconds since the Unix epoch.
        fire_at_ms: u64,
    },
    /// A wait that gives up at this time (never, when `None`).
    Waiting {
        /// When it gives up, in milliseconds since the Unix epoch.
        until_ms: Option<u64>,
    },
    /// A step whose attempts so far failed; the next one starts at `next_at_ms`.
    Retrying {
        /// Attempts made so far.
        attempts: u32,
        /// When the next one starts, in milliseconds since the Unix epoch.
        next_at_ms: u64,
        /// The last attempt's error.
        last_error: String,
    },
}

/// An operation that failed for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// Why it failed.
    pub message: String,
    /// How many attempts were made.
    #[serde(default)]
    pub attempts: u32,
    /// For agent calls: how the call failed, to give the same `CallError` on replay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<CallFailure>,
}

/// A [`CallError`] as journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallFailure {
    /// The agent returned an error.
    Agent {
        /// Its `Display` text.
        message: String,
    },
    /// The agent panicked.
    Panicked {
        /// The panic's message.
        message: String,
    },
    /// A budget ran out.
    BudgetExceeded {
        /// Which, and by how much.
        exceeded: BudgetExceeded,
    },
    /// The remote agent's server failed.
    Remote {
        /// What went wrong.
        message: String,
    },
    /// The arguments did not fit the agent.
    InvalidArguments {
        /// Which argument, and how.
        message: String,
    },
    /// The call was cancelled.
    Cancelled,
}

impl CallFailure {
    /// The journal's form of `error`.
    pub fn from_error(error: &CallError) -> Self {
        match error {
            CallError::Agent { message, .. } => CallFailure::Agent {
                message: message.clone(),
            },
            CallError::Panicked { message, .. } => CallFailure::Panicked {
                message: message.clone(),
            },
            CallError::BudgetExceeded { exceeded, .. } => CallFailure::BudgetExceeded {
                exceeded: *exceeded,
            },
            CallError::Remote { message, .. } => CallFailure::Remote {
                message: message.clone(),
            },
            CallError::InvalidArguments { message, .. } => CallFailure::InvalidArguments {
                message: message.clone(),
            },
            CallError::Cancelled { .. } => CallFailure::Cancelled,
        }
    }

    /// The error the call to `callee` gave when it was journaled.
    pub fn to_error(&self, callee: &'static AgentDefinition) -> CallError {
        let agent = callee.name;
        match self {
            CallFailure::Agent { message } => CallError::Agent {
                agent,
                message: message.clone(),
            },
            CallFailure::Panicked { message } => CallError::Panicked {
                agent,
                message: message.clone(),
            },
            CallFailure::BudgetExceeded { exceeded } => CallError::BudgetExceeded {
                agent,
                exceeded: *exceeded,
            },
            CallFailure::Remote { message } => CallError::Remote {
                agent,
                server: callee.remote_server().unwrap_or("?"),
                message: message.clone(),
            },
            CallFailure::InvalidArguments { message } => CallError::InvalidArguments {
                agent,
                message: message.clone(),
            },
            CallFailure::Cancelled => CallError::Cancelled { agent },
        }
    }
}

/// A signal or human input sent to a run, kept until a `wait_for` takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// Increasing in the order signals arrived.
    pub id: u64,
    /// The run it is sent to.
    pub run_id: String,
    /// The wait it is meant for; `None` goes to whichever wait comes first.
    pub name: Option<String>,
    /// What it carries, as JSON.
    pub payload: Value,
    /// When it arrived, in milliseconds since the Unix epoch.
    pub received_ms: u64,
}

/// A record the store could not read back: the run it belongs to and what
/// is wrong with it. Only that run is affected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged {
    /// The run.
    pub run_id: String,
    /// What is wrong with its record.
    pub problem: String,
}

impl fmt::Display for Damaged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the journal of run `{}` is damaged: {}",
            self.run_id, self.problem
        )
    }
}
