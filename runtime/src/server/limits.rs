//! `[limits]` of agentwire.toml: how many tool calls one server, and one
//! session of it, runs at once. A call past either limit is refused at
//! once with an error that names the setting, rather than queued without
//! bound: a client that floods the server cannot starve the others of
//! memory or of the runtime's threads.

use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::model::ErrorCode;
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// `[limits]`: tool calls running at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Tool calls the whole server runs at once (default 512).
    pub concurrent_calls: usize,
    /// Tool calls one session (a 2025-era MCP session, or one stdio client)
    /// runs at once (default 64). A 2026-era request is its own session.
    pub concurrent_calls_per_session: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            concurrent_calls: 512,
            concurrent_calls_per_session: 64,
        }
    }
}

impl LimitsConfig {
    /// Checks the section as the config file is read.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.concurrent_calls == 0 || self.concurrent_calls_per_session == 0 {
            return Err(
                "[limits] concurrent_calls and concurrent_calls_per_session must be \
                        at least 1"
                    .to_owned(),
            );
        }
        Ok(())
    }
}

/// The permits of one server and of one of its sessions.
#[derive(Debug, Clone)]
pub(crate) struct CallGate {
    limits: LimitsConfig,
    server: Arc<Semaphore>,
    session: Arc<Semaphore>,
}

/// What a running call holds; dropping it lets the next one in.
pub(crate) type CallPermit = (OwnedSemaphorePermit, OwnedSemaphorePermit);

impl CallGate {
    pub fn new(limits: LimitsConfig) -> Self {
        CallGate {
            limits,
            server: Arc::new(Semaphore::new(limits.concurrent_calls)),
            session: Arc::new(Semaphore::new(limits.concurrent_calls_per_session)),
        }
    }

    /// The gate of a new session: the server's permits, fresh session ones.
    pub fn for_new_session(&self) -> Self {
        CallGate {
            limits: self.limits,
            server: self.server.clone(),
            session: Arc::new(Semaphore::new(self.limits.concurrent_calls_per_session)),
        }
    }

    /// Lets one call in, or refuses it naming the limit it would pass.
    pub fn enter(&self) -> Result<CallPermit, ErrorData> {
        let session = self.session.clone().try_acquire_owned().map_err(|_| {
            busy(format!(
                "this session already runs {} tool calls, its limit ([limits] \
                 concurrent_calls_per_session); wait for one to finish",
                self.limits.concurrent_calls_per_session
            ))
        })?;
        let server = self.server.clone().try_acquire_owned().map_err(|_| {
            busy(format!(
                "the server already runs {} tool calls, its limit ([limits] \
                 concurrent_calls); try again later",
                self.limits.concurrent_calls
            ))
        })?;
        Ok((session, server))
    }
}

/// A JSON-RPC server error (-32000, "server busy"): the request was valid,
/// and may succeed later.
fn busy(message: String) -> ErrorData {
    ErrorData::new(ErrorCode(-32000), message, None)
}
