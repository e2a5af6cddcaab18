//! The command line every agentwire binary gets: `serve`, `list`, `call`,
//! `prompt` and `read`. The top of the tree: it reads the configuration,
//! starts telemetry, collects the registry and assembles the server.

mod args;
mod commands;
mod serve;

use std::process::ExitCode;

use args::{Cli, Command};

use crate::config::{AuthConfig, Config};
use crate::registry::Registry;
use crate::server::{AgentServer, ServerIdentity};
use crate::telemetry::Telemetry;
use crate::workflow::{BackendKind, WorkflowSettings};

/// An agentwire program: its identity, and the CLI that serves, lists or
/// calls its agents. [`main!`](crate::main) builds one for you.
#[derive(Debug, Clone)]
pub struct App {
    identity: ServerIdentity,
    bin_name: Option<String>,
    workflow_defaults: Option<WorkflowSettings>,
}

impl App {
    /// A program serving as `identity`.
    pub fn new(identity: ServerIdentity) -> Self {
        App {
            identity,
            bin_name: None,
            workflow_defaults: None,
        }
    }

    /// How workflows run where neither the configuration (`[workflows]`)
    /// nor the command line (`--workflow-backend`, `--workflow-journal`)
    /// says; without this, [`WorkflowSettings::default`] (the embedded
    /// journal, tasks after a second).
    pub fn workflow_defaults(mut self, defaults: WorkflowSettings) -> Self {
        self.workflow_defaults = Some(defaults);
        self
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
            Ok(runtime) => {
                let code = runtime.block_on(self.run_async());
                // A blocking read of stdin (the stdio transport) never ends
                // while the client keeps the pipe open: do not wait for it.
                runtime.shutdown_timeout(std::time::Duration::from_millis(500));
                code
            }
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
        let telemetry = Telemetry::init(
            &self.identity.name,
            &config.telemetry,
            default_log_filter(&cli.command),
        );
        #[cfg(feature = "temporal")]
        if matches!(
            cli.command,
            Command::Worker | Command::Replay(_) | Command::History(_)
        ) {
            let code = self.work(&cli, &config).await;
            telemetry.shutdown().await;
            return code;
        }
        let code = match self.assemble(&cli, &config).await {
            Ok(server) => run_command(server, cli.command, config.auth.clone()).await,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        };
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

    /// The server the command runs against: the registry, checked against
    /// the configuration, with its workflows on the chosen backend.
    async fn assemble(&self, cli: &Cli, config: &Config) -> Result<AgentServer, String> {
        let registry = Registry::collect().map_err(|error| error.to_string())?;
        for (server, agent) in registry.remote_servers() {
            if !config.servers.contains_key(server) {
                return Err(format!(
                    "the remote agent `{agent}` lives on the server `{server}`, which the \
                     configuration does not name; add [servers.{server}] with a `command` or a \
                     `url` to agentwire.toml (or pass --config)"
                ));
            }
        }
        let defaults = self.workflow_defaults.clone().unwrap_or_default();
        let settings = workflow_settings(cli, config, &registry, defaults);
        #[cfg(feature = "temporal")]
        if settings.backend == BackendKind::Temporal {
            let temporal = settings.temporal.clone().with_environment();
            let backend = crate::workflow::temporal::TemporalBackend::connect(
                &temporal,
                &self.identity.name,
                registry.definitions(),
                config.budget.resolve(),
            )
            .await?;
            let identity = self.identity.clone();
            return Ok(AgentServer::with_workflow_backend(
                registry,
                identity,
                config,
                std::sync::Arc::new(backend),
                &settings,
            ));
        }
        let store = settings
            .open_store(&self.identity.name)
            .map_err(|error| error.to_string())?;
        let identity = self.identity.clone();
        Ok(AgentServer::with_workflow_store(
            registry, identity, config, store, &settings,
        ))
    }
}

#[cfg(feature = "temporal")]
impl App {
    /// `worker`: executes this program's workflows for its Temporal task
    /// queue until a signal; `replay`: replays histories against them.
    async fn work(&self, cli: &Cli, config: &Config) -> ExitCode {
        let registry = match Registry::collect() {
            Ok(registry) => registry,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        };
        let defaults = self.workflow_defaults.clone().unwrap_or_default();
        let settings = workflow_settings(cli, config, &registry, defaults);
        let store = Config::store_file(&settings, &self.identity.name);
        let temporal = settings.temporal.with_environment();
        let host = std::sync::Arc::new(config.host(store));
        let worked = match &cli.command {
            Command::Replay(args) => {
                let mut histories = Vec::new();
                for path in &args.histories {
                    match std::fs::read(path) {
                        Ok(bytes) => histories.push((path.display().to_string(), bytes)),
                        Err(error) => {
                            eprintln!("error: cannot read {}: {error}", path.display());
                            return ExitCode::FAILURE;
                        }
                    }
                }
                let count = histories.len();
                let replayed =
                    crate::workflow::temporal::replay(histories, registry.definitions(), host)
                        .await;
                if replayed.is_ok() {
                    println!("{count} histories replayed: the code matches them");
                }
                replayed
            }
            Command::History(args) => {
                match crate::workflow::temporal::history(&temporal, &args.run_id).await {
                    Ok(json) => {
                        use std::io::Write;
                        let mut out = std::io::stdout();
                        out.write_all(&json)
                            .and_then(|()| out.flush())
                            .map_err(|e| format!("cannot write the history: {e}"))
                    }
                    Err(message) => Err(message),
                }
            }
            _ => {
                crate::workflow::temporal::run_worker(
                    &temporal,
                    &self.identity.name,
                    registry.definitions(),
                    host,
                    call_agent_json,
                    serve::shutdown_signal(),
                )
                .await
            }
        };
        match worked {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        }
    }
}

/// How a Temporal worker runs a run's agent call: as any agent call with
/// JSON arguments, here or on the agent's MCP server.
#[cfg(feature = "temporal")]
fn call_agent_json(
    caller: crate::agent::AgentContext,
    callee: &'static crate::agent::AgentDefinition,
    arguments: rmcp::model::JsonObject,
    narrowing: crate::budget::Budget,
) -> futures::future::BoxFuture<'static, Result<serde_json::Value, crate::agent::CallError>> {
    Box::pin(
        async move { crate::remote::call_agent_json(&caller, callee, arguments, narrowing).await },
    )
}

/// Logs go to stderr (stdout belongs to the protocol under --stdio):
/// `info` while serving, `warn` otherwise, unless RUST_LOG says more.
/// rmcp's per-connection chatter stays at `warn`.
fn default_log_filter(command: &Command) -> &'static str {
    match command {
        Command::Serve(_) => "info,rmcp=warn",
        #[cfg(feature = "temporal")]
        Command::Worker => "info,temporalio_sdk_core=warn",
        #[cfg(feature = "temporal")]
        Command::Replay(_) | Command::History(_) => "error",
        _ => "warn",
    }
}

/// How workflows run: the program's defaults, overridden by the
/// configuration, overridden by the command line; in memory when there is
/// nothing to keep, so that no journal file is created.
fn workflow_settings(
    cli: &Cli,
    config: &Config,
    registry: &Registry,
    defaults: WorkflowSettings,
) -> WorkflowSettings {
    let mut settings = config.workflows.resolve_over(defaults);
    if let Some(backend) = cli.workflow_backend.as_deref().and_then(BackendKind::parse) {
        settings.backend = backend;
    }
    if let Some(journal) = &cli.workflow_journal {
        settings.journal = Some(journal.clone());
    }
    let has_workflows = registry.definitions().any(|d| d.is_workflow());
    if !has_workflows || matches!(cli.command, Command::List(_)) {
        settings.backend = BackendKind::Memory;
    }
    settings
}

/// Runs `command` against `server`, then closes its connections so that
/// children started for remote agents exit (and flush) cleanly.
async fn run_command(server: AgentServer, command: Command, auth: Option<AuthConfig>) -> ExitCode {
    let code = match command {
        Command::Serve(args) => match recover_workflows(&server).await {
            Ok(()) => serve::serve(server.clone(), args, auth).await,
            Err(code) => code,
        },
        Command::List(args) => commands::list(server.registry(), args),
        Command::Call(args) => commands::call(&server, args).await,
        Command::Prompt(args) => commands::prompt(&server, args).await,
        Command::Read(args) => commands::read(&server, args).await,
        #[cfg(feature = "temporal")]
        Command::Worker | Command::Replay(_) | Command::History(_) => ExitCode::SUCCESS,
    };
    server.close_connections().await;
    code
}

/// Starts the unfinished workflow runs again before serving.
async fn recover_workflows(server: &AgentServer) -> Result<(), ExitCode> {
    let Some(backend) = server.workflow_backend() else {
        return Ok(());
    };
    match server.recover_workflows().await {
        Ok(recovery) => {
            tracing::info!(
                journal = %backend.location(),
                resumed = recovery.resumed,
                "workflow runs recovered"
            );
            for damaged in &recovery.damaged {
                eprintln!("warning: {damaged}; the run is left as it is");
            }
            Ok(())
        }
        Err(error) => {
            eprintln!("error: the unfinished workflow runs cannot be read: {error}");
            Err(ExitCode::FAILURE)
        }
    }
}
