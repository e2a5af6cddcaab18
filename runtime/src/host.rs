//! What all requests of one server process share: the default budget, the
//! connections to other MCP servers and the models.

use crate::budget::Budget;
use crate::config::Config;
use crate::llm::host::LlmHost;
use crate::remote::RemotePool;

/// Server-wide settings and shared connections, one per process.
#[derive(Debug)]
pub(crate) struct Host {
    /// The budget of a request before the agent's policy and the caller's
    /// grant narrow it.
    pub default_budget: Budget,
    pub remotes: RemotePool,
    pub llm: LlmHost,
}

impl Host {
    pub fn new(config: &Config) -> Self {
        Host {
            default_budget: config.budget.resolve(),
            remotes: RemotePool::new(config.servers.clone()),
            llm: LlmHost::new(config, |key| std::env::var(key).ok()),
        }
    }
}
