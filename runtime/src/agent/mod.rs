//! The agent core: what `#[agent]` declares (definitions and stubs), the
//! context a running agent sees, how an invocation is guarded (panics,
//! cancellation, deadlines) and answered, in-process calls between agents
//! and the declarations that allow them, the static call graph, and the
//! process-wide host the context carries.
//!
//! Uses the vocabulary below it (budget, schema, telemetry, mcp) and nothing
//! above: remote calls, models and workflows plug in through the [`Host`]'s
//! extensions and the definitions' entry points.

mod ask;
pub(crate) mod call;
pub(crate) mod caller;
pub(crate) mod context;
pub(crate) mod definition;
pub(crate) mod error;
pub(crate) mod execution;
pub(crate) mod graph;
pub(crate) mod host;
pub(crate) mod output;
pub(crate) mod principal;

pub use crate::telemetry::ErrorType;
pub use ask::Keyed;
pub use call::call_local;
pub use caller::{CallerContext, CanCall, Declares};
pub use context::AgentContext;
pub use definition::{
    AgentDefinition, AgentEntry, AgentKind, AgentStub, AnnotationFlags, InvokeFuture,
    SourceLocation, TaskSupport,
};
pub use error::{CallError, InvokeError};
pub(crate) use error::{Failure, Interrupted, Subject};
pub use host::Host;
pub(crate) use principal::AccessToken;
pub use principal::Principal;
