//! Bandwidth limits: a token bucket per session, per account, per user,
//! per virtual host and for the whole server, one for each direction.
//!
//! Each [`Throttle`] keeps the time at which the bytes granted so far will
//! have been paid for at its rate (the "theoretical arrival time" of the
//! generic cell rate algorithm, a token bucket with no burst). A chunk is
//! granted by moving that time on by the chunk's cost and waiting until
//! then, so a transfer takes `bytes / rate` however the chunks fall, and
//! sessions sharing an account's throttle share its rate. Sessions without
//! a limit never touch a throttle: the check is one `Option`.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// A bandwidth limit in bytes per second.
#[derive(Debug)]
pub struct Throttle {
    bytes_per_second: u64,
    paid_until: Mutex<Instant>,
}

impl Throttle {
    /// A throttle at `bytes_per_second`; `None` for `0` (unlimited).
    pub fn new(bytes_per_second: u64) -> Option<Self> {
        (bytes_per_second > 0).then(|| Self {
            bytes_per_second,
            paid_until: Mutex::new(Instant::now()),
        })
    }

    /// The rate.
    pub fn bytes_per_second(&self) -> u64 {
        self.bytes_per_second
    }

    /// Grants `bytes` and returns when they may go.
    pub fn reserve(&self, bytes: u64) -> Instant {
        let nanos = u128::from(bytes) * 1_000_000_000 / u128::from(self.bytes_per_second);
        let cost = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        let now = Instant::now();
        let mut paid_until = self
            .paid_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *paid_until = (*paid_until).max(now) + cost;
        *paid_until
    }
}

/// Waits until every throttle in `throttles` has granted `bytes`.
pub(crate) async fn pace<'a>(throttles: impl IntoIterator<Item = &'a Throttle>, bytes: u64) {
    let mut until = None;
    for throttle in throttles {
        let at = throttle.reserve(bytes);
        until = Some(until.map_or(at, |u: Instant| u.max(at)));
    }
    if let Some(until) = until {
        tokio::time::sleep_until(until).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_means_no_throttle() {
        assert!(Throttle::new(0).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_spreads_bytes_at_its_rate() {
        let throttle = Throttle::new(1000).expect("a rate");
        let start = Instant::now();
        for _ in 0..10 {
            pace([&throttle], 500).await;
        }
        // 5000 bytes at 1000 B/s: five seconds, however they are chunked.
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn the_slower_of_two_throttles_decides() {
        let session = Throttle::new(4000).expect("a rate");
        let account = Throttle::new(1000).expect("a rate");
        let start = Instant::now();
        pace([&session, &account], 2000).await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_throttle_does_not_save_up_a_burst() {
        let throttle = Throttle::new(1000).expect("a rate");
        tokio::time::sleep(Duration::from_secs(60)).await;
        let start = Instant::now();
        pace([&throttle], 1000).await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
