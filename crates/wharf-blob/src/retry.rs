//! Which failures are worth retrying, and how long to wait between tries.

use std::time::Duration;

use http::StatusCode;

/// Exponential backoff with jitter: `first`, then doubling, `retries` times.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    pub(crate) first: Duration,
    pub(crate) retries: usize,
    /// Told of each retry.
    pub(crate) on_retry: Option<crate::config::RetryHook>,
}

impl Backoff {
    /// The pause before retry number `attempt` (0-based), or `None` when
    /// the retries are used up. Each pause is between half and all of
    /// `first × 2^attempt`, at most 10 s.
    pub(crate) fn delay(&self, attempt: usize) -> Option<Duration> {
        if attempt >= self.retries {
            return None;
        }
        let full = self
            .first
            .saturating_mul(1 << attempt.min(16))
            .min(Duration::from_secs(10));
        let jitter = full.mul_f64(fastrand::f64() / 2.0);
        Some(full - jitter)
    }
}

/// Timeouts, throttling and server errors.
pub(crate) fn transient_status(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stops() {
        let backoff = Backoff {
            first: Duration::from_millis(100),
            retries: 3,
            on_retry: None,
        };
        let delays: Vec<_> = (0..4).map(|n| backoff.delay(n)).collect();
        assert!(delays[0].unwrap() <= Duration::from_millis(100));
        assert!(delays[2].unwrap() >= Duration::from_millis(200));
        assert!(delays[3].is_none());
        assert!(transient_status(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!transient_status(StatusCode::NOT_FOUND));
    }
}
