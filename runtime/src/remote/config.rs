//! `[servers.NAME]` of agentwire.toml: how to reach another MCP server.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::auth::RemoteAuth;

/// Another MCP server: a command to start (stdio) or a URL (streamable HTTP).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteServer {
    /// The program to start; it speaks MCP on its stdin and stdout.
    pub command: Option<String>,
    #[serde(default)]
    /// The program's arguments.
    pub args: Vec<String>,
    #[serde(default)]
    /// Environment variables for the program.
    pub env: BTreeMap<String, String>,
    /// The working directory of the command; relative to the config file.
    pub cwd: Option<PathBuf>,
    /// The server's streamable HTTP endpoint, e.g. `http://127.0.0.1:8081/mcp`.
    pub url: Option<String>,
    /// How this server signs in to an HTTP server (`[servers.NAME.auth]`).
    #[serde(default)]
    pub auth: Option<RemoteAuth>,
    /// Variables of this process's environment a stdio server also gets,
    /// beyond [`INHERITED_ENV`] (a name ending in `*` is a prefix). A child
    /// process starts from a clean environment: provider keys and tokens
    /// stay home unless named here. `env` sets variables outright.
    #[serde(default)]
    pub env_allow: Vec<String>,
    /// What a call is charged when the server reports no usage (or one
    /// that cannot be read), or when it is cancelled before it answers.
    #[serde(default)]
    pub unreported_usage: UnreportedUsage,
}

/// The variables every stdio server inherits (a name ending in `*` is a
/// prefix): what a process needs to run (and `cargo run` to build),
/// locale, logging and OpenTelemetry settings, and agentwire's own
/// per-server routing. Keys and tokens are not among them.
pub const INHERITED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "TERM",
    "TZ",
    "TMPDIR",
    "LANG",
    "LC_*",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "CARGO_*",
    "RUSTUP_*",
    "OTEL_*",
    "AGENTWIRE_SERVER_*",
];

impl RemoteServer {
    /// The environment a stdio server starts with: the variables of
    /// `parent` that [`INHERITED_ENV`] or `env_allow` name, then `env`.
    pub(crate) fn child_env(
        &self,
        parent: impl Iterator<Item = (String, String)>,
    ) -> Vec<(String, String)> {
        let allowed = |name: &str| {
            INHERITED_ENV
                .iter()
                .copied()
                .chain(self.env_allow.iter().map(String::as_str))
                .any(|pattern| match pattern.strip_suffix('*') {
                    Some(prefix) => name.starts_with(prefix),
                    None => name == pattern,
                })
        };
        let mut env: Vec<(String, String)> = parent.filter(|(name, _)| allowed(name)).collect();
        env.extend(self.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        env
    }
}

/// What a call to a server that does not report its usage is charged.
/// Another agentwire server reports it in `_meta["dev.agentwire/usage"]`;
/// a foreign MCP server cannot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnreportedUsage {
    /// The call itself and its elapsed time (a foreign server, or a peer
    /// trusted not to spend tokens without saying so). The default.
    #[default]
    Call,
    /// Everything that was reserved for it: the tokens, cost and calls it
    /// was granted (a peer that should report, and whose silence is
    /// suspect).
    Reserved,
}

impl RemoteServer {
    /// Checks the section of the server called `name`.
    pub(crate) fn check(&self, name: &str) -> Result<(), String> {
        if let Some(auth) = &self.auth {
            if self.url.is_none() {
                return Err(format!(
                    "[servers.{name}.auth] is for servers reached by `url`; a `command` runs \
                     as a trusted child process"
                ));
            }
            auth.check(name)?;
        }
        match (&self.command, &self.url) {
            (Some(_), None) | (None, Some(_)) => Ok(()),
            _ => Err(format!(
                "server `{name}` needs exactly one of `command` (stdio) or `url` (HTTP)"
            )),
        }
    }

    /// Applies the environment's override of the server called `name`:
    /// `AGENTWIRE_SERVER_<NAME>_URL` switches it to HTTP,
    /// `AGENTWIRE_SERVER_<NAME>_COMMAND` (split at spaces) to stdio.
    pub(crate) fn apply_env(&mut self, name: &str, var: &impl Fn(&str) -> Option<String>) {
        let prefix = format!("AGENTWIRE_SERVER_{}", env_name(name));
        if let Some(url) = var(&format!("{prefix}_URL")) {
            self.url = Some(url);
            self.command = None;
        } else if let Some(command_line) = var(&format!("{prefix}_COMMAND")) {
            let mut words = command_line.split_whitespace().map(str::to_owned);
            self.command = words.next();
            self.args = words.collect();
            self.url = None;
        }
    }
}

/// `<NAME>` of the variables: the name in upper case, characters other than
/// letters and digits as `_`.
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
