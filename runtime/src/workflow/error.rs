//! [`WorkflowError`]: why an operation of a workflow gave no value.

use std::time::Duration;

use crate::agent::CallError;

/// Why a step, a wait or an agent call of a workflow gave no value.
///
/// Use it as a workflow's error type, or convert it into yours: agent calls'
/// [`CallError`]s convert into it with `?`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WorkflowError {
    /// A step failed on every attempt its retry policy allowed.
    #[error("step `{name}` failed after {attempts} attempt{}: {message}", if *attempts == 1 { "" } else { "s" })]
    Step {
        /// The step.
        name: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last attempt's error.
        message: String,
    },
    /// A call to an agent failed.
    #[error(transparent)]
    Call(#[from] CallError),
    /// `wait_for` gave up: nothing arrived in time.
    #[error("nothing arrived for `{name}` within {}", show(*timeout))]
    TimedOut {
        /// The wait.
        name: String,
        /// How long it waited.
        timeout: Duration,
    },
    /// A value the journal recorded cannot be read back as the type the code
    /// asks for now.
    #[error(
        "the value journaled for `{name}` cannot be read as the type the workflow now expects: {message}"
    )]
    Decode {
        /// The step, call or wait whose value it is.
        name: String,
        /// Why it cannot be read.
        message: String,
    },
    /// The run cannot go on in this process: its journal cannot be written,
    /// or its code no longer matches its journal. The engine handles it (it
    /// retries the run later, or fails it with this reason); the workflow's
    /// code only needs to pass it on with `?`.
    #[error("the run was interrupted: {0}")]
    Interrupted(String),
}

fn show(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}
