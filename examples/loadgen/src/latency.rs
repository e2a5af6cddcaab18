//! Latency percentiles from the recorded call durations.

use serde::Serialize;

/// Percentiles of the call latencies, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl LatencySummary {
    /// Summarizes latencies given in nanoseconds (sorted in place); all zero
    /// when there are none.
    pub fn from_nanos(latencies: &mut [u64]) -> Self {
        if latencies.is_empty() {
            return LatencySummary::default();
        }
        latencies.sort_unstable();
        let micros = |nanos: u64| nanos as f64 / 1000.0;
        let total: u128 = latencies.iter().map(|&n| u128::from(n)).sum();
        LatencySummary {
            p50: micros(nearest_rank(latencies, 50.0)),
            p90: micros(nearest_rank(latencies, 90.0)),
            p99: micros(nearest_rank(latencies, 99.0)),
            max: micros(latencies[latencies.len() - 1]),
            mean: total as f64 / latencies.len() as f64 / 1000.0,
        }
    }
}

/// The nearest-rank percentile of sorted, non-empty values.
fn nearest_rank(sorted: &[u64], percentile: f64) -> u64 {
    let rank = (percentile / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut nanos: Vec<u64> = (1..=100).rev().map(|i| i * 1000).collect();
        let summary = LatencySummary::from_nanos(&mut nanos);
        assert_eq!(summary.p50, 50.0);
        assert_eq!(summary.p90, 90.0);
        assert_eq!(summary.p99, 99.0);
        assert_eq!(summary.max, 100.0);
        assert_eq!(summary.mean, 50.5);
    }

    #[test]
    fn no_latencies_give_zeros_and_one_gives_itself() {
        assert_eq!(
            LatencySummary::from_nanos(&mut []),
            LatencySummary::default()
        );
        let one = LatencySummary::from_nanos(&mut [7000]);
        assert_eq!((one.p50, one.p99, one.max), (7.0, 7.0, 7.0));
    }
}
