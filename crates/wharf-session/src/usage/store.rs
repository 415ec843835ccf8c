//! Where counts are kept between flushes: the [`UsageStore`] trait and the
//! JSON record every store writes, one per account and period.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A store of byte counts per account and period, shared by every server
/// that enforces the same quotas.
///
/// `add` must never lose an increment when several servers add to the same
/// count at once: stores do a conditional write (compare-and-swap on an
/// ETag, a version, or a lock) and retry on conflict.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// The stored count of `account` in `period` (`0` if none yet).
    async fn load(&self, account: &str, period: &str) -> Result<u64, UsageStoreError>;

    /// Adds `delta` to that count and returns the new total, which includes
    /// what other servers added.
    async fn add(&self, account: &str, period: &str, delta: u64) -> Result<u64, UsageStoreError>;
}

/// Why a usage store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UsageStoreError {
    /// Reading or writing failed.
    #[error("usage store I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// A stored record is not one this store wrote.
    #[error("usage record {name} is unreadable: {reason}")]
    Corrupt {
        /// The record's name in the store.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Other writers kept winning the conditional write.
    #[error("usage record {0} stayed contended after many retries")]
    Contended(String),
    /// The store itself failed (a blob store's error, say).
    #[error("usage store failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The stored form of one count: a small JSON object,
/// `{"account":"alice","period":"2026-11-21","bytes":12345}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRecord {
    /// The account counted.
    pub account: String,
    /// The period's key ([`Window::key`](super::Window::key)).
    pub period: String,
    /// Bytes counted so far in that period, by every server.
    pub bytes: u64,
}

impl UsageRecord {
    /// The record as JSON.
    pub fn to_json(&self) -> Vec<u8> {
        // Serialising strings and integers to a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a record written by [`UsageRecord::to_json`]; `name` is for
    /// the error.
    pub fn from_json(bytes: &[u8], name: &str) -> Result<Self, UsageStoreError> {
        serde_json::from_slice(bytes).map_err(|e| UsageStoreError::Corrupt {
            name: name.to_owned(),
            reason: e.to_string(),
        })
    }

    /// The record's name in a store: `<account>/<period>.json`, with the
    /// account name percent-encoded where it is not a plain file name
    /// character, so no account can name another's record or leave the
    /// store's folder.
    pub fn object_name(account: &str, period: &str) -> String {
        let mut name = String::with_capacity(account.len() + period.len() + 6);
        for byte in account.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'@') {
                name.push(char::from(byte));
            } else if byte == b'.' && !name.is_empty() {
                name.push('.');
            } else {
                name.push_str(&format!("%{byte:02X}"));
            }
        }
        if name.is_empty() {
            name.push_str("%00");
        }
        name.push('/');
        name.push_str(period);
        name.push_str(".json");
        name
    }

    /// The record after adding `delta` to `current` (none yet: a new one).
    pub fn added(current: Option<Self>, account: &str, period: &str, delta: u64) -> Self {
        let bytes = current.map_or(0, |r| r.bytes);
        Self {
            account: account.to_owned(),
            period: period.to_owned(),
            bytes: bytes.saturating_add(delta),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_json() {
        let record = UsageRecord::added(None, "alice", "2026-11-21", 42);
        let json = record.to_json();
        assert_eq!(
            std::str::from_utf8(&json).ok(),
            Some(r#"{"account":"alice","period":"2026-11-21","bytes":42}"#)
        );
        assert_eq!(UsageRecord::from_json(&json, "x").ok(), Some(record));
        assert!(UsageRecord::from_json(b"{\"bytes\":", "x").is_err());
    }

    #[test]
    fn object_names_cannot_escape_or_collide() {
        assert_eq!(
            UsageRecord::object_name("alice", "2026-11"),
            "alice/2026-11.json"
        );
        assert_eq!(
            UsageRecord::object_name("../etc", "2026-11"),
            "%2E.%2Fetc/2026-11.json"
        );
        assert_eq!(UsageRecord::object_name("a/b", "d"), "a%2Fb/d.json");
        assert_eq!(UsageRecord::object_name("", "d"), "%00/d.json");
        assert_eq!(UsageRecord::object_name("x.y", "d"), "x.y/d.json");
        assert_ne!(
            UsageRecord::object_name("a%2Fb", "d"),
            UsageRecord::object_name("a/b", "d")
        );
    }
}
