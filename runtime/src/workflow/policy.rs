//! Retries and timeouts of steps and agent calls, as declared with
//! `#[workflow(retry(...), step_timeout = "...")]` and overridden per step.

use std::time::Duration;

/// How often, and how patiently, a failed step or agent call is tried again.
///
/// The first attempt runs at once; after the `n`th failure the next attempt
/// waits `backoff × factorⁿ⁻¹`, at most `max_backoff`. Attempts, and the time
/// of the next one, are journaled, so a restart neither resets the count nor
/// skips the wait.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// How many attempts in all, the first included; `1` never retries.
    pub attempts: u32,
    /// The wait before the second attempt.
    pub backoff: Duration,
    /// What each further wait is multiplied by.
    pub factor: f64,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// Three attempts, waiting 1 s then 2 s: what a workflow without
    /// `retry(...)` uses.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        attempts: 3,
        backoff: Duration::from_secs(1),
        factor: 2.0,
        max_backoff: Duration::from_secs(60),
    };

    /// One attempt, no retries.
    pub const NONE: RetryPolicy = RetryPolicy {
        attempts: 1,
        ..RetryPolicy::DEFAULT
    };

    /// [`DEFAULT`](Self::DEFAULT) with `attempts` attempts in all.
    pub const fn attempts(attempts: u32) -> Self {
        RetryPolicy {
            attempts,
            ..RetryPolicy::DEFAULT
        }
    }

    /// This policy waiting `backoff` before the second attempt.
    pub const fn with_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// This policy multiplying each wait by `factor`.
    pub const fn with_factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// This policy waiting at most `max_backoff` between attempts.
    pub const fn with_max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// The wait after `failures` failed attempts (1 for the first failure).
    pub fn delay_after(&self, failures: u32) -> Duration {
        let factor = if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        };
        let exponent = failures.saturating_sub(1).min(64) as i32;
        let seconds = self.backoff.as_secs_f64() * factor.powi(exponent);
        let cap = self.max_backoff.max(self.backoff);
        if seconds.is_finite() && seconds < cap.as_secs_f64() {
            Duration::from_secs_f64(seconds.max(0.0))
        } else {
            cap
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::DEFAULT
    }
}

/// The retries and timeout of one step or agent call.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StepPolicy {
    /// How failed attempts are retried.
    pub retry: RetryPolicy,
    /// How long one attempt may take; it fails (and may be retried) after.
    pub timeout: Option<Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_by_the_factor_up_to_the_cap() {
        let policy = RetryPolicy::attempts(10)
            .with_backoff(Duration::from_millis(100))
            .with_factor(3.0)
            .with_max_backoff(Duration::from_secs(1));
        assert_eq!(policy.delay_after(1), Duration::from_millis(100));
        assert_eq!(policy.delay_after(2), Duration::from_millis(300));
        assert_eq!(policy.delay_after(3), Duration::from_millis(900));
        assert_eq!(policy.delay_after(4), Duration::from_secs(1));
        assert_eq!(policy.delay_after(1000), Duration::from_secs(1));
    }

    #[test]
    fn a_nonsense_factor_keeps_the_backoff_constant() {
        let policy = RetryPolicy::DEFAULT.with_factor(f64::NAN);
        assert_eq!(policy.delay_after(5), policy.backoff);
    }
}
