//! `agentwire.toml`: the server's default budget and the other MCP servers
//! its remote agents live on.
//!
//! ```toml
//! [budget]            # what a request may use unless its agent or caller says less
//! time = "5m"
//! depth = 8
//! calls = 256
//! tokens = 1_000_000
//! cost = "$5"
//!
//! [servers.summarizer]          # started as a child process, spoken to over stdio
//! command = "summarizer"
//! args = ["serve", "--stdio"]
//!
//! [servers.researcher]          # or reached over streamable HTTP
//! url = "http://127.0.0.1:8081/mcp"
//!
//! [workflows]                   # how #[workflow] runs are kept
//! backend = "embedded"          # or "memory"; --workflow-backend overrides it
//! journal = "my-server.journal" # relative to this file; default: <server>.journal in the working directory
//! sync = "full"                 # or "normal": survives kill -9, not a power cut
//! task_after = "1s"             # a tools/call waits this long before answering with an MCP task
//!
//! [workflows.temporal]          # backend = "temporal" (cargo feature `temporal`); `worker` too
//! address = "127.0.0.1:7233"    # $TEMPORAL_ADDRESS overrides it
//! namespace = "default"         # $TEMPORAL_NAMESPACE overrides it
//! task_queue = "agentwire-my-server" # the default: agentwire-<server name>
//! tls = false                   # true for Temporal Cloud (implied by an API key and the tls_* settings)
//! tls_ca = "ca.pem"             # the CA of a self-hosted cluster's certificate (default: the system's roots)
//! tls_cert = "worker.pem"       # this process's certificate for mutual TLS, with tls_key
//! tls_key = "worker-key.pem"
//! tls_server_name = "temporal.internal" # when the certificate's name is not the address's host
//! api_key_env = "TEMPORAL_API_KEY" # the variable holding the API key (the default)
//! task_timeout = "60s"          # a workflow task (steps and agent calls are activities); at most 120s
//! ```
//!
//! `[llm]` and `[providers.*]` configure models: see [`crate::llm::config`].
//! `[auth]` makes the HTTP endpoint an OAuth resource server: see
//! [`crate::transport::auth::config`] and docs/auth.md.
//!
//! Environment variables override a server: `AGENTWIRE_SERVER_<NAME>_URL`
//! switches it to HTTP, `AGENTWIRE_SERVER_<NAME>_COMMAND` (a command line:
//! the program and its arguments, split at spaces) to stdio. `<NAME>` is the
//! server's name in upper case, characters other than letters and digits as `_`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::agent::Host;
use crate::llm::config::{LlmConfig, ProviderConfig};
use crate::llm::models::Models;
use crate::quota::Quotas;
use crate::registry::Registry;
use crate::remote::{RemotePool, SignIns, TokenVault};
use crate::server::{AgentServer, LimitsConfig, ServerIdentity};
use crate::workflow::store::JournalStore;
use crate::workflow::{BackendKind, WorkflowBackend, WorkflowSettings};

pub use crate::budget::BudgetConfig;
pub use crate::remote::{
    ClientCredentials, INHERITED_ENV, OAuthClient, RemoteAuth, RemoteServer, TOKEN_KEY_ENV,
    TokenExchange, UnreportedUsage, UserSignIn,
};
pub use crate::transport::auth::AuthConfig;
pub use crate::workflow::WorkflowsConfig;

/// The contents of `agentwire.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    /// `[budget]`: the server's default budget.
    pub budget: BudgetConfig,
    #[serde(default)]
    /// `[servers.NAME]`: the other MCP servers remote agents live on.
    pub servers: BTreeMap<String, RemoteServer>,
    /// How many tool calls run at once (`[limits]`).
    #[serde(default)]
    pub limits: LimitsConfig,
    /// The models agents use (`[llm]`).
    #[serde(default)]
    pub llm: LlmConfig,
    /// Where models are served (`[providers.NAME]`).
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderConfig>,
    #[serde(default)]
    /// `[telemetry]`: OpenTelemetry export.
    pub telemetry: crate::telemetry::TelemetryConfig,
    #[serde(default)]
    /// `[workflows]`: how workflow runs are kept.
    pub workflows: WorkflowsConfig,
    /// The HTTP endpoint as an OAuth 2.1 resource server (`[auth]`).
    #[serde(default)]
    pub auth: Option<AuthConfig>,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    #[error("{path} is not a valid agentwire.toml: {message}")]
    /// The file is not a valid configuration.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        message: String,
    },
}

impl Config {
    /// The file named by `explicit`, else `$AGENTWIRE_CONFIG`, else
    /// `./agentwire.toml` when it exists, else the defaults; then the
    /// environment overrides.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let from_env = std::env::var_os("AGENTWIRE_CONFIG").map(PathBuf::from);
        let path = explicit.map(Path::to_path_buf).or(from_env).or_else(|| {
            let local = PathBuf::from("agentwire.toml");
            local.exists().then_some(local)
        });
        let mut config = match &path {
            Some(path) => Config::read(path)?,
            None => Config::default(),
        };
        config.apply_env(|key| std::env::var(key).ok());
        Ok(config)
    }

    fn read(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Config::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
        // Files named in it, and commands, are where the config file is,
        // wherever the server runs.
        let base = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let relative = |path: PathBuf| {
            if path.is_absolute() {
                path
            } else {
                base.join(path)
            }
        };
        config.workflows.journal = config.workflows.journal.take().map(relative);
        if let Some(temporal) = config.workflows.temporal.as_mut() {
            for file in [
                &mut temporal.tls_ca,
                &mut temporal.tls_cert,
                &mut temporal.tls_key,
            ] {
                *file = file.take().map(relative);
            }
        }
        for server in config.servers.values_mut() {
            if server.command.is_some() {
                server.cwd = Some(server.cwd.take().map_or(base.to_path_buf(), relative));
            }
        }
        if let Some(auth) = &mut config.auth {
            auth.quota_file = auth.quota_file.take().map(relative);
        }
        for provider in config.providers.values_mut() {
            provider.api_key_file = provider.api_key_file.take().map(relative);
        }
        Ok(config)
    }

    /// Parses the text of a config file and checks its values.
    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        config.budget.check()?;
        config.workflows.check()?;
        if let Some(auth) = &config.auth {
            auth.check()?;
        }
        config.limits.check()?;
        crate::llm::config::check(&config.llm, &config.providers)?;
        for (name, server) in &config.servers {
            server.check(name)?;
        }
        Ok(config)
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) {
        crate::llm::config::apply_env(&mut self.llm, &self.providers, &var);
        for (name, server) in &mut self.servers {
            server.apply_env(name, &var);
        }
    }
}

impl Config {
    /// The process-wide host of a server configured by this file: the
    /// default budget, the connections to the `[servers]`, the models
    /// of `[llm]` and `[providers]` (keys read from the environment), and,
    /// in the embedded store `store`, the quotas and users' downstream tokens.
    pub(crate) fn host(&self, store: PathBuf) -> Host {
        let models = Models::new(&self.llm, &self.providers, |key| std::env::var(key).ok());
        let mut host = Host::new(self.budget.resolve())
            .with(RemotePool::new(self.servers.clone()))
            .with(models)
            .with(self.limits.clone());
        if let Some(auth) = &self.auth
            && !auth.quotas.is_empty()
        {
            let file = auth.quota_file.clone().unwrap_or_else(|| store.clone());
            host = host.with(Quotas::new(&auth.quotas, file));
        }
        let users_sign_in = self
            .servers
            .values()
            .any(|s| s.auth.as_ref().is_some_and(|a| a.user.is_some()));
        if users_sign_in {
            match TokenVault::key_from_env() {
                Ok(key) => {
                    if let Some(sign_ins) =
                        SignIns::new(&self.servers, TokenVault::new(store, &key))
                    {
                        host = host.with(sign_ins);
                    }
                }
                Err(error) => tracing::error!("users cannot sign in to other servers: {error}"),
            }
        }
        host
    }

    /// The embedded store of the server `server_name` run with `settings`:
    /// the workflow journal's SQLite file when runs are kept there (quotas
    /// and tokens have tables of their own in it), else `<server>.store`.
    pub(crate) fn store_file(settings: &WorkflowSettings, server_name: &str) -> PathBuf {
        match settings.backend {
            BackendKind::Embedded => settings.journal_path(server_name),
            #[allow(unreachable_patterns)] // other backends keep runs elsewhere
            _ => PathBuf::from(format!("{server_name}.store")),
        }
    }
}

/// Servers assembled from a configuration: the top of the tree, where the
/// sections of agentwire.toml meet the layers that use them.
impl AgentServer {
    /// A server for `registry` configured by `config` (default budget, remote
    /// servers, models). Its workflows, if any, run on the `memory` backend.
    pub fn with_config(registry: Registry, identity: ServerIdentity, config: &Config) -> Self {
        let store = Config::store_file(&config.workflows.resolve(), &identity.name);
        Self::with_host(registry, identity, config.host(store))
    }

    /// A server whose workflows run on the journal engine over `store`
    /// (see [`WorkflowSettings::open_store`]). Call
    /// [`recover_workflows`](Self::recover_workflows) once it is built.
    pub fn with_workflow_store(
        registry: Registry,
        identity: ServerIdentity,
        config: &Config,
        store: Arc<dyn JournalStore>,
        settings: &WorkflowSettings,
    ) -> Self {
        let file = Config::store_file(settings, &identity.name);
        Self::with_host_and_store(registry, identity, config.host(file), store, settings)
    }

    /// A server whose workflows run on `backend`, which was built for this
    /// registry (a backend other than the journal engine).
    pub fn with_workflow_backend(
        registry: Registry,
        identity: ServerIdentity,
        config: &Config,
        backend: Arc<dyn WorkflowBackend>,
        settings: &WorkflowSettings,
    ) -> Self {
        let file = Config::store_file(settings, &identity.name);
        Self::with_host_and_backend(registry, identity, config.host(file), backend, settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use crate::budget::Budget;
    use crate::workflow::BackendKind;
    use crate::workflow::store::Synchronous;

    #[test]
    fn budgets_and_servers_are_read_and_checked() {
        let config = Config::parse(
            r#"
            [budget]
            time = "30s"
            cost = "$0.25"
            [servers.a]
            command = "a-server"
            args = ["serve", "--stdio"]
            [servers.b]
            url = "http://127.0.0.1:1/mcp"
            "#,
        )
        .unwrap();
        let budget = config.budget.resolve();
        assert_eq!(budget.time, Some(Duration::from_secs(30)));
        assert_eq!(budget.cost_micros, Some(250_000));
        assert_eq!(budget.depth, Budget::SERVER_DEFAULT.depth);
        assert_eq!(config.servers["a"].args, ["serve", "--stdio"]);

        let bad_time = Config::parse("[budget]\ntime = \"soon\"").unwrap_err();
        assert!(bad_time.contains("[budget] time"), "{bad_time}");
        let both = Config::parse("[servers.x]\ncommand = \"x\"\nurl = \"http://h\"").unwrap_err();
        assert!(both.contains("exactly one"), "{both}");
        let unknown = Config::parse("[budgett]\ntime = \"1s\"").unwrap_err();
        assert!(unknown.contains("budgett"), "{unknown}");
    }

    #[test]
    fn the_workflows_section_chooses_the_backend_and_is_checked() {
        let config = Config::parse(
            "[workflows]\nbackend = \"memory\"\nsync = \"normal\"\ntask_after = \"250ms\"",
        )
        .unwrap();
        let settings = config.workflows.resolve();
        assert_eq!(settings.backend, BackendKind::Memory);
        assert_eq!(settings.synchronous, Synchronous::Normal);
        assert_eq!(settings.task_after, Duration::from_millis(250));
        assert_eq!(
            Config::default().workflows.resolve().backend,
            BackendKind::Embedded
        );
        let bad = Config::parse("[workflows]\nbackend = \"temporal-ish\"").unwrap_err();
        assert!(bad.contains("embedded"), "{bad}");
        let bad = Config::parse("[workflows]\nsync = \"off\"").unwrap_err();
        assert!(bad.contains("normal"), "{bad}");
    }

    #[test]
    fn the_temporal_section_is_read_and_checked() {
        let config = Config::parse(
            "[workflows.temporal]\naddress = \"temporal.internal:7233\"\nnamespace = \"prod\"\n\
             task_queue = \"reports\"\ntls = true\ntask_timeout = \"90s\"",
        )
        .unwrap();
        let temporal = config.workflows.resolve().temporal;
        assert_eq!(temporal.address, "temporal.internal:7233");
        assert_eq!(temporal.namespace, "prod");
        assert_eq!(temporal.task_queue_for("server"), "reports");
        assert!(temporal.tls);
        assert_eq!(temporal.task_timeout, Duration::from_secs(90));
        let defaults = Config::default().workflows.resolve().temporal;
        assert_eq!(defaults.address, "127.0.0.1:7233");
        assert_eq!(defaults.task_queue_for("durable"), "agentwire-durable");
        let bad = Config::parse("[workflows.temporal]\ntask_timeout = \"10m\"").unwrap_err();
        assert!(bad.contains("120s"), "{bad}");
        let bad = Config::parse("[workflows.temporal]\nadress = \"x\"").unwrap_err();
        assert!(bad.contains("adress"), "{bad}");
    }

    #[test]
    fn the_auth_section_is_read_and_checked() {
        let config =
            Config::parse("[auth]\nissuer = \"https://auth.example.com\"\nscopes = [\"mcp\"]")
                .unwrap();
        let auth = config.auth.expect("[auth] is read");
        assert_eq!(auth.scopes, ["mcp"]);
        assert!(Config::default().auth.is_none());
        let error = Config::parse("[auth]\nissuer = \"http://auth.example.com\"").unwrap_err();
        assert!(error.contains("[auth] issuer"), "{error}");
    }

    #[test]
    fn the_environment_switches_a_server_between_stdio_and_http() {
        let mut config = Config::parse("[servers.my-summarizer]\ncommand = \"s\"").unwrap();
        config.apply_env(|key| {
            (key == "AGENTWIRE_SERVER_MY_SUMMARIZER_URL").then(|| "http://127.0.0.1:9/mcp".into())
        });
        let server = &config.servers["my-summarizer"];
        assert_eq!(server.url.as_deref(), Some("http://127.0.0.1:9/mcp"));
        assert_eq!(server.command, None);
    }

    #[test]
    fn keys_in_the_config_file_are_refused_with_the_way_out() {
        let error = Config::parse("[providers.openai]\nkind = \"openai\"\napi_key = \"sk-secret\"")
            .unwrap_err();
        assert!(error.contains("api_key_env"), "{error}");
        assert!(!error.contains("sk-secret"), "{error}");
    }

    #[test]
    fn providers_models_and_prices_are_checked() {
        let config = Config::parse(
            r#"
            [llm]
            provider = "local"
            model = "llama3.2"
            [llm.models.fast]
            provider = "anthropic"
            model = "claude-haiku-4-5"
            [llm.prices."llama3.2"]
            input = "$0"
            output = "$0"
            [providers.local]
            kind = "openai"
            base_url = "http://127.0.0.1:11434/v1"
            timeout = "30s"
            "#,
        )
        .unwrap();
        assert_eq!(config.llm.provider.as_deref(), Some("local"));
        assert_eq!(
            config.providers["local"].kind,
            crate::llm::config::ProviderKind::Openai
        );

        for (text, expected) in [
            ("[llm]\nprovider = \"nowhere\"", "names no provider"),
            ("[providers.x]\nkind = \"gemini\"", "gemini"),
            (
                "[providers.x]\nkind = \"openai\"\ntimeout = \"soon\"",
                "timeout",
            ),
            (
                "[llm.prices.m]\ninput = \"cheap\"\noutput = \"$1\"",
                "input",
            ),
            (
                "[providers.x]\nkind = \"openai\"\napi_key_env = \"A\"\napi_key_file = \"b\"",
                "both",
            ),
        ] {
            let error = Config::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
