//! What all requests of one server process share: the default budget and the
//! connections to other MCP servers.

use crate::budget::Budget;
use crate::config::Config;
use crate::remote::RemotePool;

/// Server-wide settings and shared connections, one per process.
#[derive(Debug)]
pub(crate) struct Host {
    /// The budget of a request before the agent's policy and the caller's
    /// grant narrow it.
    pub default_budget: Budget,
    pub remotes: RemotePool,
}

impl Host {
    pub fn new(config: &Config) -> Self {
        Host {
            default_budget: config.budget.resolve(),
            remotes: RemotePool::new(config.servers.clone()),
        }
    }
}
