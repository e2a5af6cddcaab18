//! Where quota usage is kept: the `quota_usage` table of an SQLite file
//! (the workflow journal's by default, WAL, a connection of its own), one
//! row per quota, bucket and window, written at the end of each call.

use std::path::PathBuf;

use rusqlite::params;

use crate::budget::Usage;
use crate::sqlite::LazyConnection;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS quota_usage (
    quota        TEXT NOT NULL,
    bucket       TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    tokens_in    INTEGER NOT NULL DEFAULT 0,
    tokens_out   INTEGER NOT NULL DEFAULT 0,
    cost_micros  INTEGER NOT NULL DEFAULT 0,
    calls        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (quota, bucket, window_start)
) WITHOUT ROWID;
";

/// The file, opened on first use.
#[derive(Debug)]
pub(super) struct QuotaStore {
    sqlite: LazyConnection,
}

impl QuotaStore {
    pub(super) fn new(file: PathBuf) -> Self {
        QuotaStore {
            sqlite: LazyConnection::new(file, SCHEMA),
        }
    }

    /// What the bucket used in the window starting at `start`.
    pub(super) fn used(&self, quota: &str, bucket: &str, start: u64) -> Result<Usage, String> {
        self.sqlite.with(|c| {
            let row = c.query_row(
                "SELECT tokens_in, tokens_out, cost_micros, calls FROM quota_usage \
                 WHERE quota = ?1 AND bucket = ?2 AND window_start = ?3",
                params![quota, bucket, start as i64],
                |row| {
                    Ok(Usage {
                        input_tokens: row.get::<_, i64>(0)?.max(0) as u64,
                        output_tokens: row.get::<_, i64>(1)?.max(0) as u64,
                        cost_micros: row.get::<_, i64>(2)?.max(0) as u64,
                        elapsed_ms: 0,
                        calls: row.get::<_, i64>(3)?.clamp(0, i64::from(u32::MAX)) as u32,
                    })
                },
            );
            match row {
                Ok(usage) => Ok(usage),
                Err(rusqlite::Error::QueryReturnedNoRows) => Ok(Usage::default()),
                Err(e) => Err(e),
            }
        })
    }

    /// Adds `usage` (at least one call) to the bucket's window; older
    /// windows of the bucket are dropped.
    pub(super) fn add(
        &self,
        quota: &str,
        bucket: &str,
        start: u64,
        usage: &Usage,
    ) -> Result<(), String> {
        let clamp = |n: u64| n.min(i64::MAX as u64) as i64;
        self.sqlite.with(|c| {
            c.execute(
                "INSERT INTO quota_usage (quota, bucket, window_start, tokens_in, tokens_out, \
                 cost_micros, calls) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT (quota, bucket, window_start) DO UPDATE SET \
                 tokens_in = tokens_in + excluded.tokens_in, \
                 tokens_out = tokens_out + excluded.tokens_out, \
                 cost_micros = cost_micros + excluded.cost_micros, \
                 calls = calls + excluded.calls",
                params![
                    quota,
                    bucket,
                    start as i64,
                    clamp(usage.input_tokens),
                    clamp(usage.output_tokens),
                    clamp(usage.cost_micros),
                    i64::from(usage.calls.max(1)),
                ],
            )?;
            c.execute(
                "DELETE FROM quota_usage WHERE quota = ?1 AND bucket = ?2 AND window_start < ?3",
                params![quota, bucket, start as i64],
            )?;
            Ok(())
        })
    }
}
