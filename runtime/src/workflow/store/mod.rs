//! Where the journal engine keeps runs, journal entries and signals.
//!
//! [`JournalStore`] is small on purpose: records in, records out, and one
//! atomic [`write`](JournalStore::write) of several changes. The replay
//! logic lives in the engine, so a store only has to be durable and atomic.
//! Two stores ship: [`MemoryStore`] (nothing persisted) and [`SqliteStore`]
//! (one SQLite file in WAL mode).

mod memory;
mod sqlite;

use futures::future::BoxFuture;

pub use crate::sqlite::Synchronous;
pub use memory::MemoryStore;
pub use sqlite::SqliteStore;

use super::record::{Damaged, JournalEntry, RunRecord, RunStatus, RunUpdate, Signal};

/// Why the store could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be opened at all; nothing was changed.
    #[error("{0}")]
    Open(String),
    /// Reading or writing failed (disk full, I/O error, store closed).
    #[error("the workflow journal could not be {action}: {message}")]
    Io {
        /// What was being done: `read`, `written`...
        action: &'static str,
        /// What went wrong.
        message: String,
    },
    /// A record cannot be read back; only its run is affected.
    #[error("{0}")]
    Damaged(Damaged),
}

/// One change in an atomic [`JournalStore::write`].
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Adds a new run.
    CreateRun(Box<RunRecord>),
    /// Changes a run's status and results. With `only_unfinished`, the change
    /// applies only while the run is `running` or `input_required`, so a run
    /// that was cancelled or finished stays so.
    UpdateRun {
        /// The change.
        update: RunUpdate,
        /// Apply it only to an unfinished run.
        only_unfinished: bool,
    },
    /// Adds a journal entry, or replaces the one at the same position.
    PutEntry {
        /// The run.
        run_id: String,
        /// The entry.
        entry: JournalEntry,
    },
    /// Adds a signal; its `id` is assigned by the store.
    AddSignal(Signal),
    /// Removes a signal a wait has taken.
    DeleteSignal {
        /// The run.
        run_id: String,
        /// The signal's id.
        id: u64,
    },
    /// Removes a finished run with its journal and signals (a run not
    /// finished is left as it is): its retention time is over.
    RemoveFinishedRun {
        /// The run.
        run_id: String,
    },
}

/// Which runs a listing returns, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunQuery {
    /// Only runs with one of these statuses; every run when empty.
    pub statuses: Vec<RunStatus>,
    /// Only runs of this workflow.
    pub workflow: Option<String>,
    /// Only runs after this one in the listing order: `(created_ms, run_id)`.
    pub after: Option<(u64, String)>,
    /// At most this many runs; no limit when `None`.
    pub limit: Option<usize>,
    /// Only the runs of this owner (`Some(None)`: runs nobody owns); every
    /// run when `None`.
    pub owner: Option<Option<String>>,
    /// Only runs last updated before this time (ms since the Unix epoch).
    pub updated_before: Option<u64>,
}

impl RunQuery {
    /// Whether `run` belongs in the listing (the `after` and `limit` aside).
    pub fn matches(&self, run: &RunRecord) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&run.status))
            && self.workflow.as_ref().is_none_or(|w| *w == run.workflow)
            && self.updated_before.is_none_or(|t| run.updated_ms < t)
            && self.owner.as_ref().is_none_or(|owner| {
                owner.as_deref() == run.owner.as_ref().map(|o| o.subject.as_str())
            })
    }
}

/// A run as listed: its record, or why its record cannot be read.
pub type ListedRun = Result<RunRecord, Damaged>;

/// Durable storage for the journal engine.
///
/// Every method is atomic, and `write` applies all its changes or none. A
/// record that cannot be read back is reported as [`Damaged`] for its run
/// alone; the other runs stay readable.
pub trait JournalStore: Send + Sync + 'static {
    /// Where the store keeps its records, for messages: "memory", a file path.
    fn location(&self) -> String;

    /// Applies `writes` atomically, in order. For `AddSignal`, returns the ids given.
    fn write(&self, writes: Vec<Write>) -> BoxFuture<'_, Result<Vec<u64>, StoreError>>;

    /// The run `run_id`, if it exists.
    fn run(&self, run_id: &str) -> BoxFuture<'_, Result<Option<RunRecord>, StoreError>>;

    /// The runs `query` selects, newest first.
    fn runs(&self, query: RunQuery) -> BoxFuture<'_, Result<Vec<ListedRun>, StoreError>>;

    /// The journal of `run_id`, in position order.
    fn entries(&self, run_id: &str) -> BoxFuture<'_, Result<Vec<JournalEntry>, StoreError>>;

    /// The signals sent to `run_id` and not yet taken, oldest first.
    fn signals(&self, run_id: &str) -> BoxFuture<'_, Result<Vec<Signal>, StoreError>>;
}
