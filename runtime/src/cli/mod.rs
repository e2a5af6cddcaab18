//! The command line every agentwire binary gets: `serve`, `list`, `call`.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use rmcp::model::{CallToolResult, JsonObject};
use tokio_util::sync::CancellationToken;

use crate::budget::Budget;
use crate::config::Config;
use crate::mcp::meta::{BUDGET_KEY, read_grant};
use crate::registry::Registry;
use crate::server::{AgentServer, ServerIdentity};
use crate::telemetry::Telemetry;
use crate::transport::http::{HttpOptions, HttpServer};
use crate::transport::stdio::serve_stdio;
use crate::workflow::BackendKind;

#[derive(Parser, Debug)]
#[command(
    propagate_version = true,
    after_help = "Logs go to stderr; set RUST_LOG (for example RUST_LOG=debug) to see more."
)]
struct Cli {
    /// The configuration file (default budget, remote servers); otherwise
    /// $AGENTWIRE_CONFIG, or ./agentwire.toml when it exists.
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<std::path::PathBuf>,
    /// Where workflow runs are kept: `embedded` (a journal file that
    /// survives crashes and restarts; the default) or `memory`. Overrides
    /// `[workflows] backend` in the configuration.
    #[arg(long, global = true, value_name = "BACKEND", value_parser = ["memory", "embedded"])]
    workflow_backend: Option<String>,
    /// The embedded journal's file (default: <server name>.journal in the
    /// working directory).
    #[arg(long, global = true, value_name = "PATH")]
    workflow_journal: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("transport").multiple(false))]
struct ServeArgs {
    /// Serve on stdin/stdout, for clients that start the server themselves.
    #[arg(long, group = "transport")]
    stdio: bool,
    /// Serve streamable HTTP on this address, for example 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR", group = "transport")]
    http: Option<SocketAddr>,
    /// The path of the HTTP endpoint.
    #[arg(long, default_value = "/mcp", requires = "http")]
    path: String,
    /// Requests with a larger body are refused with 413.
    #[arg(long, value_name = "BYTES", default_value_t = HttpOptions::default().max_body_bytes)]
    max_body_bytes: usize,
    /// Accept this Host header (repeatable). Only loopback names are accepted
    /// by default, against DNS rebinding; add your host name when serving
    /// beyond this machine.
    #[arg(long = "allow-host", value_name = "HOST", requires = "http")]
    allowed_hosts: Vec<String>,
    /// Accept this browser Origin (repeatable), as `scheme://host:port` or
    /// `scheme://host:*`. Only pages served from loopback names are accepted
    /// by default; `*` accepts any origin.
    #[arg(long = "allow-origin", value_name = "ORIGIN", requires = "http")]
    allowed_origins: Vec<String>,
}

#[derive(Args, Debug)]
struct ListArgs {
    /// Print the call graph of the agents (a Mermaid flowchart) instead.
    #[arg(long)]
    graph: bool,
}

#[derive(Args, Debug)]
struct CallArgs {
    /// The tool name of the agent to run.
    tool: String,
    /// The tool's arguments as a JSON object.
    #[arg(long, value_name = "JSON", default_value = "{}")]
    args: String,
    /// A budget grant, as a client would send it in
    /// `_meta["dev.agentwire/budget"]`, e.g. '{"tokens": 1000, "timeoutMs": 5000}'.
    #[arg(long, value_name = "JSON")]
    budget: Option<String>,
}

#[derive(Args, Debug)]
struct PromptArgs {
    /// The prompt's name.
    name: String,
    /// The prompt's arguments as a JSON object of strings.
    #[arg(long, value_name = "JSON", default_value = "{}")]
    args: String,
}

#[derive(Args, Debug)]
struct ReadArgs {
    /// The resource's URI.
    uri: String,
}

/// An agentwire program: its identity, and the CLI that serves, lists or
/// calls its agents. [`main!`](crate::main) builds one for you.
#[derive(Debug, Clone)]
pub struct App {
    identity: ServerIdentity,
    bin_name: Option<String>,
}

impl App {
    /// A program serving as `identity`.
    pub fn new(identity: ServerIdentity) -> Self {
        App {
            identity,
            bin_name: None,
        }
    }

    /// The program name shown in `--help`.
    pub fn bin_name(mut self, name: impl Into<String>) -> Self {
        self.bin_name = Some(name.into());
        self
    }

    /// Parses the command line, runs the command on a new multi-threaded
    /// tokio runtime, and returns the process's exit code.
    pub fn run(self) -> ExitCode {
        match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(self.run_async()),
            Err(error) => {
                eprintln!("error: could not start the tokio runtime: {error}");
                ExitCode::FAILURE
            }
        }
    }

    /// [`run`](Self::run) on the caller's runtime.
    pub async fn run_async(self) -> ExitCode {
        self.run_with_args(std::env::args_os()).await
    }

    /// [`run_async`](Self::run_async) with explicit arguments (the first is
    /// the program name).
    pub async fn run_with_args<I, T>(self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let cli = match self.parse(args) {
            Ok(cli) => cli,
            Err(error) => {
                let _ = error.print();
                return if error.use_stderr() {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
        };
        let config = match Config::load(cli.config.as_deref()) {
            Ok(config) => config,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        };
        // Logs go to stderr (stdout belongs to the protocol under --stdio):
        // `info` while serving, `warn` otherwise, unless RUST_LOG says more.
        // rmcp's per-connection chatter stays at `warn`.
        let default_filter = match cli.command {
            Command::Serve(_) => "info,rmcp=warn",
            _ => "warn",
        };
        let telemetry = Telemetry::init(&self.identity.name, &config.telemetry, default_filter);
        let registry = match Registry::collect() {
            Ok(registry) => registry,
            Err(error) => {
                eprintln!("error: {error}");
                telemetry.shutdown().await;
                return ExitCode::FAILURE;
            }
        };
        for (server, agent) in registry.remote_servers() {
            if !config.servers.contains_key(server) {
                eprintln!(
                    "error: the remote agent `{agent}` lives on the server `{server}`, which the \
                     configuration does not name; add [servers.{server}] with a `command` or a \
                     `url` to agentwire.toml (or pass --config)"
                );
                telemetry.shutdown().await;
                return ExitCode::FAILURE;
            }
        }
        let has_workflows = registry.definitions().any(|d| d.workflow().is_some());
        let mut settings = config.workflows.resolve();
        if let Some(backend) = cli.workflow_backend.as_deref().and_then(BackendKind::parse) {
            settings.backend = backend;
        }
        if let Some(journal) = cli.workflow_journal {
            settings.journal = Some(journal);
        }
        if !has_workflows || matches!(cli.command, Command::List(_)) {
            // Nothing to keep: no journal file is created.
            settings.backend = BackendKind::Memory;
        }
        let store = match settings.open_store(&self.identity.name) {
            Ok(store) => store,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        };
        let server =
            AgentServer::with_workflow_store(registry, self.identity, &config, store, &settings);
        let code = match cli.command {
            Command::Serve(args) => {
                match server.recover_workflows().await {
                    Ok(recovery) if has_workflows => {
                        tracing::info!(
                            journal = %server.workflow_backend().map(|b| b.location()).unwrap_or_default(),
                            resumed = recovery.resumed,
                            "workflow runs recovered"
                        );
                        for damaged in &recovery.damaged {
                            eprintln!("warning: {damaged}; the run is left as it is");
                        }
                    }
                    Ok(_) => {}
                    Err(error) => {
                        eprintln!("error: the unfinished workflow runs cannot be read: {error}");
                        return ExitCode::FAILURE;
                    }
                }
                serve(server.clone(), args).await
            }
            Command::List(args) => list(server.registry(), args),
            Command::Call(args) => call(&server, args).await,
            Command::Prompt(args) => prompt(&server, args).await,
            Command::Read(args) => read(&server, args).await,
        };
        // Children started for remote agents get to exit (and flush) cleanly.
        server.close_connections().await;
        telemetry.shutdown().await;
        code
    }

    fn parse<I, T>(&self, args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{CommandFactory, FromArgMatches};
        let about = self.identity.description.clone().unwrap_or_else(|| {
            format!(
                "{}: an MCP server of AI agents, built with agentwire",
                self.identity.name
            )
        });
        let mut command = Cli::command()
            .name(self.identity.name.clone())
            .version(self.identity.version.clone())
            .about(about);
        if let Some(bin) = &self.bin_name {
            command = command.bin_name(bin.clone());
        }
        let matches = command.try_get_matches_from(args)?;
        Cli::from_arg_matches(&matches)
    }
}

/// The environment variable holding the key that signs 2026-era
/// `requestState`s, shared by replicas behind one address.
const REQUEST_STATE_KEY: &str = "AGENTWIRE_REQUEST_STATE_KEY";

async fn serve(server: AgentServer, args: ServeArgs) -> ExitCode {
    let server = match std::env::var_os(REQUEST_STATE_KEY) {
        None => server,
        Some(key) => match server.with_request_state_key(key.as_encoded_bytes()) {
            Ok(server) => server,
            Err(error) => {
                eprintln!("error: {REQUEST_STATE_KEY}: {error}");
                return ExitCode::FAILURE;
            }
        },
    };
    let name = server.identity().name.clone();
    let tools = server.registry().len();
    let Some(addr) = args.http else {
        tracing::info!("{name} serves {tools} tools on stdio");
        return tokio::select! {
            served = serve_stdio(server) => match served {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("error: the stdio server stopped: {error}");
                    ExitCode::FAILURE
                }
            },
            () = shutdown_signal() => ExitCode::SUCCESS,
        };
    };
    let options = HttpOptions {
        path: args.path,
        max_body_bytes: args.max_body_bytes,
        allowed_hosts: (!args.allowed_hosts.is_empty()).then_some(args.allowed_hosts),
        allowed_origins: (!args.allowed_origins.is_empty()).then_some(args.allowed_origins),
    };
    let path = options.path.clone();
    let http = match HttpServer::bind(server, addr, options).await {
        Ok(http) => http,
        Err(error) => {
            eprintln!("error: cannot listen on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    // Printed on stdout so that scripts and tests can learn the port chosen
    // for `--http 127.0.0.1:0`.
    println!("listening on http://{}{path}", http.local_addr());
    let _ = std::io::stdout().flush();
    tracing::info!(
        "{name} serves {tools} tools on http://{}{path}",
        http.local_addr()
    );
    let stop = http.shutdown_token();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        stop.cancel();
    });
    match http.wait().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the HTTP server stopped: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn list(registry: &Registry, args: ListArgs) -> ExitCode {
    if args.graph {
        print!("{}", registry.call_graph_mermaid());
        return ExitCode::SUCCESS;
    }
    let tools: Vec<_> = registry.tools().collect();
    match serde_json::to_string_pretty(&tools) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: could not print the tools: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn call(server: &AgentServer, args: CallArgs) -> ExitCode {
    let arguments: JsonObject = match serde_json::from_str(&args.args) {
        Ok(arguments) => arguments,
        Err(error) => {
            eprintln!("error: --args must be a JSON object: {error}");
            return ExitCode::from(2);
        }
    };
    let grant = match args.budget.as_deref().map(parse_grant).transpose() {
        Ok(grant) => grant.flatten(),
        Err(error) => {
            eprintln!("error: --budget: {error}");
            return ExitCode::from(2);
        }
    };
    let cancellation = CancellationToken::new();
    let stop = cancellation.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stop.cancel();
    });
    let Some(result) = server
        .call(&args.tool, arguments, grant, cancellation)
        .await
    else {
        let known: Vec<_> = server
            .registry()
            .tools()
            .map(|t| t.name.to_string())
            .collect();
        eprintln!(
            "error: there is no tool `{}`; the tools are: {}",
            args.tool,
            known.join(", ")
        );
        return ExitCode::from(2);
    };
    if let Some(meta) = &result.meta {
        // The wire-level details, for people and scripts reading stderr.
        eprintln!("_meta: {}", serde_json::Value::Object(meta.0.clone()));
    }
    print_result(result)
}

/// Reads `--budget` exactly as a grant in `_meta` is read.
fn parse_grant(text: &str) -> Result<Option<Budget>, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut meta = JsonObject::new();
    meta.insert(BUDGET_KEY.into(), value);
    read_grant(&meta).map_err(|e| e.to_string())
}

/// A token cancelled by Ctrl-C or SIGTERM, for one-shot commands.
fn interruptible() -> CancellationToken {
    let cancellation = CancellationToken::new();
    let stop = cancellation.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stop.cancel();
    });
    cancellation
}

async fn prompt(server: &AgentServer, args: PromptArgs) -> ExitCode {
    let registry = server.registry();
    let Some(definition) = registry.prompt(&args.name) else {
        let known: Vec<_> = registry.prompts().map(|p| p.name).collect();
        eprintln!(
            "error: there is no prompt `{}`; the prompts are: {}",
            args.name,
            known.join(", ")
        );
        return ExitCode::from(2);
    };
    let arguments: JsonObject = match serde_json::from_str(&args.args) {
        Ok(arguments) => arguments,
        Err(error) => {
            eprintln!("error: --args must be a JSON object: {error}");
            return ExitCode::from(2);
        }
    };
    match server
        .render_prompt(definition, arguments, interruptible(), None)
        .await
    {
        Ok(messages) => {
            let messages: Vec<_> = messages.into_iter().map(|m| m.into_rmcp()).collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&messages).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("error: {}", failure.message());
            ExitCode::FAILURE
        }
    }
}

async fn read(server: &AgentServer, args: ReadArgs) -> ExitCode {
    let Some((definition, variables)) = server.registry().resource_for(&args.uri) else {
        eprintln!("error: no resource has the URI `{}`", args.uri);
        return ExitCode::from(2);
    };
    match server
        .read_contents(definition, variables, interruptible(), None)
        .await
    {
        Ok(contents) => {
            for content in contents {
                match content.into_rmcp(args.uri.clone(), definition.mime_type) {
                    rmcp::model::ResourceContents::TextResourceContents { text, .. } => {
                        println!("{text}");
                    }
                    blob => println!(
                        "{}",
                        serde_json::to_string_pretty(&blob).unwrap_or_default()
                    ),
                }
            }
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("error: {}", failure.message());
            ExitCode::FAILURE
        }
    }
}

fn print_result(result: CallToolResult) -> ExitCode {
    let text = match &result.structured_content {
        Some(structured) => serde_json::to_string_pretty(structured).unwrap_or_default(),
        None => result
            .content
            .iter()
            .filter_map(|block| block.as_text().map(|t| t.text.as_str()))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    if result.is_error == Some(true) {
        eprintln!("error: {text}");
        ExitCode::FAILURE
    } else {
        println!("{text}");
        ExitCode::SUCCESS
    }
}
