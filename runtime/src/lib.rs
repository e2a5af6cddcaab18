//! # agentwire
//!
//! Annotated async functions become AI agents served over the
//! [Model Context Protocol](https://modelcontextprotocol.io). Each `#[agent]`
//! is an MCP tool whose schema comes from its signature and doc comments; the
//! binary is an MCP server (stdio or streamable HTTP) with a CLI for free.
//!
//! ```standalone_crate
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
//! // A binary ends with `agentwire::main!();`, which writes `fn main` with
//! // the command line. Here the same command line runs `greet` once:
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let app = agentwire::App::new(agentwire::ServerIdentity::new("hello", "0.1.0"));
//! let code = app
//!     .run_with_args(["hello", "call", "greet", "--args", r#"{"name": "Ada"}"#])
//!     .await;
//! assert_eq!(code, std::process::ExitCode::SUCCESS); // and "Hello, Ada!" is printed
//! # }
//! ```
//!
//! With `agentwire::main!();`, `cargo run -- serve --stdio` serves it;
//! `cargo run -- call greet --args '{"name":"Ada"}'` runs it once; `cargo
//! run -- list` prints its schema. The `testing` feature adds
//! `agentwire::testing`, a kit to test agents, chains of servers, LLM
//! agents and workflows in-process (docs/testing.md).
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
//! * An agent may also answer with [`Content`] (or `Vec<Content>`): images,
//!   audio, embedded resources.
//! * `icon = "https://..."` adds an icon; `deny_unknown_arguments` makes the
//!   input schema say `additionalProperties: false` and refuses calls with
//!   arguments the agent does not take.
//! * `input_constraints = f` (`f: fn() -> serde_json::Value`) adds JSON Schema
//!   keywords over the arguments together (`allOf`, `if`/`then`/`else`, ...)
//!   to the input schema; `#[header = "Region"]` on a string, integer or
//!   `bool` parameter marks it `x-mcp-header` (SEP-2243), so 2026-era clients
//!   send it in the HTTP header `Mcp-Param-Region` too, checked against the body.
//! * `task = "optional"` lets a call become an MCP task (SEP-2663) for clients
//!   that take tasks; `task = "required"` only runs it as one (docs/protocol.md,
//!   "Agents as tasks").
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
//! See the [`workflow`](mod@workflow) module and docs/workflows.md.

//! ## Prompts and resources
//!
//! [`#[prompt]`](macro@prompt) turns a function into an MCP prompt whose
//! arguments are its parameters; [`#[resource]`](macro@resource) serves a
//! resource at a fixed URI or at every URI of a template such as
//! `file:///{+path}`, whose variables are its parameters. Clients can
//! subscribe to resources; [`resource_updated`] tells them of a change.
//!
//! ```no_run
//! use agentwire::prelude::*;
//!
//! /// Asks for a review of some code.
//! #[prompt(title = "Code review")]
//! async fn review(
//!     /// The code to review.
//!     code: String,
//! ) -> String {
//!     format!("Please review this code:\n{code}")
//! }
//!
//! /// The notes of one day.
//! #[resource(uri = "notes://{day}", mime_type = "text/markdown")]
//! async fn notes(day: String) -> String {
//!     format!("# Notes of {day}\n")
//! }
//! # agentwire::main!();
//! ```
//!
//! * A prompt's parameters are its arguments; clients send them as text,
//!   read into the parameter's type (`String`, enums, numbers, `Option` for
//!   optional ones). It returns `String`, [`Content`], [`PromptMessage`] or
//!   `Vec<PromptMessage>` (or a `Result` of one), and may be a plain `fn`.
//! * A resource returns `String`, `Vec<u8>`, [`ResourceContent`] or
//!   `Vec<ResourceContent>` (or a `Result` of one). With a template URI,
//!   its parameters are the template's variables, `{name}` (one path
//!   segment) or `{+name}` (any text), checked at compile time.
//! * Keys: `name`, `title`, `description`, `icon` (repeatable) for both;
//!   `uri` (required), `mime_type`, `audience` (`"user"`, `"assistant"` or
//!   both) and `priority` (0 to 1) for resources; `complete = f` with
//!   `fn f(&CompletionRequest) -> Vec<String>` suggests argument values
//!   (otherwise enum values are suggested).
//! * Either may take `&AgentContext`, to log, report progress or ask the
//!   client (below).
//!
//! ## Asking the client for input
//!
//! [`AgentContext::elicit`] asks the person behind the client to fill in a
//! form whose schema comes from a Rust type, [`AgentContext::elicit_url`]
//! sends them to a URL, and [`AgentContext::sample`] asks the client's model.
//! The agent awaits the answer the same way in both protocol eras:
//!
//! * **2025-11-25 sessions** (stdio or HTTP with `initialize`): the server
//!   sends `elicitation/create` or `sampling/createMessage` to the client and
//!   the agent's future waits for the answer.
//! * **2026-07-28 requests** (stateless; no server→client requests exist):
//!   the agent runs until it asks something not answered yet; the runtime
//!   then drops the agent's future and answers the call with an
//!   `InputRequiredResult` (the question plus a sealed `requestState`). The
//!   client answers and calls again with `inputResponses`; the runtime runs
//!   the agent again from the start and answers its questions from the
//!   record, in order, until a new question starts the next round or the
//!   agent finishes.
//!
//! Replay has two consequences for 2026-era clients: code before a question
//! runs once per round (keep it free of side effects, or idempotent), and
//! the questions must come out the same on every run (one that changes is
//! refused with [`ClientRequestError::ReplayMismatch`] instead of receiving
//! an answer meant for another question). In exchange, nothing is held in
//! memory between rounds and a retry may reach any replica: the
//! `requestState` is HMAC-signed, bound to the call and its arguments,
//! expires after an hour, and carries only what the client itself answered.
//! Replicas share the signing key through
//! [`AgentServer::with_request_state_key`] (or the `AGENTWIRE_REQUEST_STATE_KEY`
//! environment variable of `serve`). docs/protocol.md has the details.
//!
//! Questions asked together (`tokio::join!`) reach a 2026-era client in one
//! round; [`AgentContext::keyed`] names a question's key in `inputRequests`,
//! and [`AgentContext::roots`] asks for the client's roots. A 2026-era call
//! that fails after asking for a capability the client did not declare is
//! answered with `MissingRequiredClientCapabilityError` (-32021).

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate self as agentwire;

// The layers, bottom to top: a module uses only those above it in this
// list (docs/architecture.md; `tests/layering.rs` keeps it true).
mod agent;
pub mod budget;
mod cli;
pub mod config;
pub mod llm;
pub mod mcp;
mod prompt;
pub mod quota;
mod registry;
mod remote;
mod resource;
mod schema;
mod server;
mod sqlite;
pub mod telemetry;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
pub mod transport;
pub mod workflow;

#[doc(hidden)]
pub mod __private;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzz;

pub use agent::graph::mermaid as call_graph_mermaid;
pub use agent::{
    AgentContext, AgentDefinition, AgentKind, AgentStub, CallError, CallerContext, CanCall,
    ErrorType, Keyed, Principal, SourceLocation, TaskSupport,
};
pub use agentwire_macros::{agent, prompt, resource, workflow};
pub use budget::{Budget, BudgetExceeded, Dimension, Usage};
pub use cli::App;
pub use mcp::{
    ClientRequestError, CompletionRequest, Content, ElicitForm, Elicitation, LogLevel,
    PromptMessage, ResourceContent, Role, Root, Sampled, SamplingRequest,
    form_schema_json as elicitation_schema,
};
pub use prompt::PromptDefinition;
pub use registry::{Registry, RegistryError};
pub use remote::call_agent_json;
pub use resource::ResourceDefinition;
pub use schema::ArgumentError;
pub use server::{AgentServer, InvalidKey, ServerIdentity, resource_updated};

/// The names most agent code needs: `use agentwire::prelude::*;`.
pub mod prelude {
    pub use crate::llm::{LlmError, Model};
    pub use crate::workflow::{RetryPolicy, WorkflowContext, WorkflowError};
    pub use crate::{
        AgentContext, Budget, BudgetExceeded, CallError, ClientRequestError, CompletionRequest,
        Content, Elicitation, LogLevel, PromptMessage, ResourceContent, Role, Sampled,
        SamplingRequest, Usage, agent, prompt, resource, workflow,
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

/// docs/testing.md's examples are compiled and run as doc tests, with the
/// `testing` feature.
#[cfg(all(doctest, feature = "testing"))]
#[doc = include_str!("../../docs/testing.md")]
struct TestingGuideDoctests;
