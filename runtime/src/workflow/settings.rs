//! Which backend runs the workflows, and where its journal lives: chosen at
//! start-up (`--workflow-backend`, `[workflows]` in agentwire.toml), never
//! in the workflows' code.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::store::{JournalStore, MemoryStore, SqliteStore, StoreError, Synchronous};

/// A workflow backend that ships with agentwire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BackendKind {
    /// In this process only: runs do not survive a restart.
    Memory,
    /// A journal in one SQLite file: runs survive crashes and restarts.
    #[default]
    Embedded,
    /// A Temporal cluster (cargo feature `temporal`): runs are executed by
    /// `worker` processes and kept by the cluster.
    Temporal,
}

impl BackendKind {
    /// Reads `memory`, `embedded`, or `temporal` (only with the `temporal`
    /// feature).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "memory" => Some(BackendKind::Memory),
            "embedded" => Some(BackendKind::Embedded),
            #[cfg(feature = "temporal")]
            "temporal" => Some(BackendKind::Temporal),
            _ => None,
        }
    }
}

/// How a server runs its workflows.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowSettings {
    /// Where runs are kept: in memory or in the embedded journal.
    pub backend: BackendKind,
    /// The embedded journal's file; `<server name>.journal` in the working
    /// directory when `None`.
    pub journal: Option<PathBuf>,
    /// How hard the embedded journal works to survive a power cut.
    pub synchronous: Synchronous,
    /// How long a `tools/call` of a workflow waits for the run to finish
    /// before answering a client that supports MCP tasks with a task.
    pub task_after: Duration,
    /// How often clients are asked to poll a task.
    pub poll_interval: Duration,
    /// Runs not finished at once, at most; past it a start is refused
    /// (`[workflows] max_live_runs`).
    pub max_live_runs: usize,
    /// Signals waiting to be taken by one run, at most; past it
    /// `workflows-resume` is refused (`[workflows] max_signals_per_run`).
    pub max_signals_per_run: usize,
    /// How long a finished run stays in the journal before it is removed
    /// (`[workflows] retain_finished`).
    pub retain_finished: Duration,
    /// How long a run may take, from its creation, unless its workflow sets
    /// `budget(time = ...)` (`[workflows] run_lifetime`).
    pub run_lifetime: Duration,
    /// The Temporal cluster, for the `temporal` backend.
    pub temporal: TemporalSettings,
}

/// Where the Temporal cluster is (`[workflows.temporal]`).
#[derive(Debug, Clone, PartialEq)]
pub struct TemporalSettings {
    /// The frontend's address, `host:port`.
    pub address: String,
    /// The namespace.
    pub namespace: String,
    /// The task queue; the server's name when `None`.
    pub task_queue: Option<String>,
    /// Whether to connect with TLS (also when an API key or a `tls_*`
    /// setting is given).
    pub tls: bool,
    /// The CA that signed the cluster's certificate (PEM file); the
    /// system's roots when `None`.
    pub tls_ca: Option<PathBuf>,
    /// This process's certificate for mutual TLS (PEM file).
    pub tls_cert: Option<PathBuf>,
    /// Its private key (PEM file).
    pub tls_key: Option<PathBuf>,
    /// The name to verify the cluster's certificate against, when not the
    /// address's host.
    pub tls_server_name: Option<String>,
    /// The environment variable holding an API key, if any.
    pub api_key_env: Option<String>,
    /// How long one workflow task may take.
    pub task_timeout: Duration,
}

impl Default for TemporalSettings {
    fn default() -> Self {
        TemporalSettings {
            address: "127.0.0.1:7233".to_owned(),
            namespace: "default".to_owned(),
            task_queue: None,
            tls: false,
            tls_ca: None,
            tls_cert: None,
            tls_key: None,
            tls_server_name: None,
            api_key_env: None,
            task_timeout: Duration::from_secs(60),
        }
    }
}

impl TemporalSettings {
    /// These settings with `TEMPORAL_ADDRESS` and `TEMPORAL_NAMESPACE` from
    /// the environment, when set.
    pub fn with_environment(mut self) -> Self {
        if let Ok(address) = std::env::var("TEMPORAL_ADDRESS")
            && !address.is_empty()
        {
            self.address = address;
        }
        if let Ok(namespace) = std::env::var("TEMPORAL_NAMESPACE")
            && !namespace.is_empty()
        {
            self.namespace = namespace;
        }
        self
    }

    /// The task queue of the server `server_name`.
    pub fn task_queue_for(&self, server_name: &str) -> String {
        self.task_queue
            .clone()
            .unwrap_or_else(|| format!("agentwire-{server_name}"))
    }
}

impl Default for WorkflowSettings {
    fn default() -> Self {
        WorkflowSettings {
            backend: BackendKind::Embedded,
            journal: None,
            synchronous: Synchronous::Full,
            task_after: Duration::from_secs(1),
            poll_interval: Duration::from_millis(500),
            max_live_runs: 10_000,
            max_signals_per_run: 64,
            retain_finished: Duration::from_secs(7 * 24 * 3600),
            run_lifetime: Duration::from_secs(30 * 24 * 3600),
            temporal: TemporalSettings::default(),
        }
    }
}

impl WorkflowSettings {
    /// The file of the embedded journal for the server `server_name`.
    pub fn journal_path(&self, server_name: &str) -> PathBuf {
        self.journal
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("{server_name}.journal")))
    }

    /// Opens the store of the chosen backend.
    pub fn open_store(&self, server_name: &str) -> Result<Arc<dyn JournalStore>, StoreError> {
        Ok(match self.backend {
            // Temporal keeps its runs itself; the server opens no journal.
            BackendKind::Memory | BackendKind::Temporal => Arc::new(MemoryStore::new()),
            BackendKind::Embedded => Arc::new(SqliteStore::open(
                self.journal_path(server_name),
                self.synchronous,
            )?),
        })
    }
}
