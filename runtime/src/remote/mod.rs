//! Agents and tools on other MCP servers: the configured servers, one
//! pooled connection to each, calls that carry the budget grant and the
//! trace context out and charge the reported usage back, and the dispatch
//! that calls any agent by its definition, here or there.
//!
//! A server reached over HTTP may need a token: [`auth`] obtains this
//! server's own (from the environment, or by OAuth client credentials);
//! the caller's token is never passed on.
//!
//! Uses the agent core and the vocabulary below it.

mod auth;
mod call;
mod config;
mod dispatch;
mod pool;

pub use auth::{ClientCredentials, RemoteAuth};
pub use call::call_remote;
pub(crate) use call::{RemoteCall, call_remote_tool};
pub use config::{INHERITED_ENV, RemoteServer, UnreportedUsage};
pub use dispatch::call_agent_json;
#[cfg(feature = "testing")]
pub(crate) use pool::InMemoryConnector;
pub(crate) use pool::RemotePool;
