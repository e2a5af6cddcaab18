//! Durable workflows: `#[workflow]` functions whose steps, agent calls,
//! timers and waits are journaled, so that a run survives a crash or a
//! restart and never runs a finished step twice.
//!
//! * The code: [`WorkflowContext`] (steps, timers, waits, time, random
//!   numbers) and the agents' usual stubs, which journal their calls when
//!   given a workflow's context.
//! * The engine: [`JournalEngine`] replays a run's journal from a
//!   [`JournalStore`](store::JournalStore): [`MemoryStore`](store::MemoryStore)
//!   (`--workflow-backend memory`) or [`SqliteStore`](store::SqliteStore)
//!   (`embedded`, the default: one SQLite file in the working directory).
//! * The control plane: [`WorkflowBackend`], which a Temporal backend can
//!   implement too (see [`backend`] for the mapping).
//! * Over MCP: each workflow is a tool; long runs become MCP tasks
//!   (`io.modelcontextprotocol/tasks`); and the `workflows-*` tools manage
//!   runs for clients without tasks.
//!
//! See docs/workflows.md for the guide.

pub mod backend;
mod config;
mod context;
mod definition;
mod engine;
mod error;
mod live;
mod policy;
pub mod record;
mod replay;
mod settings;
mod step;
pub mod store;
#[cfg(feature = "temporal")]
pub mod temporal;
pub(crate) mod time;

pub use backend::{ControlError, Recovery, Resumed, RunDriver, RunView, WorkflowBackend};
pub use config::{TemporalConfig, WorkflowsConfig};
#[doc(hidden)]
pub use context::{Journaled, WorkflowDeclares};
pub use context::{WorkflowCaller, WorkflowContext};
pub use definition::WorkflowDefinition;
pub use engine::JournalEngine;
pub use error::WorkflowError;
pub use policy::{RetryPolicy, StepPolicy};
pub use record::{RunRecord, RunStatus};
pub use settings::{BackendKind, TemporalSettings, WorkflowSettings};
pub use step::Step;
