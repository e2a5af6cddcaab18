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
