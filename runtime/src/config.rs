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
//! ```
//!
//! `[llm]` and `[providers.*]` configure models: see [`crate::llm::config`].
//!
//! Environment variables override a server: `AGENTWIRE_SERVER_<NAME>_URL`
//! switches it to HTTP, `AGENTWIRE_SERVER_<NAME>_COMMAND` (a command line:
//! the program and its arguments, split at spaces) to stdio. `<NAME>` is the
//! server's name in upper case, characters other than letters and digits as `_`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::budget::Budget;
use crate::budget::units::{parse_cost_micros, parse_duration};
use crate::llm::config::{LlmConfig, ProviderConfig};

/// The contents of `agentwire.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub budget: BudgetConfig,
    #[serde(default)]
    pub servers: BTreeMap<String, RemoteServer>,
    /// The models agents use (`[llm]`).
    #[serde(default)]
    pub llm: LlmConfig,
    /// Where models are served (`[providers.NAME]`).
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderConfig>,
    #[serde(default)]
    pub telemetry: crate::telemetry::TelemetryConfig,
}

/// `[budget]`: replaces [`Budget::SERVER_DEFAULT`] dimension by dimension.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetConfig {
    pub time: Option<String>,
    pub tokens: Option<u64>,
    pub cost: Option<String>,
    pub depth: Option<u32>,
    pub calls: Option<u32>,
}

/// Another MCP server: a command to start (stdio) or a URL (streamable HTTP).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteServer {
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The working directory of the command; relative to the config file.
    pub cwd: Option<PathBuf>,
    pub url: Option<String>,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid agentwire.toml: {message}")]
    Invalid { path: PathBuf, message: String },
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
        // Commands start where the config file is, wherever the server runs.
        let base = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        for server in config.servers.values_mut() {
            if server.command.is_some() {
                server.cwd = Some(match server.cwd.take() {
                    Some(cwd) if cwd.is_absolute() => cwd,
                    Some(cwd) => base.join(cwd),
                    None => base.to_path_buf(),
                });
            }
        }
        for provider in config.providers.values_mut() {
            if let Some(file) = provider.api_key_file.take() {
                provider.api_key_file = Some(if file.is_absolute() {
                    file
                } else {
                    base.join(file)
                });
            }
        }
        Ok(config)
    }

    /// Parses the text of a config file and checks its values.
    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        config.budget.check()?;
        crate::llm::config::check(&config.llm, &config.providers)?;
        for (name, server) in &config.servers {
            match (&server.command, &server.url) {
                (Some(_), None) | (None, Some(_)) => {}
                _ => {
                    return Err(format!(
                        "server `{name}` needs exactly one of `command` (stdio) or `url` (HTTP)"
                    ));
                }
            }
        }
        Ok(config)
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) {
        crate::llm::config::apply_env(&mut self.llm, &self.providers, &var);
        for (name, server) in &mut self.servers {
            let prefix = format!("AGENTWIRE_SERVER_{}", env_name(name));
            if let Some(url) = var(&format!("{prefix}_URL")) {
                server.url = Some(url);
                server.command = None;
            } else if let Some(command_line) = var(&format!("{prefix}_COMMAND")) {
                let mut words = command_line.split_whitespace().map(str::to_owned);
                server.command = words.next();
                server.args = words.collect();
                server.url = None;
            }
        }
    }
}

fn env_name(server: &str) -> String {
    server
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

impl BudgetConfig {
    fn check(&self) -> Result<(), String> {
        if let Some(time) = &self.time {
            parse_duration(time).map_err(|p| format!("[budget] time = {time:?}: {p}"))?;
        }
        if let Some(cost) = &self.cost {
            parse_cost_micros(cost).map_err(|p| format!("[budget] cost = {cost:?}: {p}"))?;
        }
        Ok(())
    }

    /// The server's default budget: [`Budget::SERVER_DEFAULT`] with every
    /// dimension this section sets replaced.
    pub fn resolve(&self) -> Budget {
        let default = Budget::SERVER_DEFAULT;
        Budget {
            time: self
                .time
                .as_deref()
                .and_then(|t| parse_duration(t).ok())
                .or(default.time),
            tokens: self.tokens.or(default.tokens),
            cost_micros: self
                .cost
                .as_deref()
                .and_then(|c| parse_cost_micros(c).ok())
                .or(default.cost_micros),
            depth: self.depth.or(default.depth),
            calls: self.calls.or(default.calls),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
    fn the_environment_switches_a_server_between_stdio_and_http() {
        let mut config = Config::parse("[servers.my-summarizer]\ncommand = \"s\"").unwrap();
        config.apply_env(|key| {
            (key == "AGENTWIRE_SERVER_MY_SUMMARIZER_URL").then(|| "http://127.0.0.1:9/mcp".into())
        });
        let server = &config.servers["my-summarizer"];
        assert_eq!(server.url.as_deref(), Some("http://127.0.0.1:9/mcp"));
        assert_eq!(server.command, None);
    }
}
