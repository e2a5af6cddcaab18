//! The MCP server: rmcp's `ServerHandler` over the registry of agents,
//! prompts and resources, split by job: [`tools`] (calls and the SERVER
//! span), [`prompts_resources`], [`tasks`] and [`workflow_tools`] (durable
//! runs over MCP), [`subscriptions`], [`capabilities`], and the [`round`]
//! of a request that asks the client for input. [`handler`] maps rmcp's
//! trait onto them.
//!
//! The server is handed a [`Host`] assembled above it (from the
//! configuration, or the defaults of [`AgentServer::new`]).

#![allow(deprecated)] // Logging and `resources/subscribe` are deprecated by SEP-2577, still served.

mod agent_tasks;
mod caller;
mod capabilities;
mod handler;
mod identity;
mod limits;
mod prompts_resources;
mod round;
mod subscriptions;
mod tasks;
mod tools;
mod workflow_tools;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::Tool;

use crate::agent::{Host, TaskSupport};
use crate::budget::Budget;
use crate::llm::models::Models;
use crate::mcp::logging::SessionLogLevel;
use crate::mcp::round_trip::StateSealer;
use crate::registry::Registry;
use crate::remote::RemotePool;
use crate::workflow::store::{JournalStore, MemoryStore};
use crate::workflow::{
    BackendKind, ControlError, JournalEngine, Recovery, WorkflowBackend, WorkflowSettings,
};
use limits::CallGate;
use subscriptions::SessionSubscriptions;

pub use identity::ServerIdentity;
pub use limits::LimitsConfig;
pub use subscriptions::resource_updated;

/// An MCP server whose tools are the agents of a [`Registry`], with its
/// prompts and resources.
///
/// Cloning is cheap. Each clone made with [`for_new_session`](Self::for_new_session)
/// keeps its own log level and resource subscriptions, as MCP sessions do.
#[derive(Clone)]
pub struct AgentServer {
    shared: Arc<Shared>,
    sealer: Arc<StateSealer>,
    log_level: SessionLogLevel,
    subscriptions: Arc<SessionSubscriptions>,
    /// How many calls this server, and this session, may run at once.
    calls: CallGate,
}

struct Shared {
    registry: Registry,
    identity: ServerIdentity,
    host: Arc<Host>,
    /// Present when the registry has workflows.
    workflows: Option<Workflows>,
    /// The tools `tools/list` shows: the agents', then the `workflows-*` ones.
    tools: Vec<Tool>,
    /// Whether some agent may run as an MCP task (`#[agent(task = ...)]`).
    task_agents: bool,
    /// The tasks of those agents.
    agent_tasks: agent_tasks::AgentTasks,
}

impl AgentServer {
    /// A server for `registry` that introduces itself as `identity`, with the
    /// default configuration (no remote servers, the default budget, models
    /// from nothing). Its workflows, if any, run on the `memory` backend.
    pub fn new(registry: Registry, identity: ServerIdentity) -> Self {
        let host = Host::new(Budget::SERVER_DEFAULT)
            .with(RemotePool::new(BTreeMap::new()))
            .with(Models::unconfigured());
        Self::with_host(registry, identity, host)
    }

    /// A server for `registry` whose requests share `host`; its workflows,
    /// if any, run on the `memory` backend.
    pub(crate) fn with_host(registry: Registry, identity: ServerIdentity, host: Host) -> Self {
        let settings = WorkflowSettings {
            backend: BackendKind::Memory,
            ..WorkflowSettings::default()
        };
        let store = Arc::new(MemoryStore::new());
        Self::with_host_and_store(registry, identity, host, store, &settings)
    }

    /// A server whose workflows run on the journal engine over `store`.
    pub(crate) fn with_host_and_store(
        registry: Registry,
        identity: ServerIdentity,
        host: Host,
        store: Arc<dyn JournalStore>,
        settings: &WorkflowSettings,
    ) -> Self {
        let host = Arc::new(host);
        let backend = JournalEngine::new(store, registry.definitions(), host.clone(), settings);
        Self::build(registry, identity, host, backend, settings)
    }

    /// A server whose workflows run on `backend`, which was built for this
    /// registry (a backend other than the journal engine).
    pub(crate) fn with_host_and_backend(
        registry: Registry,
        identity: ServerIdentity,
        host: Host,
        backend: Arc<dyn WorkflowBackend>,
        settings: &WorkflowSettings,
    ) -> Self {
        Self::build(registry, identity, Arc::new(host), backend, settings)
    }

    fn build(
        registry: Registry,
        identity: ServerIdentity,
        host: Arc<Host>,
        backend: Arc<dyn WorkflowBackend>,
        settings: &WorkflowSettings,
    ) -> Self {
        let has_workflows = registry.definitions().any(|d| d.is_workflow());
        let task_agents = registry
            .definitions()
            .any(|d| !d.is_workflow() && d.task != TaskSupport::Never);
        let mut tools: Vec<Tool> = registry.tools().cloned().collect();
        let workflows = has_workflows.then(|| {
            for tool in workflow_tools::tools() {
                if registry.get(&tool.name).is_some() {
                    tracing::warn!(
                        "the agent `{}` hides the workflow management tool of the same name",
                        tool.name
                    );
                } else {
                    tools.push(tool);
                }
            }
            Workflows {
                backend,
                task_after: settings.task_after,
                poll_interval: settings.poll_interval,
                retain_finished: settings.retain_finished,
            }
        });
        let limits = host.get::<LimitsConfig>().cloned().unwrap_or_default();
        AgentServer {
            calls: CallGate::new(&limits),
            shared: Arc::new(Shared {
                registry,
                identity,
                host,
                workflows,
                tools,
                task_agents,
                agent_tasks: Default::default(),
            }),
            sealer: Arc::new(StateSealer::random()),
            log_level: SessionLogLevel::default(),
            subscriptions: Arc::default(),
        }
    }

    /// Starts the unfinished workflow runs of the store again; call it once,
    /// at start-up, on a tokio runtime.
    pub async fn recover_workflows(&self) -> Result<Recovery, ControlError> {
        match &self.shared.workflows {
            Some(workflows) => workflows.backend.recover().await,
            None => Ok(Recovery::default()),
        }
    }

    /// The backend running this server's workflows, when it has any.
    pub fn workflow_backend(&self) -> Option<&Arc<dyn WorkflowBackend>> {
        self.shared.workflows.as_ref().map(|w| &w.backend)
    }

    /// Signs the `requestState` of 2026-era multi-round-trip requests with
    /// `key` (at least 32 bytes) instead of a random per-process key, so that
    /// a retry can reach any replica that shares the key, or this server
    /// after a restart.
    pub fn with_request_state_key(mut self, key: &[u8]) -> Result<Self, InvalidKey> {
        self.sealer = Arc::new(StateSealer::with_key(key).map_err(InvalidKey)?);
        Ok(self)
    }

    /// The same agents, with the per-session state of a fresh session.
    pub fn for_new_session(&self) -> Self {
        AgentServer {
            shared: self.shared.clone(),
            sealer: self.sealer.clone(),
            log_level: SessionLogLevel::default(),
            subscriptions: Arc::default(),
            calls: self.calls.for_new_session(),
        }
    }

    /// How long calls still running at shutdown may take to finish
    /// (`[limits] shutdown_grace`).
    pub fn shutdown_grace(&self) -> Duration {
        self.calls.grace
    }

    /// 2025-era sessions open at once, at most, and how long an idle one is
    /// kept (`[limits] sessions`, `session_idle`).
    pub fn session_limits(&self) -> (usize, Duration) {
        (self.calls.sessions, self.calls.session_idle)
    }

    /// 2026-era `subscriptions/listen` streams open at once, at most
    /// (`[limits] listen_streams`).
    pub fn listen_streams(&self) -> usize {
        self.calls.listen_streams
    }

    /// Takes no new tool calls (in every session) and waits until the
    /// calls running finish or the grace period passes; true when they all
    /// finished. The transport then ends the sessions, which cancels what
    /// still runs.
    pub async fn close_for_shutdown(&self) -> bool {
        self.calls.close(self.calls.grace).await
    }

    /// The agents, prompts and resources served.
    pub fn registry(&self) -> &Registry {
        &self.shared.registry
    }

    /// Who the server says it is.
    pub fn identity(&self) -> &ServerIdentity {
        &self.shared.identity
    }

    /// The services every request of this server shares.
    pub(crate) fn host(&self) -> &Host {
        &self.shared.host
    }

    /// Closes the connections to remote servers, letting the child processes
    /// of stdio servers exit cleanly.
    pub async fn close_connections(&self) {
        if let Some(pool) = self.shared.host.get::<RemotePool>() {
            pool.close_all().await;
        }
    }
}

/// The workflows side of a server: its backend, and how long a `tools/call`
/// waits before answering a client that supports tasks with one.
#[derive(Clone)]
pub(crate) struct Workflows {
    pub backend: Arc<dyn WorkflowBackend>,
    pub task_after: Duration,
    pub poll_interval: Duration,
    /// How long a finished run is kept: a task's `ttlMs` (it is readable
    /// at least this long).
    pub retain_finished: Duration,
}

/// A request-state key that is too short to be safe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid request-state key: {0}")]
pub struct InvalidKey(String);
