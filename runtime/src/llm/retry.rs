//! Retrying failed provider calls with backoff, inside the caller's time
//! budget: 429 (after its `retry-after`), 5xx, timeouts, broken connections
//! and malformed answers are tried again; a wait that would pass the
//! deadline is not started.

use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant, SystemTime};

use super::provider::{ProviderError, ProviderErrorKind};

/// How a provider retries and how long one request may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderRetry {
    /// Attempts after the first; 0 never retries.
    pub max_retries: u32,
    /// The wait before the first retry; it doubles with each retry.
    pub initial_backoff: Duration,
    /// The longest wait computed by backoff (a provider's `retry-after` may
    /// ask for longer, within the deadline).
    pub max_backoff: Duration,
    /// The longest one attempt may take, whatever the budget leaves.
    pub request_timeout: Duration,
}

impl Default for ProviderRetry {
    /// 3 retries, from 500 ms up to 20 s apart; 120 s per attempt.
    fn default() -> Self {
        ProviderRetry {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            request_timeout: Duration::from_secs(120),
        }
    }
}

impl ProviderRetry {
    /// The wait before retry number `retry` (0-based): exponential, capped,
    /// with jitter between half and all of it so that clients spread out.
    fn backoff(&self, retry: u32) -> Duration {
        let exponential = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_backoff);
        let random = RandomState::new().hash_one(SystemTime::now()) % 1000;
        exponential / 2 + exponential / 2 * (random as u32) / 1000
    }
}

/// Runs `attempt` until it succeeds, fails in a way that is not worth
/// retrying, runs out of retries, or the next try would pass `deadline`.
/// Each attempt gets the time it may take (the policy's timeout, less if the
/// deadline is nearer) and is cut off after it.
pub(crate) async fn retrying<T, F, Fut>(
    policy: &ProviderRetry,
    deadline: Option<Instant>,
    mut attempt: F,
) -> Result<T, ProviderError>
where
    F: FnMut(Duration) -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut attempts = 0;
    loop {
        attempts += 1;
        let timeout = match deadline {
            Some(deadline) => policy
                .request_timeout
                .min(deadline.saturating_duration_since(Instant::now())),
            None => policy.request_timeout,
        };
        if timeout.is_zero() {
            let mut error = ProviderError::new(
                ProviderErrorKind::Timeout,
                "no time is left in the budget for the model call",
            );
            error.attempts = attempts - 1;
            return Err(error);
        }
        let outcome = match tokio::time::timeout(timeout, attempt(timeout)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(ProviderError::new(
                ProviderErrorKind::Timeout,
                format!("no answer within {} ms", timeout.as_millis()),
            )),
        };
        let mut error = match outcome {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        error.attempts = attempts;
        if !error.kind.is_retryable() || attempts > policy.max_retries {
            return Err(error);
        }
        let wait = error
            .retry_after
            .unwrap_or_else(|| policy.backoff(attempts - 1));
        if let Some(deadline) = deadline
            && Instant::now() + wait >= deadline
        {
            error.message.push_str(&format!(
                "; not retried: waiting {} ms would pass the deadline",
                wait.as_millis()
            ));
            return Err(error);
        }
        tracing::debug!(
            attempt = attempts,
            wait_ms = wait.as_millis() as u64,
            error = %error,
            "retrying the model call"
        );
        tokio::time::sleep(wait).await;
    }
}

/// Reads `retry-after-ms` (OpenAI) or `retry-after` (seconds or an HTTP
/// date) from a response's headers.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms.min(3.6e6) / 1000.0));
    }
    let value = text("retry-after")?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(3600.0)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn quick() -> ProviderRetry {
        ProviderRetry {
            max_retries: 2,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            request_timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn retryable_errors_are_retried_until_the_retries_run_out() {
        let tries = AtomicU32::new(0);
        let error = retrying(&quick(), None, |_| async {
            tries.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(ProviderError::from_status(503, None, "down"))
        })
        .await
        .unwrap_err();
        assert_eq!(tries.load(Ordering::SeqCst), 3);
        assert_eq!(error.attempts, 3);
        assert_eq!(error.to_string(), "HTTP 503: down (after 3 attempts)");
    }

    #[tokio::test]
    async fn a_request_error_is_not_retried() {
        let tries = AtomicU32::new(0);
        let error = retrying(&quick(), None, |_| async {
            tries.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(ProviderError::from_status(400, None, "bad"))
        })
        .await
        .unwrap_err();
        assert_eq!(tries.load(Ordering::SeqCst), 1);
        assert_eq!(error.status, Some(400));
    }

    #[tokio::test]
    async fn a_retry_after_past_the_deadline_gives_up_at_once() {
        let started = Instant::now();
        let error = retrying(
            &quick(),
            Some(Instant::now() + Duration::from_secs(2)),
            |_| async {
                Err::<(), _>(ProviderError::from_status(
                    429,
                    Some(Duration::from_secs(30)),
                    "slow down",
                ))
            },
        )
        .await
        .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(error.message.contains("would pass the deadline"), "{error}");
    }

    #[test]
    fn retry_after_reads_seconds_milliseconds_and_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", "150".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(150)));
        let mut dated = reqwest::header::HeaderMap::new();
        dated.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&dated), Some(Duration::ZERO));
        let mut junk = reqwest::header::HeaderMap::new();
        junk.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&junk), None);
    }
}
