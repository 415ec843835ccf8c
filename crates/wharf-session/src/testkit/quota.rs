//! A quota hook for tests: a byte limit per direction, counted in memory,
//! so a transcript can check where a transfer stops and what was counted.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::quota::{Direction, QuotaExceeded, QuotaHook, QuotaStatus};

/// Byte limits per direction (`u64::MAX` is none) and what was used.
#[derive(Debug)]
pub(crate) struct ByteQuota {
    limits: [u64; 2],
    used: Mutex<[u64; 2]>,
    /// Control and listing bytes, which count but never stop anything.
    recorded: Mutex<u64>,
}

fn slot(direction: Direction) -> usize {
    match direction {
        Direction::Download => 0,
        Direction::Upload => 1,
    }
}

impl ByteQuota {
    /// At most `download` bytes out and `upload` bytes in.
    pub(crate) fn new(download: u64, upload: u64) -> Self {
        Self {
            limits: [download, upload],
            used: Mutex::new([0, 0]),
            recorded: Mutex::new(0),
        }
    }

    /// Bytes counted in `direction`.
    pub(crate) fn used(&self, direction: Direction) -> u64 {
        self.used.lock().unwrap()[slot(direction)]
    }

    /// The quota hooks of a transfer test: `budget` bytes each way, or
    /// none.
    pub(crate) fn hooks(budget: Option<u64>) -> Vec<Arc<dyn QuotaHook>> {
        budget
            .map(|bytes| Arc::new(Self::new(bytes, bytes)) as Arc<dyn QuotaHook>)
            .into_iter()
            .collect()
    }

    /// Control and listing bytes recorded.
    pub(crate) fn recorded(&self) -> u64 {
        *self.recorded.lock().unwrap()
    }
}

impl QuotaHook for ByteQuota {
    fn check(&self, direction: Direction) -> Result<(), QuotaExceeded> {
        let i = slot(direction);
        if self.used.lock().unwrap()[i] >= self.limits[i] {
            return Err(QuotaExceeded::new("test quota used up"));
        }
        Ok(())
    }

    fn consume(&self, direction: Direction, bytes: u64) -> Result<(), QuotaExceeded> {
        let i = slot(direction);
        let mut used = self.used.lock().unwrap();
        let left = self.limits[i] - used[i];
        if bytes <= left {
            used[i] += bytes;
            return Ok(());
        }
        used[i] = self.limits[i];
        Err(QuotaExceeded {
            message: "test quota reached".to_owned(),
            allowed: left,
        })
    }

    fn record(&self, bytes: u64) {
        *self.recorded.lock().unwrap() += bytes;
    }

    fn status(&self) -> Option<QuotaStatus> {
        Some(QuotaStatus {
            account: "tester".to_owned(),
            period: "daily",
            used: self.used(Direction::Download),
            limit: self.limits[0],
            resets: SystemTime::UNIX_EPOCH + Duration::from_secs(86_400),
        })
    }
}
