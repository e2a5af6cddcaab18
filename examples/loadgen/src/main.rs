//! `loadgen`: drives any MCP server with tool calls and measures it.
//!
//! Built on rmcp's client, so every server is measured through the same
//! client code. Three measurements:
//!
//! * `loadgen run`: N calls in flight at once, for a duration or a count;
//!   reports calls/s, p50/p90/p99 latency, errors, and the server's CPU time
//!   per call.
//! * `loadgen ready`: the time from exec to the first answered tool call, and
//!   the server's resident memory once it is idle.
//! * `loadgen sessions`: the server's resident memory with many open legacy
//!   HTTP sessions (one `initialize` handshake each, kept open).
//! * `loadgen soak`: many HTTP sessions each calling a tool at a steady pace
//!   for minutes; the server's memory sampled, latency and errors by time
//!   window (scripts/soak.sh).
//!
//! ```text
//! loadgen run --concurrency 32 --duration 10s -- target/release/echo serve --stdio
//! loadgen run --url http://127.0.0.1:8080/mcp --calls 10000 --json
//! loadgen ready --repeat 5 -- target/release/echo serve --stdio
//! loadgen ready --url http://127.0.0.1:8080/mcp -- target/release/echo serve --http 127.0.0.1:8080
//! loadgen sessions --url http://127.0.0.1:8080/mcp --count 1000 --pid 4242
//! loadgen soak --url http://127.0.0.1:8080/mcp --sessions 1000 --duration 10m --pid 4242
//! ```
//!
//! The server is reached over stdio when a command follows `--` (loadgen
//! spawns it) and over streamable HTTP with `--url`. The legacy `initialize`
//! lifecycle is the default because older servers know nothing else;
//! `--protocol discover` uses the 2026-07-28 `server/discover` lifecycle.

mod duration;
mod latency;
mod load;
mod process;
mod ready;
mod sessions;
mod soak;
mod target;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::duration::parse_duration;
use crate::target::{CallSpec, Protocol, Target};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Drives an MCP server with tool calls and measures it."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Keep N calls in flight for a duration or a count; report calls/s,
    /// latency percentiles and errors.
    Run(RunArgs),
    /// Measure the time from exec to the first answered call, and the idle
    /// server's resident memory.
    Ready(ReadyArgs),
    /// Open many legacy HTTP sessions and report the server's resident memory.
    Sessions(SessionsArgs),
    /// Keep many HTTP sessions calling a tool at a steady pace for a long
    /// time; report memory, latency and errors over time.
    Soak(SoakArgs),
}

/// What to call, and how to talk to the server.
#[derive(Args, Debug, Clone)]
struct CallArgs {
    /// The tool to call.
    #[arg(long, default_value = "echo")]
    tool: String,
    /// The tool's arguments, as a JSON object.
    #[arg(long, value_name = "JSON", default_value = r#"{"message":"hello"}"#)]
    args: String,
    /// The MCP lifecycle: `legacy` (`initialize`, any server) or `discover`
    /// (2026-07-28 `server/discover`, stateless).
    #[arg(long, value_enum, default_value_t = Protocol::Legacy)]
    protocol: Protocol,
}

/// Output options shared by every measurement.
#[derive(Args, Debug, Clone)]
struct OutputArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// A name for this measurement, repeated in the output.
    #[arg(long)]
    label: Option<String>,
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("target").required(true).multiple(false).args(["url", "command"]))]
#[command(group = clap::ArgGroup::new("amount").multiple(false).args(["duration", "calls"]))]
struct RunArgs {
    /// The server's streamable HTTP endpoint, for example http://127.0.0.1:8080/mcp.
    #[arg(long)]
    url: Option<String>,
    /// The stdio server to spawn, after `--`: program and arguments.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
    /// How many calls are in flight at once.
    #[arg(long, short = 'c', default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    concurrency: u32,
    /// Measure for this long, for example 10s or 500ms (the default: 5s).
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Measure exactly this many calls instead of a duration.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    calls: Option<u64>,
    /// Calls made before measuring starts, to warm up both sides.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    warmup: Duration,
    /// A call taking longer than this is abandoned (cancelled) and counted as an error.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    timeout: Duration,
    /// The HTTP server's process id, to report its CPU time per call (Linux;
    /// a spawned stdio server's is known).
    #[arg(long, requires = "url")]
    server_pid: Option<u32>,
    #[command(flatten)]
    call: CallArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args, Debug)]
struct ReadyArgs {
    /// Poll this streamable HTTP endpoint of the spawned server; without it
    /// the spawned server is reached over stdio.
    #[arg(long)]
    url: Option<String>,
    /// The server to spawn, after `--`: program and arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
    /// How many times to start the server; the median is reported.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    repeat: u32,
    /// Give up on a start that takes longer than this.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    timeout: Duration,
    /// How long the server stays idle after its first call before its memory
    /// is read.
    #[arg(long, value_parser = parse_duration, default_value = "500ms")]
    settle: Duration,
    #[command(flatten)]
    call: CallArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args, Debug)]
struct SessionsArgs {
    /// The server's streamable HTTP endpoint.
    #[arg(long)]
    url: String,
    /// How many sessions to open and keep open.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    count: u32,
    /// The server's process id, whose resident memory is reported (Linux).
    #[arg(long)]
    pid: Option<u32>,
    /// How many handshakes are in flight at once while opening.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    parallel: u32,
    /// How long to wait with every session open before reading the memory.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    settle: Duration,
    /// Give up opening sessions after this long.
    #[arg(long, value_parser = parse_duration, default_value = "120s")]
    timeout: Duration,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args, Debug)]
struct SoakArgs {
    /// The server's streamable HTTP endpoint.
    #[arg(long)]
    url: String,
    /// How many sessions call at once, each its own MCP session.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    sessions: u32,
    /// How long the sessions keep calling, for example 10m or 60s.
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    duration: Duration,
    /// Each session makes one call this often (the offered load is
    /// sessions / interval calls per second).
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    interval: Duration,
    /// Latency and errors are reported per window of this length.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    window: Duration,
    /// The server's memory is read this often.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    sample: Duration,
    /// A call taking longer than this is abandoned and counted as an error.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    timeout: Duration,
    /// The server's process id, whose resident memory is sampled (Linux).
    #[arg(long)]
    pid: Option<u32>,
    /// When a call's answer names a workflow run waiting for input
    /// (`run_id`), send `workflows-resume` with this payload (a JSON object),
    /// under the signal name the answer gives (`waiting_for`).
    #[arg(long, value_name = "JSON")]
    resume_payload: Option<String>,
    #[command(flatten)]
    call: CallArgs,
    #[command(flatten)]
    output: OutputArgs,
}

impl CallArgs {
    fn spec(&self) -> anyhow::Result<CallSpec> {
        CallSpec::new(&self.tool, &self.args, self.protocol)
    }
}

fn target(url: Option<String>, command: Vec<String>) -> Target {
    match url {
        Some(url) => Target::Http { url },
        None => Target::Stdio { command },
    }
}

/// Prints a report as JSON or as text.
fn print_report<R: Serialize + std::fmt::Display>(report: &R, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(report)?);
    } else {
        println!("{report}");
    }
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => {
            let amount = match (args.calls, args.duration) {
                (Some(calls), _) => load::Amount::Calls(calls),
                (None, duration) => {
                    load::Amount::Duration(duration.unwrap_or(Duration::from_secs(5)))
                }
            };
            let plan = load::Plan {
                target: target(args.url, args.command),
                call: args.call.spec()?,
                concurrency: args.concurrency,
                amount,
                warmup: args.warmup,
                timeout: args.timeout,
                server_pid: args.server_pid,
                label: args.output.label,
            };
            let report = load::run(plan).await?;
            print_report(&report, args.output.json)
        }
        Command::Ready(args) => {
            let plan = ready::Plan {
                command: args.command,
                url: args.url,
                call: args.call.spec()?,
                repeat: args.repeat,
                timeout: args.timeout,
                settle: args.settle,
                label: args.output.label,
            };
            let report = ready::run(plan).await?;
            print_report(&report, args.output.json)
        }
        Command::Sessions(args) => {
            let plan = sessions::Plan {
                url: args.url,
                count: args.count,
                pid: args.pid,
                parallel: args.parallel,
                settle: args.settle,
                timeout: args.timeout,
                label: args.output.label,
            };
            let report = sessions::run(plan).await?;
            print_report(&report, args.output.json)
        }
        Command::Soak(args) => {
            let resume_payload = match args.resume_payload.as_deref() {
                None => None,
                Some(text) => match serde_json::from_str(text) {
                    Ok(serde_json::Value::Object(payload)) => Some(payload),
                    _ => anyhow::bail!("--resume-payload must be a JSON object, not {text}"),
                },
            };
            let plan = soak::Plan {
                url: args.url,
                call: args.call.spec()?,
                sessions: args.sessions,
                duration: args.duration,
                interval: args.interval,
                window: args.window,
                sample: args.sample,
                timeout: args.timeout,
                pid: args.pid,
                resume_payload,
                label: args.output.label,
            };
            let report = soak::run(plan).await?;
            print_report(&report, args.output.json)
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
