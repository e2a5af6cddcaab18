//! The command line's grammar: global options and one subcommand.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};

use crate::transport::http::HttpOptions;

#[derive(Parser, Debug)]
#[command(
    propagate_version = true,
    after_help = "Logs go to stderr; set RUST_LOG (for example RUST_LOG=debug) to see more."
)]
pub(super) struct Cli {
    /// The configuration file (default budget, remote servers); otherwise
    /// $AGENTWIRE_CONFIG, or ./agentwire.toml when it exists.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    /// Where workflow runs are kept: `embedded` (a journal file that
    /// survives crashes and restarts; the default), `memory`, or
    /// `temporal` (a Temporal cluster; programs built with agentwire's
    /// `temporal` feature). Overrides `[workflows] backend` in the
    /// configuration.
    #[arg(long, global = true, value_name = "BACKEND", value_parser = BACKENDS)]
    pub workflow_backend: Option<String>,
    /// The embedded journal's file (default: <server name>.journal in the
    /// working directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub workflow_journal: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// The values of `--workflow-backend`.
#[cfg(not(feature = "temporal"))]
const BACKENDS: [&str; 2] = ["memory", "embedded"];
#[cfg(feature = "temporal")]
const BACKENDS: [&str; 3] = ["memory", "embedded", "temporal"];

#[derive(Subcommand, Debug)]
pub(super) enum Command {
    /// Serve the agents as an MCP server, on stdio (the default) or streamable HTTP.
    Serve(ServeArgs),
    /// Print every tool with its input and output schema, as JSON.
    List(ListArgs),
    /// Run one agent in this process and print its result.
    Call(CallArgs),
    /// Render one prompt in this process and print its messages, as JSON.
    Prompt(PromptArgs),
    /// Read one resource in this process and print its contents.
    Read(ReadArgs),
    /// Execute workflow runs from the Temporal cluster of
    /// `[workflows.temporal]` (or $TEMPORAL_ADDRESS) until a signal: start
    /// as many as you like, on as many machines.
    #[cfg(feature = "temporal")]
    Worker,
    /// Replay recorded Temporal histories (JSON files, from `temporal
    /// workflow show --output json`) against this program's workflow code;
    /// fails when the code no longer matches one of them.
    #[cfg(feature = "temporal")]
    Replay(ReplayArgs),
    /// Print the Temporal history of a run as JSON, in the form `replay`
    /// reads.
    #[cfg(feature = "temporal")]
    History(HistoryArgs),
}

#[cfg(feature = "temporal")]
#[derive(Args, Debug)]
pub(super) struct HistoryArgs {
    /// The run's id.
    pub run_id: String,
}

#[cfg(feature = "temporal")]
#[derive(Args, Debug)]
pub(super) struct ReplayArgs {
    /// The history files.
    #[arg(required = true)]
    pub histories: Vec<std::path::PathBuf>,
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("transport").multiple(false))]
pub(super) struct ServeArgs {
    /// Serve on stdin/stdout, for clients that start the server themselves.
    #[arg(long, group = "transport")]
    pub stdio: bool,
    /// Serve streamable HTTP on this address, for example 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR", group = "transport")]
    pub http: Option<SocketAddr>,
    /// The path of the HTTP endpoint.
    #[arg(long, default_value = "/mcp", requires = "http")]
    pub path: String,
    /// Requests with a larger body are refused with 413.
    #[arg(long, value_name = "BYTES", default_value_t = HttpOptions::default().max_body_bytes)]
    pub max_body_bytes: usize,
    /// Accept this Host header (repeatable). Only loopback names are accepted
    /// by default, against DNS rebinding; add your host name when serving
    /// beyond this machine.
    #[arg(long = "allow-host", value_name = "HOST", requires = "http")]
    pub allowed_hosts: Vec<String>,
    /// Accept this browser Origin (repeatable), as `scheme://host:port` or
    /// `scheme://host:*`. Only pages served from loopback names are accepted
    /// by default; `*` accepts any origin.
    #[arg(long = "allow-origin", value_name = "ORIGIN", requires = "http")]
    pub allowed_origins: Vec<String>,
}

#[derive(Args, Debug)]
pub(super) struct ListArgs {
    /// Print the call graph of the agents (a Mermaid flowchart) instead.
    #[arg(long)]
    pub graph: bool,
}

#[derive(Args, Debug)]
pub(super) struct CallArgs {
    /// The tool name of the agent to run.
    pub tool: String,
    /// The tool's arguments as a JSON object.
    #[arg(long, value_name = "JSON", default_value = "{}")]
    pub args: String,
    /// A budget grant, as a client would send it in
    /// `_meta["dev.agentwire/budget"]`, e.g. '{"tokens": 1000, "timeoutMs": 5000}'.
    #[arg(long, value_name = "JSON")]
    pub budget: Option<String>,
}

#[derive(Args, Debug)]
pub(super) struct PromptArgs {
    /// The prompt's name.
    pub name: String,
    /// The prompt's arguments as a JSON object of strings.
    #[arg(long, value_name = "JSON", default_value = "{}")]
    pub args: String,
}

#[derive(Args, Debug)]
pub(super) struct ReadArgs {
    /// The resource's URI.
    pub uri: String,
}
