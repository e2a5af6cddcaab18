//! The `memory` backend's store: everything in this process, nothing on disk.
//! Runs survive nothing, but behave exactly as with the embedded journal.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use futures::future::{BoxFuture, FutureExt};

use super::{JournalStore, ListedRun, RunQuery, StoreError, Write};
use crate::workflow::record::{JournalEntry, RunRecord, Signal};

/// Keeps runs in memory, for tests and for servers that need no durability.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    runs: HashMap<String, RunRecord>,
    entries: HashMap<String, BTreeMap<u32, JournalEntry>>,
    signals: BTreeMap<u64, Signal>,
    next_signal: u64,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    fn apply(&mut self, writes: Vec<Write>) -> Vec<u64> {
        let mut ids = Vec::new();
        for write in writes {
            match write {
                Write::CreateRun(run) => {
                    self.runs.insert(run.run_id.clone(), *run);
                }
                Write::UpdateRun {
                    update,
                    only_unfinished,
                } => {
                    if let Some(run) = self.runs.get_mut(&update.run_id)
                        && !(only_unfinished && run.status.is_terminal())
                    {
                        run.status = update.status;
                        run.updated_ms = update.updated_ms;
                        run.waiting_for = update.waiting_for;
                        run.output = update.output;
                        run.error = update.error;
                        run.usage = update.usage;
                    }
                }
                Write::PutEntry { run_id, entry } => {
                    self.entries
                        .entry(run_id)
                        .or_default()
                        .insert(entry.seq, entry);
                }
                Write::AddSignal(mut signal) => {
                    self.next_signal += 1;
                    signal.id = self.next_signal;
                    ids.push(signal.id);
                    self.signals.insert(signal.id, signal);
                }
                Write::DeleteSignal { id, .. } => {
                    self.signals.remove(&id);
                }
                Write::RemoveFinishedRun { run_id } => {
                    if self
                        .runs
                        .get(&run_id)
                        .is_some_and(|r| r.status.is_terminal())
                    {
                        self.runs.remove(&run_id);
                        self.entries.remove(&run_id);
                        self.signals.retain(|_, s| s.run_id != run_id);
                    }
                }
            }
        }
        ids
    }
}

impl JournalStore for MemoryStore {
    fn location(&self) -> String {
        "memory (nothing is persisted)".to_owned()
    }

    fn write(&self, writes: Vec<Write>) -> BoxFuture<'_, Result<Vec<u64>, StoreError>> {
        let ids = self.lock().apply(writes);
        async move { Ok(ids) }.boxed()
    }

    fn run(&self, run_id: &str) -> BoxFuture<'_, Result<Option<RunRecord>, StoreError>> {
        let run = self.lock().runs.get(run_id).cloned();
        async move { Ok(run) }.boxed()
    }

    fn runs(&self, query: RunQuery) -> BoxFuture<'_, Result<Vec<ListedRun>, StoreError>> {
        let state = self.lock();
        let mut runs: Vec<&RunRecord> = state
            .runs
            .values()
            .filter(|run| query.matches(run))
            .filter(|run| {
                query
                    .after
                    .as_ref()
                    .is_none_or(|(created, id)| (run.created_ms, &run.run_id) < (*created, id))
            })
            .collect();
        runs.sort_by(|a, b| (b.created_ms, &b.run_id).cmp(&(a.created_ms, &a.run_id)));
        let runs: Vec<ListedRun> = runs
            .into_iter()
            .take(query.limit.unwrap_or(usize::MAX))
            .map(|run| Ok(run.clone()))
            .collect();
        async move { Ok(runs) }.boxed()
    }

    fn entries(&self, run_id: &str) -> BoxFuture<'_, Result<Vec<JournalEntry>, StoreError>> {
        let entries = self
            .lock()
            .entries
            .get(run_id)
            .map(|entries| entries.values().cloned().collect())
            .unwrap_or_default();
        async move { Ok(entries) }.boxed()
    }

    fn signals(&self, run_id: &str) -> BoxFuture<'_, Result<Vec<Signal>, StoreError>> {
        let signals = self
            .lock()
            .signals
            .values()
            .filter(|s| s.run_id == run_id)
            .cloned()
            .collect();
        async move { Ok(signals) }.boxed()
    }
}
