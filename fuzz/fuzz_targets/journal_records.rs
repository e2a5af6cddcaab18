//! Journal records read back from the SQLite file (workflow/store): a run,
//! journal entry or signal row holding anything SQLite can hold (a damaged
//! file, an edit by hand, another version) is read or reported as damaged
//! for its run alone, never a panic; and a record the store wrote reads
//! back as itself.

#![no_main]

mod common;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use agentwire::workflow::record::{EntryKind, JournalEntry};
use agentwire::workflow::store::{JournalStore, SqliteStore, StoreError, Synchronous, Write};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rusqlite::types::Value as Cell;

#[derive(Arbitrary, Debug)]
enum Column {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    /// Text that is likely to be close to a real record.
    Known(u8),
}

/// Texts the store itself writes, for the fuzzer to start from.
const KNOWN: &[&str] = &[
    "running",
    "completed",
    "failed",
    "input_required",
    "cancelled",
    "step",
    "agent",
    "timer",
    "wait",
    "{}",
    "null",
    r#"{"tokens":10,"timeoutMs":1000}"#,
    r#"{"state":"succeeded","value":1}"#,
    r#"{"state":"timer","fire_at_ms":18446744073709551615}"#,
    r#"{"state":"retrying","attempts":4294967295,"next_at_ms":0,"last_error":""}"#,
    r#"{"input_tokens":18446744073709551615,"output_tokens":1,"cost_micros":0,"elapsed_ms":0,"calls":1}"#,
    r#"{"subject":"alice","scopes":["a"]}"#,
    r#"{"code":"x","message":"y"}"#,
];

impl Column {
    fn cell(&self) -> Cell {
        match self {
            Column::Null => Cell::Null,
            Column::Integer(i) => Cell::Integer(*i),
            Column::Real(r) => Cell::Real(*r),
            Column::Text(t) => Cell::Text(t.clone()),
            Column::Blob(b) => Cell::Blob(b.clone()),
            Column::Known(k) => Cell::Text(KNOWN[usize::from(*k) % KNOWN.len()].to_owned()),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// workflow, status, input, limits, seed, created, updated, waiting_for,
    /// output, error, usage, owner.
    run: Option<[Column; 12]>,
    /// seq, kind, name, state, recorded_ms.
    entries: Vec<[Column; 5]>,
    /// name, payload, received_ms.
    signals: Vec<[Column; 3]>,
    /// An entry written through the store, to read back.
    written: Option<(u32, u8, String, String, u64)>,
}

struct Journal {
    store: SqliteStore,
    /// A second connection to the same file, writing rows as they come.
    raw: std::sync::Mutex<rusqlite::Connection>,
}

fn journal() -> &'static Journal {
    static JOURNAL: OnceLock<Journal> = OnceLock::new();
    JOURNAL.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("agentwire-fuzz-{}.db", std::process::id()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let store = SqliteStore::open(&path, Synchronous::Normal).expect("a journal");
        let raw = rusqlite::Connection::open(&path).expect("a second connection");
        raw.execute_batch("PRAGMA synchronous = OFF; PRAGMA busy_timeout = 5000;")
            .unwrap();
        Journal {
            store,
            raw: std::sync::Mutex::new(raw),
        }
    })
}

fn damaged_or_read<T>(outcome: Result<T, StoreError>) {
    match outcome {
        Ok(_) | Err(StoreError::Damaged(_)) => {}
        Err(other) => panic!("a bad record is not damage: {other}"),
    }
}

fuzz_target!(|input: Input| {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let run_id = format!("run-{}", RUNS.fetch_add(1, Ordering::Relaxed));
    let journal = journal();
    {
        let raw = journal.raw.lock().unwrap();
        if let Some(run) = &input.run {
            let mut cells = vec![Cell::Text(run_id.clone())];
            cells.extend(run.iter().map(Column::cell));
            let _ = raw.execute(
                "INSERT INTO runs (run_id, workflow, status, input, limits, seed, created_ms, \
                 updated_ms, waiting_for, output, error, usage, owner) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                rusqlite::params_from_iter(cells),
            );
        }
        for entry in &input.entries {
            let mut cells = vec![Cell::Text(run_id.clone())];
            cells.extend(entry.iter().map(Column::cell));
            let _ = raw.execute(
                "INSERT OR REPLACE INTO journal (run_id, seq, kind, name, state, recorded_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params_from_iter(cells),
            );
        }
        for signal in &input.signals {
            let mut cells = vec![Cell::Text(run_id.clone())];
            cells.extend(signal.iter().map(Column::cell));
            let _ = raw.execute(
                "INSERT INTO signals (run_id, name, payload, received_ms) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params_from_iter(cells),
            );
        }
    }
    let store = &journal.store;
    common::block_on(async {
        damaged_or_read(store.run(&run_id).await);
        damaged_or_read(store.entries(&run_id).await);
        damaged_or_read(store.signals(&run_id).await);
        if let Some((seq, kind, name, state, recorded_ms)) = &input.written
            && let Ok(state) = serde_json::from_str(state)
        {
            let kinds = ["step", "agent", "timer", "wait"];
            let kind = EntryKind::parse(kinds[usize::from(*kind) % kinds.len()]).unwrap();
            let written_id = format!("{run_id}-written");
            let entry = JournalEntry {
                seq: *seq,
                kind,
                name: name.clone(),
                state,
                recorded_ms: *recorded_ms,
            };
            let put = Write::PutEntry {
                run_id: written_id.clone(),
                entry: entry.clone(),
            };
            store.write(vec![put]).await.expect("written");
            let read = store.entries(&written_id).await.expect("read back");
            assert_eq!(read.len(), 1);
            // Timestamps are stored as SQLite integers (i64).
            let mut expected = entry;
            expected.recorded_ms = expected.recorded_ms.min(i64::MAX as u64);
            assert_eq!(
                serde_json::to_string(&read[0].state).unwrap(),
                serde_json::to_string(&expected.state).unwrap()
            );
            assert_eq!(
                (read[0].seq, read[0].kind, &read[0].name),
                (expected.seq, expected.kind, &expected.name)
            );
        }
    });
    let raw = journal.raw.lock().unwrap();
    for table in ["runs", "journal", "signals"] {
        let _ = raw.execute(
            &format!("DELETE FROM {table} WHERE run_id LIKE ?1"),
            [format!("{run_id}%")],
        );
    }
});
