//! Wall-clock times as the journal stores them (milliseconds since the Unix
//! epoch) and as MCP shows them (RFC 3339).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    wall_clock()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The wall clock.
#[cfg(not(feature = "testing"))]
fn wall_clock() -> SystemTime {
    SystemTime::now()
}

/// The wall clock as the tokio runtime sees it: when a test pauses tokio's
/// clock and lets it skip ahead (`start_paused`), timers, wait timeouts
/// and `ctx.now()` follow it, so a run that sleeps for a day finishes at
/// once; otherwise the two clocks agree.
#[cfg(feature = "testing")]
fn wall_clock() -> SystemTime {
    let runtime = tokio::time::Instant::now().into_std();
    let real = std::time::Instant::now();
    let now = SystemTime::now();
    if runtime >= real {
        now + (runtime - real)
    } else {
        now - (real - runtime)
    }
}

/// `ms` after the epoch as a `SystemTime`.
pub fn system_time(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// `now + duration`, in milliseconds since the epoch; `None` when too far.
pub fn after(duration: Duration) -> Option<u64> {
    u64::try_from(duration.as_millis())
        .ok()
        .and_then(|ms| now_ms().checked_add(ms))
}

/// Sleeps until the wall-clock time `ms` (at once if it passed).
pub async fn sleep_until_ms(ms: u64) {
    let left = ms.saturating_sub(now_ms());
    if left > 0 {
        tokio::time::sleep(Duration::from_millis(left)).await;
    }
}

/// `ms` after the epoch as an RFC 3339 UTC timestamp with milliseconds.
pub fn rfc3339(ms: u64) -> String {
    let seconds = ms / 1000;
    let days = (seconds / 86_400) as i64;
    let rem = seconds % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339(1_767_225_599_000), "2025-12-31T23:59:59.000Z");
    }
}
