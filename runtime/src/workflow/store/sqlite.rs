//! The `embedded` backend's store: one SQLite file in WAL mode.
//!
//! One thread owns the connection. Writes queue up while a commit is under
//! way and go into the next transaction together (group commit), so many
//! runs journaling at once share one `fsync`; each write set has its own
//! savepoint in it, so one that fails is rolled back alone and the others
//! still share the commit. A committed write is in the
//! WAL before its caller hears back, so a `kill -9` loses nothing that was
//! acknowledged. The file is locked (`flock`) while open: a second server on
//! the same journal is refused instead of running the same steps twice.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use futures::future::{BoxFuture, FutureExt};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use serde_json::Value;
use tokio::sync::oneshot;

use super::{JournalStore, ListedRun, RunQuery, StoreError, Write};
use crate::agent::Principal;
use crate::budget::Usage;
use crate::mcp::meta::{BUDGET_KEY, grant_value, read_grant};
use crate::sqlite::{Synchronous, use_wal};
use crate::workflow::record::{
    Damaged, EntryKind, EntryState, JournalEntry, RunError, RunRecord, RunStatus, Signal,
};

/// The version of the file's layout, in SQLite's `user_version`.
const SCHEMA_VERSION: i64 = 2;

/// Layout 1 had no owners; runs it kept belong to nobody.
const MIGRATE_FROM_1: &str = "ALTER TABLE runs ADD COLUMN owner TEXT;";

/// The most writes committed in one transaction.
const MAX_BATCH: usize = 512;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    run_id      TEXT PRIMARY KEY,
    workflow    TEXT NOT NULL,
    status      TEXT NOT NULL,
    input       TEXT NOT NULL,
    limits      TEXT NOT NULL,
    seed        INTEGER NOT NULL,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    waiting_for TEXT,
    output      TEXT,
    error       TEXT,
    usage       TEXT,
    owner       TEXT
);
CREATE INDEX IF NOT EXISTS runs_newest_first ON runs (created_ms DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status);
CREATE TABLE IF NOT EXISTS journal (
    run_id      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    state       TEXT NOT NULL,
    recorded_ms INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS signals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      TEXT NOT NULL,
    name        TEXT,
    payload     TEXT NOT NULL,
    received_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS signals_by_run ON signals (run_id, id);
";

type Read = Box<dyn FnOnce(&Connection) + Send>;

enum Command {
    Write(Vec<Write>, oneshot::Sender<Result<Vec<u64>, StoreError>>),
    Read(Read),
}

/// A journal in one SQLite file.
pub struct SqliteStore {
    path: PathBuf,
    commands: Option<mpsc::Sender<Command>>,
    thread: Option<JoinHandle<()>>,
    /// Transactions committed (each is one `fsync` under `Synchronous::Full`).
    commits: Arc<AtomicU64>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// Opens the journal at `path`, creating it when it does not exist.
    ///
    /// Fails with a message saying what to do when the file is in use by
    /// another process, is not a journal, or was written by a newer version.
    pub fn open(path: impl AsRef<Path>, synchronous: Synchronous) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let lock = lock_file(&path)?;
        let connection = open_connection(&path, synchronous).map_err(|message| {
            StoreError::Open(format!(
                "cannot open the workflow journal {shown}: {message}"
            ))
        })?;
        let (commands, receiver) = mpsc::channel();
        let commits = Arc::new(AtomicU64::new(0));
        let counted = commits.clone();
        let thread = std::thread::Builder::new()
            .name("agentwire-journal".to_owned())
            .spawn(move || {
                serve(connection, receiver, &counted);
                // The connection is closed (and the WAL checkpointed) before
                // the lock is released.
                drop(lock);
            })
            .map_err(|e| StoreError::Open(format!("cannot start the journal thread: {e}")))?;
        Ok(SqliteStore {
            path,
            commands: Some(commands),
            thread: Some(thread),
            commits,
        })
    }

    /// How many transactions the store has committed: fewer than the
    /// writes made when they came together.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// The file this store writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn send(&self, command: Command) -> Result<(), StoreError> {
        self.commands
            .as_ref()
            .and_then(|c| c.send(command).ok())
            .ok_or_else(|| StoreError::Io {
                action: "reached",
                message: "the journal is closed".to_owned(),
            })
    }

    fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> BoxFuture<'_, Result<T, StoreError>> {
        let (reply, answer) = oneshot::channel();
        let sent = self.send(Command::Read(Box::new(move |connection| {
            let _ = reply.send(read(connection));
        })));
        async move {
            sent?;
            answer.await.map_err(|_| closed("read"))?
        }
        .boxed()
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.commands.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn closed(action: &'static str) -> StoreError {
    StoreError::Io {
        action,
        message: "the journal thread stopped".to_owned(),
    }
}

/// Takes an exclusive `flock` on the journal file, so that two servers
/// never run the same runs. The kernel releases it when the process dies.
fn lock_file(path: &Path) -> Result<std::fs::File, StoreError> {
    let shown = path.display();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| StoreError::Open(format!("cannot open the workflow journal {shown}: {e}")))?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `flock` only reads the descriptor, which `file` keeps open.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if locked != 0 {
            let error = std::io::Error::last_os_error();
            return Err(StoreError::Open(
                if error.kind() == std::io::ErrorKind::WouldBlock {
                    format!(
                        "the workflow journal {shown} is in use by another process; \
                         two servers on one journal would run the same steps twice. \
                         Stop the other server, or give this one its own journal \
                         with --workflow-journal"
                    )
                } else {
                    format!("cannot lock the workflow journal {shown}: {error}")
                },
            ));
        }
    }
    Ok(file)
}

fn open_connection(path: &Path, synchronous: Synchronous) -> Result<Connection, String> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags).map_err(|e| e.to_string())?;
    let not_a_journal = |e: rusqlite::Error| {
        format!(
            "{e}. The file is not an agentwire journal, or it is damaged beyond reading; \
             move it aside to start with an empty journal (keep it: `sqlite3 FILE .recover` \
             may save its runs)"
        )
    };
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(not_a_journal)?;
    use_wal(&connection, synchronous).map_err(not_a_journal)?;
    // Quotas and users' tokens may have made their tables in the file first.
    let tables: i64 = connection
        .query_row(
            "SELECT count(*) FROM sqlite_master \
             WHERE name NOT IN ('quota_usage', 'user_tokens') AND name NOT LIKE 'sqlite_autoindex_%'",
            [],
            |row| row.get(0),
        )
        .map_err(not_a_journal)?;
    match version {
        0 if tables == 0 => {
            connection
                .execute_batch(&format!(
                    "BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                ))
                .map_err(|e| format!("cannot create the journal's tables: {e}"))?;
        }
        SCHEMA_VERSION => {}
        1 => {
            connection
                .execute_batch(&format!(
                    "BEGIN; {MIGRATE_FROM_1} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                ))
                .map_err(|e| format!("cannot add owners to the journal's runs: {e}"))?;
        }
        0 => {
            return Err(
                "the file is an SQLite database, but not an agentwire workflow journal; \
                 choose another file with --workflow-journal"
                    .to_owned(),
            );
        }
        newer => {
            return Err(format!(
                "the journal was written by a newer agentwire (layout {newer}, this one \
                 reads {SCHEMA_VERSION}); run the newer version, or choose another file"
            ));
        }
    }
    // A damaged page is reported now, but does not stop the server: the
    // runs whose records can be read go on, the others are reported one by one.
    if let Ok(report) =
        connection.query_row("PRAGMA quick_check(5)", [], |row| row.get::<_, String>(0))
        && report != "ok"
    {
        tracing::warn!(
            journal = %path.display(),
            "the workflow journal is damaged ({report}); runs whose records cannot be read \
             will fail with the reason, the others continue"
        );
    }
    Ok(connection)
}

fn serve(mut connection: Connection, commands: mpsc::Receiver<Command>, commits: &AtomicU64) {
    while let Ok(command) = commands.recv() {
        match command {
            Command::Read(read) => read(&connection),
            Command::Write(writes, reply) => {
                let mut batch = vec![(writes, reply)];
                let mut reads = Vec::new();
                while batch.len() < MAX_BATCH {
                    match commands.try_recv() {
                        Ok(Command::Write(writes, reply)) => batch.push((writes, reply)),
                        Ok(Command::Read(read)) => reads.push(read),
                        Err(_) => break,
                    }
                }
                commit(&mut connection, batch, commits);
                // Reads that arrived during the batch see its writes.
                for read in reads {
                    read(&connection);
                }
            }
        }
    }
}

type Pending = (Vec<Write>, oneshot::Sender<Result<Vec<u64>, StoreError>>);

/// Commits the batch in one transaction, each write set under its own
/// savepoint: a set that fails (a constraint, a bad value) is rolled back
/// and answered with its error alone, the others still share the commit.
/// Every caller hears back only after the commit (or its failure).
fn commit(connection: &mut Connection, batch: Vec<Pending>, commits: &AtomicU64) {
    let together = (|| -> rusqlite::Result<Vec<rusqlite::Result<Vec<u64>>>> {
        let mut tx =
            connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for (writes, _) in &batch {
            let savepoint = tx.savepoint()?;
            let outcome = apply(&savepoint, writes);
            if outcome.is_ok() {
                savepoint.commit()?;
            } // Dropped otherwise: rolled back.
            outcomes.push(outcome);
        }
        tx.commit()?;
        Ok(outcomes)
    })();
    let failed = |error: rusqlite::Error| StoreError::Io {
        action: "written",
        message: error.to_string(),
    };
    match together {
        Ok(outcomes) => {
            commits.fetch_add(1, Ordering::Relaxed);
            for ((_, reply), outcome) in batch.into_iter().zip(outcomes) {
                let _ = reply.send(outcome.map_err(failed));
            }
        }
        Err(error) => {
            let message = error.to_string();
            for (_, reply) in batch {
                let _ = reply.send(Err(StoreError::Io {
                    action: "written",
                    message: message.clone(),
                }));
            }
        }
    }
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

fn apply(tx: &Connection, writes: &[Write]) -> rusqlite::Result<Vec<u64>> {
    let mut ids = Vec::new();
    for write in writes {
        match write {
            Write::CreateRun(run) => {
                tx.prepare_cached(
                    "INSERT INTO runs (run_id, workflow, status, input, limits, seed, created_ms, \
                     updated_ms, waiting_for, output, error, usage, owner) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )?
                .execute(params![
                    run.run_id,
                    run.workflow,
                    run.status.as_str(),
                    json(&run.input),
                    json(&grant_value(&run.limits)),
                    run.seed as i64,
                    run.created_ms as i64,
                    run.updated_ms as i64,
                    run.waiting_for,
                    run.output.as_ref().map(json),
                    run.error.as_ref().map(json),
                    run.usage.as_ref().map(json),
                    run.owner.as_ref().map(json),
                ])?;
            }
            Write::UpdateRun {
                update,
                only_unfinished,
            } => {
                let sql = if *only_unfinished {
                    "UPDATE runs SET status = ?2, updated_ms = ?3, waiting_for = ?4, output = ?5, \
                     error = ?6, usage = ?7 WHERE run_id = ?1 \
                     AND status IN ('running', 'input_required')"
                } else {
                    "UPDATE runs SET status = ?2, updated_ms = ?3, waiting_for = ?4, output = ?5, \
                     error = ?6, usage = ?7 WHERE run_id = ?1"
                };
                tx.prepare_cached(sql)?.execute(params![
                    update.run_id,
                    update.status.as_str(),
                    update.updated_ms as i64,
                    update.waiting_for,
                    update.output.as_ref().map(json),
                    update.error.as_ref().map(json),
                    update.usage.as_ref().map(json),
                ])?;
            }
            Write::PutEntry { run_id, entry } => {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO journal (run_id, seq, kind, name, state, recorded_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    run_id,
                    entry.seq,
                    entry.kind.as_str(),
                    entry.name,
                    json(&entry.state),
                    entry.recorded_ms as i64,
                ])?;
            }
            Write::AddSignal(signal) => {
                tx.prepare_cached(
                    "INSERT INTO signals (run_id, name, payload, received_ms) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![
                    signal.run_id,
                    signal.name,
                    json(&signal.payload),
                    signal.received_ms as i64,
                ])?;
                ids.push(tx.last_insert_rowid() as u64);
            }
            Write::DeleteSignal { run_id, id } => {
                tx.prepare_cached("DELETE FROM signals WHERE id = ?1 AND run_id = ?2")?
                    .execute(params![*id as i64, run_id])?;
            }
            Write::RemoveFinishedRun { run_id } => {
                let removed = tx
                    .prepare_cached(
                        "DELETE FROM runs WHERE run_id = ?1 \
                         AND status IN ('completed', 'failed', 'cancelled')",
                    )?
                    .execute([run_id])?;
                if removed > 0 {
                    tx.prepare_cached("DELETE FROM journal WHERE run_id = ?1")?
                        .execute([run_id])?;
                    tx.prepare_cached("DELETE FROM signals WHERE run_id = ?1")?
                        .execute([run_id])?;
                }
            }
        }
    }
    Ok(ids)
}

fn io(action: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Io {
        action,
        message: e.to_string(),
    }
}

const RUN_COLUMNS: &str = "run_id, workflow, status, input, limits, seed, created_ms, updated_ms, \
                           waiting_for, output, error, usage, owner";

/// The raw columns of a run, read without interpreting them, so that a bad
/// value damages this run only.
struct RawRun {
    run_id: String,
    workflow: String,
    status: String,
    input: String,
    limits: String,
    seed: i64,
    created_ms: i64,
    updated_ms: i64,
    waiting_for: Option<String>,
    output: Option<String>,
    error: Option<String>,
    usage: Option<String>,
    owner: Option<String>,
}

fn raw_run(row: &Row<'_>) -> rusqlite::Result<Result<RawRun, Damaged>> {
    let run_id: String = match row.get(0) {
        Ok(id) => id,
        Err(e) => {
            return Ok(Err(Damaged {
                run_id: "?".to_owned(),
                problem: format!("a run's id cannot be read: {e}"),
            }));
        }
    };
    let read = || -> rusqlite::Result<RawRun> {
        Ok(RawRun {
            run_id: run_id.clone(),
            workflow: row.get(1)?,
            status: row.get(2)?,
            input: row.get(3)?,
            limits: row.get(4)?,
            seed: row.get(5)?,
            created_ms: row.get(6)?,
            updated_ms: row.get(7)?,
            waiting_for: row.get(8)?,
            output: row.get(9)?,
            error: row.get(10)?,
            usage: row.get(11)?,
            owner: row.get(12)?,
        })
    };
    Ok(read().map_err(|e| Damaged {
        run_id: run_id.clone(),
        problem: format!("its record has a column of the wrong type: {e}"),
    }))
}

fn decode_run(raw: RawRun) -> Result<RunRecord, Damaged> {
    let damaged = |problem: String| Damaged {
        run_id: raw.run_id.clone(),
        problem,
    };
    fn parse<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, String> {
        serde_json::from_str(text).map_err(|e| format!("its {what} is not valid: {e}"))
    }
    let status = RunStatus::parse(&raw.status)
        .ok_or_else(|| damaged(format!("its status {:?} is unknown", raw.status)))?;
    let input: Value = parse(&raw.input, "input").map_err(damaged)?;
    let limits_value: Value = parse(&raw.limits, "budget").map_err(damaged)?;
    let mut meta = serde_json::Map::new();
    meta.insert(BUDGET_KEY.into(), limits_value);
    let limits = read_grant(&meta)
        .map_err(|e| damaged(format!("its budget is not valid: {e}")))?
        .unwrap_or_default();
    let output = raw
        .output
        .as_deref()
        .map(|o| parse::<Value>(o, "output"))
        .transpose()
        .map_err(damaged)?;
    let error = raw
        .error
        .as_deref()
        .map(|e| parse::<RunError>(e, "error"))
        .transpose()
        .map_err(damaged)?;
    let usage = raw
        .usage
        .as_deref()
        .map(|u| parse::<Usage>(u, "usage"))
        .transpose()
        .map_err(damaged)?;
    let owner = raw
        .owner
        .as_deref()
        .map(|o| parse::<Principal>(o, "owner"))
        .transpose()
        .map_err(damaged)?;
    Ok(RunRecord {
        run_id: raw.run_id.clone(),
        workflow: raw.workflow,
        status,
        input,
        limits,
        seed: raw.seed as u64,
        created_ms: raw.created_ms.max(0) as u64,
        updated_ms: raw.updated_ms.max(0) as u64,
        waiting_for: raw.waiting_for,
        output,
        error,
        usage,
        owner,
    })
}

fn read_run(row: &Row<'_>) -> rusqlite::Result<ListedRun> {
    Ok(raw_run(row)?.and_then(decode_run))
}

impl JournalStore for SqliteStore {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn write(&self, writes: Vec<Write>) -> BoxFuture<'_, Result<Vec<u64>, StoreError>> {
        let (reply, answer) = oneshot::channel();
        let sent = self.send(Command::Write(writes, reply));
        async move {
            sent?;
            answer.await.map_err(|_| closed("written"))?
        }
        .boxed()
    }

    fn run(&self, run_id: &str) -> BoxFuture<'_, Result<Option<RunRecord>, StoreError>> {
        let run_id = run_id.to_owned();
        self.read(move |connection| {
            let found = connection
                .prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?1"))
                .and_then(|mut statement| statement.query_row([&run_id], read_run).optional())
                .map_err(io("read"))?;
            match found {
                None => Ok(None),
                Some(Ok(run)) => Ok(Some(run)),
                Some(Err(damaged)) => Err(StoreError::Damaged(damaged)),
            }
        })
    }

    fn runs(&self, query: RunQuery) -> BoxFuture<'_, Result<Vec<ListedRun>, StoreError>> {
        self.read(move |connection| {
            let mut sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE 1 = 1");
            let mut values: Vec<rusqlite::types::Value> = Vec::new();
            if !query.statuses.is_empty() {
                let marks: Vec<String> = query
                    .statuses
                    .iter()
                    .map(|status| {
                        values.push(status.as_str().to_owned().into());
                        format!("?{}", values.len())
                    })
                    .collect();
                sql.push_str(&format!(" AND status IN ({})", marks.join(", ")));
            }
            if let Some(workflow) = &query.workflow {
                values.push(workflow.clone().into());
                sql.push_str(&format!(" AND workflow = ?{}", values.len()));
            }
            match &query.owner {
                None => {}
                Some(None) => sql.push_str(" AND owner IS NULL"),
                Some(Some(subject)) => {
                    values.push(subject.clone().into());
                    let s = values.len();
                    sql.push_str(&format!(" AND json_extract(owner, '$.subject') = ?{s}"));
                }
            }
            if let Some(before) = query.updated_before {
                values.push((before.min(i64::MAX as u64) as i64).into());
                sql.push_str(&format!(" AND updated_ms < ?{}", values.len()));
            }
            if let Some((created, run_id)) = &query.after {
                values.push((*created as i64).into());
                let c = values.len();
                values.push(run_id.clone().into());
                let r = values.len();
                sql.push_str(&format!(
                    " AND (created_ms < ?{c} OR (created_ms = ?{c} AND run_id < ?{r}))"
                ));
            }
            sql.push_str(" ORDER BY created_ms DESC, run_id DESC");
            if let Some(limit) = query.limit {
                sql.push_str(&format!(" LIMIT {}", limit.min(i64::MAX as usize)));
            }
            let mut statement = connection.prepare(&sql).map_err(io("read"))?;
            let rows = statement
                .query_map(rusqlite::params_from_iter(values), read_run)
                .map_err(io("read"))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(io("read"))
        })
    }

    fn entries(&self, run_id: &str) -> BoxFuture<'_, Result<Vec<JournalEntry>, StoreError>> {
        let run_id = run_id.to_owned();
        self.read(move |connection| {
            let mut statement = connection
                .prepare_cached(
                    "SELECT seq, kind, name, state, recorded_ms FROM journal \
                     WHERE run_id = ?1 ORDER BY seq",
                )
                .map_err(io("read"))?;
            let rows = statement
                .query_map([&run_id], |row| {
                    Ok((
                        row.get::<_, i64>(0),
                        row.get::<_, String>(1),
                        row.get::<_, String>(2),
                        row.get::<_, String>(3),
                        row.get::<_, i64>(4),
                    ))
                })
                .map_err(io("read"))?;
            let mut entries = Vec::new();
            for row in rows {
                let (seq, kind, name, state, recorded) = row.map_err(io("read"))?;
                let damaged = |problem: String| {
                    StoreError::Damaged(Damaged {
                        run_id: run_id.clone(),
                        problem,
                    })
                };
                let seq = seq
                    .ok()
                    .and_then(|s| u32::try_from(s).ok())
                    .ok_or_else(|| damaged("a journal entry has no valid position".to_owned()))?;
                let at = |problem: String| damaged(format!("journal entry {seq}: {problem}"));
                let kind = kind.map_err(|e| at(e.to_string()))?;
                let kind = EntryKind::parse(&kind)
                    .ok_or_else(|| at(format!("its kind {kind:?} is unknown")))?;
                let name = name.map_err(|e| at(e.to_string()))?;
                let state = state.map_err(|e| at(e.to_string()))?;
                let state: EntryState = serde_json::from_str(&state)
                    .map_err(|e| at(format!("its state is not valid: {e}")))?;
                entries.push(JournalEntry {
                    seq,
                    kind,
                    name,
                    state,
                    recorded_ms: recorded.unwrap_or(0).max(0) as u64,
                });
            }
            Ok(entries)
        })
    }

    fn signals(&self, run_id: &str) -> BoxFuture<'_, Result<Vec<Signal>, StoreError>> {
        let run_id = run_id.to_owned();
        self.read(move |connection| {
            let mut statement = connection
                .prepare_cached(
                    "SELECT id, name, payload, received_ms FROM signals WHERE run_id = ?1 ORDER BY id",
                )
                .map_err(io("read"))?;
            // The id is the row's key; the other columns are read without
            // failing the query, so that a bad value damages this run only.
            let rows = statement
                .query_map([&run_id], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, Option<String>>(1),
                        row.get::<_, String>(2),
                        row.get::<_, i64>(3),
                    ))
                })
                .map_err(io("read"))?;
            let mut signals = Vec::new();
            for row in rows {
                let (id, name, payload, received) = row.map_err(io("read"))?;
                let damaged = |problem: String| {
                    StoreError::Damaged(Damaged {
                        run_id: run_id.clone(),
                        problem: format!("signal {id}: {problem}"),
                    })
                };
                let name = name.map_err(|e| damaged(e.to_string()))?;
                let payload = payload.map_err(|e| damaged(e.to_string()))?;
                let received = received.map_err(|e| damaged(e.to_string()))?;
                let payload = serde_json::from_str(&payload)
                    .map_err(|e| damaged(format!("its payload is not valid JSON: {e}")))?;
                signals.push(Signal {
                    id: id as u64,
                    run_id: run_id.clone(),
                    name,
                    payload,
                    received_ms: received.max(0) as u64,
                });
            }
            Ok(signals)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A journal written before runs had owners opens, and its runs belong
    /// to nobody.
    #[tokio::test]
    async fn a_layout_1_journal_gains_owners_and_its_runs_belong_to_nobody() {
        let dir = std::env::temp_dir().join(format!("agentwire-v1-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old.journal");
        {
            let connection = Connection::open(&path).unwrap();
            let v1 = SCHEMA.replace(
                "usage       TEXT,\n    owner       TEXT\n",
                "usage       TEXT\n",
            );
            assert!(
                !v1.contains("owner"),
                "the layout-1 tables have no owner column"
            );
            connection
                .execute_batch(&format!("{v1} PRAGMA user_version = 1;"))
                .unwrap();
            connection
                .execute(
                    "INSERT INTO runs (run_id, workflow, status, input, limits, seed, created_ms, \
                     updated_ms) VALUES ('r1', 'w', 'completed', '{}', '{}', 1, 1, 1)",
                    [],
                )
                .unwrap();
        }
        let store = SqliteStore::open(&path, Synchronous::Normal).unwrap();
        let nobodys = RunQuery {
            owner: Some(None),
            ..RunQuery::default()
        };
        let runs = store.runs(nobodys).await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].as_ref().unwrap().owner, None);
        let alices = RunQuery {
            owner: Some(Some("alice".into())),
            ..RunQuery::default()
        };
        assert!(store.runs(alices).await.unwrap().is_empty());
        drop(store);
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Found by the `journal_records` fuzz target: a signal row with a
    /// value of the wrong type made reading the run's signals fail as an
    /// I/O error of the whole journal instead of damage to that run.
    #[tokio::test]
    async fn a_signal_column_of_the_wrong_type_damages_its_run_only() {
        let dir = std::env::temp_dir().join(format!("agentwire-sig-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("fuzzed.journal");
        let store = SqliteStore::open(&path, Synchronous::Normal).unwrap();
        {
            let connection = Connection::open(&path).unwrap();
            for (run, name, received) in [("bad", "'x'", "'soon'"), ("bad2", "x'00'", "1")] {
                connection
                    .execute(
                        &format!(
                            "INSERT INTO signals (run_id, name, payload, received_ms) \
                             VALUES ('{run}', {name}, '{{}}', {received})"
                        ),
                        [],
                    )
                    .unwrap();
            }
            connection
                .execute(
                    "INSERT INTO signals (run_id, name, payload, received_ms) \
                     VALUES ('good', 'approval', '{\"ok\":true}', 5)",
                    [],
                )
                .unwrap();
        }
        for run in ["bad", "bad2"] {
            match store.signals(run).await {
                Err(StoreError::Damaged(damaged)) => {
                    assert_eq!(damaged.run_id, run);
                    assert!(
                        damaged.problem.starts_with("signal "),
                        "{}",
                        damaged.problem
                    );
                }
                other => panic!("{run}: {other:?}"),
            }
        }
        let good = store.signals("good").await.unwrap();
        assert_eq!(good.len(), 1);
        assert_eq!(good[0].payload, serde_json::json!({"ok": true}));
        drop(store);
        std::fs::remove_dir_all(&dir).ok();
    }

    fn record(run_id: &str) -> RunRecord {
        RunRecord {
            run_id: run_id.to_owned(),
            workflow: "w".to_owned(),
            status: RunStatus::Running,
            input: serde_json::json!({}),
            limits: crate::budget::Budget::default(),
            seed: 7,
            created_ms: 1,
            updated_ms: 1,
            waiting_for: None,
            output: None,
            error: None,
            usage: None,
            owner: None,
        }
    }

    /// Writes that arrive while the journal thread is busy are committed
    /// together, each caller is answered once the transaction holding its
    /// write is committed, everything answered `Ok` is in the file after it
    /// is closed, and a write set that fails (a run created twice) fails
    /// alone.
    #[tokio::test]
    async fn writes_made_together_share_a_commit_and_each_is_answered_after_it() {
        let dir = std::env::temp_dir().join(format!("agentwire-group-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("group.journal");
        let store = Arc::new(SqliteStore::open(&path, Synchronous::Full).unwrap());
        store
            .write(vec![Write::CreateRun(Box::new(record("twice")))])
            .await
            .unwrap();
        let before = store.commits();

        // Hold the journal thread, so that the writes below queue up.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let busy = store.read(move |_| {
            held.recv().ok();
            Ok(())
        });
        let writes: Vec<_> = (0..200)
            .map(|n| {
                let store = store.clone();
                let run_id = if n == 100 {
                    "twice".to_owned()
                } else {
                    format!("run-{n}")
                };
                tokio::spawn(async move {
                    let create = Write::CreateRun(Box::new(record(&run_id)));
                    let entry = Write::AddSignal(Signal {
                        id: 0,
                        run_id: run_id.clone(),
                        name: Some("go".to_owned()),
                        payload: serde_json::json!(n),
                        received_ms: 1,
                    });
                    (run_id, store.write(vec![create, entry]).await)
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        release.send(()).unwrap();
        busy.await.unwrap();
        let mut answered = Vec::new();
        for write in writes {
            answered.push(write.await.unwrap());
        }
        let commits = store.commits() - before;
        assert_eq!(
            commits, 1,
            "200 write sets queued together, one of them failing, took {commits} transactions"
        );
        for (run_id, outcome) in &answered {
            if run_id == "twice" {
                assert!(outcome.is_err(), "a run created twice must fail");
            } else {
                let ids = outcome.as_ref().unwrap();
                assert_eq!(ids.len(), 1, "the signal's id is given back");
            }
        }
        drop(store);

        let reopened = SqliteStore::open(&path, Synchronous::Full).unwrap();
        for (run_id, outcome) in &answered {
            let run = reopened.run(run_id).await.unwrap();
            assert!(
                run.is_some(),
                "{run_id} was answered but is not in the file"
            );
            let signals = reopened.signals(run_id).await.unwrap();
            let expected = usize::from(outcome.is_ok());
            assert_eq!(signals.len(), expected, "signals of {run_id}");
        }
        assert_eq!(reopened.runs(RunQuery::default()).await.unwrap().len(), 200);
        drop(reopened);
        std::fs::remove_dir_all(&dir).ok();
    }
}
