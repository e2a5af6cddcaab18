//! # agentwire
//!
//! Annotated async functions become AI agents served over the
//! [Model Context Protocol](https://modelcontextprotocol.io). Each `#[agent]`
//! is an MCP tool whose schema comes from its signature and doc comments; the
//! binary is an MCP server (stdio or streamable HTTP) with a CLI for free.
//!
//! ```no_run
//! use agentwire::prelude::*;
//!
//! /// Says hello.
//! #[agent(read_only)]
//! async fn greet(
//!     /// Who to greet.
//!     name: String,
//! ) -> String {
//!     format!("Hello, {name}!")
//! }
//!
//! agentwire::main!();
//! ```
//!
//! `cargo run -- serve --stdio` serves it; `cargo run -- call greet --args
//! '{"name":"Ada"}'` runs it once; `cargo run -- list` prints its schema.
//!
//! ## Writing agents
//!
//! * Parameters become the properties of the tool's input object. Their types
//!   implement `serde::Deserialize` and `schemars::JsonSchema`; `Option<T>`
//!   parameters may be left out. `///` comments on the function and on the
//!   parameters become the tool and property descriptions.
//! * One parameter may be the [`AgentContext`] (usually `ctx: &AgentContext`):
//!   cancellation, progress, log messages to the client, and calls to other
//!   agents.
//! * The return type is `T` or `Result<T, E>` with `T: Serialize + JsonSchema`
//!   and `E: Display`. A struct `T` gives the tool an output schema and
//!   structured results; `String` answers with plain text; `Err(e)` answers
//!   with an `isError` result carrying `e`'s message.
//! * `#[agent(name = "...", title = "...", description = "...")]` override the
//!   tool's name, title and description; `read_only`, `destructive`,
//!   `idempotent` and `open_world` set its annotations.
//!
//! ## Calling another agent
//!
//! `#[agent]` puts a type with the function's name next to it, holding a
//! typed stub: `greet::call(ctx, "Ada".into()).await` runs `greet` as a child of
//! the calling agent (cancelled with it, panics caught) and returns
//! `Result<T, CallError>`.
//!
//! ## Durable workflows
//!
//! `#[workflow]` on an `async fn` taking a [`WorkflowContext`](workflow::WorkflowContext)
//! makes a long-running orchestration whose steps (`ctx.step`), agent calls
//! (the agents' usual stubs), timers (`ctx.sleep`) and waits for input
//! (`ctx.wait_for`) are journaled: after a crash or a restart, unfinished
//! runs resume by themselves and finished steps are not run again. Runs are
//! kept in one SQLite file by default (`--workflow-backend memory` keeps them
//! in memory), and are served as tools, MCP tasks and `workflows-*` tools.
//! See the [`workflow`] module and docs/workflows.md.

extern crate self as agentwire;

mod arguments;
pub mod budget;
mod call;
mod caller;
mod cli;
pub mod config;
mod context;
mod definition;
mod execution;
mod graph;
mod host;
mod intern;
pub mod llm;
mod logging;
mod output;
mod registry;
mod remote;
mod schema;
mod server;
pub mod telemetry;
pub mod transport;
pub mod workflow;

#[doc(hidden)]
pub mod __private;

pub use agentwire_macros::{agent, workflow};
pub use arguments::ArgumentError;
pub use budget::{Budget, BudgetExceeded, Dimension, Usage};
pub use call::{CallError, call_agent_json};
pub use caller::{CallerContext, CanCall};
pub use cli::App;
pub use context::AgentContext;
pub use definition::{AgentDefinition, AgentKind, AgentStub, SourceLocation};
pub use graph::mermaid as call_graph_mermaid;
pub use logging::LogLevel;
pub use registry::{Registry, RegistryError};
pub use server::{AgentServer, ServerIdentity};

/// The names most agent code needs: `use agentwire::prelude::*;`.
pub mod prelude {
    pub use crate::llm::{LlmError, Model};
    pub use crate::workflow::{RetryPolicy, WorkflowContext, WorkflowError};
    pub use crate::{
        AgentContext, Budget, BudgetExceeded, CallError, LogLevel, Usage, agent, workflow,
    };
}

/// Writes `fn main` for an agentwire binary: the CLI (`serve`, `list`,
/// `call`), with the server named after the binary and versioned after its
/// package.
///
/// ```no_run
/// # use agentwire::prelude::*;
/// # #[agent] async fn noop() {}
/// agentwire::main!();
/// ```
#[macro_export]
macro_rules! main {
    () => {
        fn main() -> ::std::process::ExitCode {
            let name =
                ::core::option_env!("CARGO_BIN_NAME").unwrap_or(::core::env!("CARGO_PKG_NAME"));
            let mut identity = $crate::ServerIdentity::new(name, ::core::env!("CARGO_PKG_VERSION"));
            identity.description = ::core::option_env!("CARGO_PKG_DESCRIPTION")
                .filter(|text| !text.is_empty())
                .map(::std::borrow::ToOwned::to_owned);
            $crate::App::new(identity).bin_name(name).run()
        }
    };
}

/// The README's examples are compiled as doc tests, so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
