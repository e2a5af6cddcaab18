//! What all requests of one server process share: the default budget and
//! the services of the layers above the agent core (connections to other
//! MCP servers, models), which the top of the tree puts in at start-up.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::budget::Budget;

/// Server-wide settings and shared services, one per process.
///
/// The agent core knows nothing of remote servers or models; the layers
/// that do keep their process-wide state here as a typed extension
/// ([`with`](Self::with), [`get`](Self::get)), so a context can reach it
/// without the core depending on them.
pub struct Host {
    /// The budget of a request before the agent's policy and the caller's
    /// grant narrow it.
    default_budget: Budget,
    extensions: http::Extensions,
}

impl Host {
    /// A host whose requests start from `default_budget`, with no services.
    pub fn new(default_budget: Budget) -> Self {
        Host {
            default_budget,
            extensions: http::Extensions::new(),
        }
    }

    /// The host with `service` in it (replacing one of the same type).
    pub fn with<T: Any + Send + Sync>(mut self, service: T) -> Self {
        self.extensions.insert(Arc::new(service));
        self
    }

    /// The service of type `T`, if the host has one.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.extensions.get::<Arc<T>>().map(|service| &**service)
    }

    /// The budget of a request before the agent's policy and the caller's
    /// grant narrow it.
    pub fn default_budget(&self) -> Budget {
        self.default_budget
    }
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("default_budget", &self.default_budget)
            .field("services", &self.extensions.len())
            .finish()
    }
}
