//! A testing kit for agentwire users: test agents, chains of servers, LLM
//! agents and workflows as ordinary `#[tokio::test]`s, fast, without a
//! network, a process or a model key, with budgets, traces and workflows
//! behaving as in production. Enable it in `[dev-dependencies]`:
//!
//! ```toml
//! [dev-dependencies]
//! agentwire = { version = "0.1", features = ["testing"] }
//! tokio = { version = "1", features = ["macros", "rt"] }
//! ```
//!
//! * [`TestServer`]: an [`AgentServer`](crate::AgentServer) in the test and
//!   a real rmcp client talking to it over an in-memory pipe, in either
//!   protocol era ([`Era`]); call a tool with arguments and a budget grant
//!   and read the answer as a [`ToolOutcome`] (typed result, usage, error
//!   and the budget dimension that ran out); get prompts, read resources.
//! * Chains: [`TestServerBuilder::remote`] answers the remote agents of a
//!   server (`#[agent(remote = "...")]`) with another `TestServer`.
//! * Models: [`ScriptedModel`] replies from a list, [`FunctionModel`] from
//!   a closure that sees the whole request; both are charged to budgets and
//!   traced like any provider.
//! * Telemetry: [`Capture`] keeps the spans and metrics in memory.
//! * Workflows: [`TestServer::start_workflow`], [`TestServer::signal`],
//!   [`TestServer::run_status`] and [`TestServer::settle`]; time skipping
//!   with `#[tokio::test(start_paused = true)]` (see below).
//!
//! docs/testing.md walks through each with a complete test.
//!
//! # Time skipping
//!
//! The `testing` feature turns on tokio's `test-util`, and the workflow
//! engine reads the wall clock through tokio's clock. Under
//! `#[tokio::test(start_paused = true)]` the clock stands still while
//! anything can run and jumps to the next timer when every task waits, so
//! `ctx.sleep(Duration::from_secs(86_400))` and wait timeouts take no real
//! time. Budgets' deadlines are tokio timers too: a call that waits longer
//! than its time budget runs out of time at once, as it would in production
//! after the real wait.
//!
//! # Threads
//!
//! Use the default current-thread runtime of `#[tokio::test]`: servers,
//! clients and workflow runs are tasks of the test's runtime, and
//! [`Capture`] sees the spans of the test's thread.

mod model;
mod outcome;
mod server;
mod telemetry;
mod workflow;

pub use model::{
    FunctionModel, Reply, SCRIPTED_MODEL, SCRIPTED_PROVIDER, ScriptedModel, TestModel,
};
pub use outcome::{ToolError, ToolOutcome};
pub use server::{Era, StartError, TestServer, TestServerBuilder};
pub use telemetry::{Capture, CapturedMetric, CapturedSpan, MetricPoint};
