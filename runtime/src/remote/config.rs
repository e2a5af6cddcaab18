//! `[servers.NAME]` of agentwire.toml: how to reach another MCP server.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

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
