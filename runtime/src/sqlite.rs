//! How the runtime opens the SQLite files it keeps state in: WAL (readers do
//! not wait for the writer), a chosen [`Synchronous`] level, and a bounded
//! wait on a lock another connection holds ([`use_wal`]). The workflow
//! journal sets up its own connection so; the smaller stores (quota usage,
//! users' tokens) each hold a [`LazyConnection`], opened on first use with
//! their tables, which may share the journal's file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;

/// How long a statement waits on a lock held by another connection (the
/// journal's and the stores' connections share one file), in milliseconds.
const BUSY_TIMEOUT_MS: u32 = 5000;

/// How hard SQLite works to keep a commit through a power cut.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// `fsync` on every commit: commits survive a power cut and an OS crash.
    #[default]
    Full,
    /// `fsync` at checkpoints only: commits survive a crash of the process
    /// (`kill -9`), and the last ones may be lost on a power cut.
    Normal,
}

impl Synchronous {
    /// Reads `full` or `normal`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "full" => Some(Synchronous::Full),
            "normal" => Some(Synchronous::Normal),
            _ => None,
        }
    }

    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// Puts `connection` in WAL mode at `synchronous`, waiting up to
/// [`BUSY_TIMEOUT_MS`] on another connection's lock.
pub(crate) fn use_wal(connection: &Connection, synchronous: Synchronous) -> rusqlite::Result<()> {
    connection.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; \
         PRAGMA busy_timeout = {BUSY_TIMEOUT_MS};",
        synchronous.pragma()
    ))
}

/// A connection to `file`, opened on first use (WAL, `synchronous =
/// NORMAL`) with `schema` applied then; every error names the file. An open
/// that fails is tried again on the next use.
pub(crate) struct LazyConnection {
    file: PathBuf,
    schema: &'static str,
    connection: Mutex<Option<Connection>>,
}

impl std::fmt::Debug for LazyConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyConnection")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl LazyConnection {
    /// `file`, to be opened with `schema` (statements that may run again on
    /// every open, such as `CREATE TABLE IF NOT EXISTS`).
    pub(crate) fn new(file: PathBuf, schema: &'static str) -> Self {
        LazyConnection {
            file,
            schema,
            connection: Mutex::new(None),
        }
    }

    /// The file.
    pub(crate) fn file(&self) -> &Path {
        &self.file
    }

    /// Runs `work` on the connection, opening it first if need be.
    pub(crate) fn with<T>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, String> {
        let named = |e: rusqlite::Error| format!("{}: {e}", self.file.display());
        let mut slot = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let connection = match &mut *slot {
            Some(connection) => connection,
            empty => empty.insert(self.open().map_err(named)?),
        };
        work(connection).map_err(named)
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open(&self.file)?;
        use_wal(&connection, Synchronous::Normal)?;
        connection.execute_batch(self.schema)?;
        Ok(connection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each open records itself in `opens`.
    const SCHEMA: &str = "
        CREATE TABLE IF NOT EXISTS opens (at INTEGER);
        INSERT INTO opens VALUES (1);
    ";

    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            let dir =
                std::env::temp_dir().join(format!("agentwire-sqlite-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn pragma<T: rusqlite::types::FromSql>(c: &Connection, name: &str) -> rusqlite::Result<T> {
        c.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
    }

    #[test]
    fn the_file_is_opened_on_first_use_in_wal_with_its_schema_applied_once() {
        let dir = TempDir::new();
        let file = dir.0.join("state.db");
        let lazy = LazyConnection::new(file.clone(), SCHEMA);
        assert!(!file.exists(), "nothing is opened before the first use");

        let count =
            |c: &Connection| c.query_row("SELECT count(*) FROM opens", [], |r| r.get::<_, i64>(0));
        assert_eq!(lazy.with(count).unwrap(), 1);
        assert_eq!(lazy.with(count).unwrap(), 1, "the schema ran again");
        assert!(file.exists());

        let (mode, synchronous, busy) = lazy
            .with(|c| {
                Ok((
                    pragma::<String>(c, "journal_mode")?,
                    pragma::<i64>(c, "synchronous")?,
                    pragma::<i64>(c, "busy_timeout")?,
                ))
            })
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(synchronous, 1, "NORMAL is 1");
        assert_eq!(busy, i64::from(BUSY_TIMEOUT_MS));

        // Another connection to the same file applies the schema on its own open.
        let other = LazyConnection::new(file, SCHEMA);
        assert_eq!(other.with(count).unwrap(), 2);
    }

    #[test]
    fn errors_name_the_file_and_a_failed_open_is_tried_again() {
        let dir = TempDir::new();
        let file = dir.0.join("missing").join("state.db");
        let lazy = LazyConnection::new(file.clone(), SCHEMA);
        let error = lazy.with(|_| Ok(())).unwrap_err();
        assert!(
            error.starts_with(&format!("{}: ", file.display())),
            "{error}"
        );

        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        lazy.with(|_| Ok(())).unwrap();
        let error = lazy
            .with(|c| c.execute("INSERT INTO nowhere VALUES (1)", []))
            .unwrap_err();
        assert!(
            error.starts_with(&format!("{}: ", file.display())) && error.contains("nowhere"),
            "{error}"
        );
    }

    #[test]
    fn a_bad_schema_is_an_error_naming_the_file() {
        let dir = TempDir::new();
        let file = dir.0.join("state.db");
        let error = LazyConnection::new(file.clone(), "CREATE TABLE broken (")
            .with(|_| Ok(()))
            .unwrap_err();
        assert!(
            error.starts_with(&format!("{}: ", file.display())),
            "{error}"
        );
    }

    #[test]
    fn full_synchronous_is_set_on_request() {
        let dir = TempDir::new();
        let connection = Connection::open(dir.0.join("journal.db")).unwrap();
        use_wal(&connection, Synchronous::Full).unwrap();
        assert_eq!(
            pragma::<String>(&connection, "journal_mode").unwrap(),
            "wal"
        );
        assert_eq!(
            pragma::<i64>(&connection, "synchronous").unwrap(),
            2,
            "FULL is 2"
        );
        assert_eq!(Synchronous::parse("normal"), Some(Synchronous::Normal));
        assert_eq!(Synchronous::parse("fast"), None);
    }
}
