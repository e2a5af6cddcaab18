//! Agents and tools on other MCP servers: the configured servers, one
//! pooled connection to each, calls that carry the budget grant and the
//! trace context out and charge the reported usage back, and the dispatch
//! that calls any agent by its definition, here or there.
//!
//! A server reached over HTTP may need a token: [`auth`] obtains this
//! server's own (from the environment, or by OAuth client credentials), or
//! [`sign_in`] has each user sign in and keeps their token (sealed, in the
//! [`vault`]); the caller's token is never passed on.
//!
//! Uses the agent core and the vocabulary below it.

mod auth;
mod call;
mod config;
mod dispatch;
mod pool;
mod sign_in;
mod vault;

pub use auth::{ClientCredentials, OAuthClient, RemoteAuth, TokenExchange, UserSignIn};
pub use call::call_remote;
pub(crate) use call::{RemoteCall, call_remote_tool, peer_for};
pub use config::{INHERITED_ENV, RemoteServer, UnreportedUsage};
pub use dispatch::call_agent_json;
#[cfg(feature = "testing")]
pub(crate) use pool::InMemoryConnector;
pub(crate) use pool::RemotePool;
pub use sign_in::{CALLBACK_PATH, CallbackError, START_PATH, SignIns};
pub(crate) use sign_in::{Landed, UserCheck};
pub use vault::TOKEN_KEY_ENV;
pub(crate) use vault::TokenVault;
