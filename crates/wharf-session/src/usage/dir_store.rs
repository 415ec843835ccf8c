//! [`DirUsageStore`]: usage records as JSON files in a local directory.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::store::{UsageRecord, UsageStore, UsageStoreError};
use crate::locked_file::{Durability, lock_and_read, read_file, replace_and_unlock};

/// Usage records as `<dir>/<account>/<period>.json`.
///
/// Each update holds an exclusive lock on a `.lock` file beside the record
/// while it reads, adds and replaces the record (written to a temporary
/// file, synced, renamed into place), so several processes on one machine
/// may share the directory without losing an increment; a crash mid-write
/// leaves the old record.
#[derive(Debug, Clone)]
pub struct DirUsageStore {
    dir: PathBuf,
}

impl DirUsageStore {
    /// A store in `dir`, created on first write.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn record_path(&self, account: &str, period: &str) -> PathBuf {
        self.dir.join(UsageRecord::object_name(account, period))
    }
}

/// The record in `bytes` (read from `path`), if there was one.
fn parse(path: &Path, bytes: Option<Vec<u8>>) -> Result<Option<UsageRecord>, UsageStoreError> {
    bytes
        .map(|bytes| UsageRecord::from_json(&bytes, &path.display().to_string()))
        .transpose()
}

fn read_record(path: &Path) -> Result<Option<UsageRecord>, UsageStoreError> {
    parse(path, read_file(path)?)
}

fn add_locked(
    path: &Path,
    account: &str,
    period: &str,
    delta: u64,
) -> Result<u64, UsageStoreError> {
    let (lock, current) = lock_and_read(path)?;
    let record = UsageRecord::added(parse(path, current)?, account, period, delta);
    replace_and_unlock(path, &record.to_json(), lock, Durability::Synced)?;
    Ok(record.bytes)
}

#[async_trait]
impl UsageStore for DirUsageStore {
    async fn load(&self, account: &str, period: &str) -> Result<u64, UsageStoreError> {
        let path = self.record_path(account, period);
        let record = tokio::task::spawn_blocking(move || read_record(&path))
            .await
            .map_err(|e| UsageStoreError::Io(io::Error::other(e)))??;
        Ok(record.map_or(0, |r| r.bytes))
    }

    async fn add(&self, account: &str, period: &str, delta: u64) -> Result<u64, UsageStoreError> {
        let path = self.record_path(account, period);
        let (account, period) = (account.to_owned(), period.to_owned());
        tokio::task::spawn_blocking(move || add_locked(&path, &account, &period, delta))
            .await
            .map_err(|e| UsageStoreError::Io(io::Error::other(e)))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[tokio::test]
    async fn counts_survive_a_new_store_on_the_same_directory() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = DirUsageStore::new(dir.path());
        assert_eq!(store.load("alice", "2026-11-21").await.ok(), Some(0));
        assert_eq!(store.add("alice", "2026-11-21", 10).await.ok(), Some(10));
        assert_eq!(store.add("alice", "2026-11-21", 5).await.ok(), Some(15));
        let again = DirUsageStore::new(dir.path());
        assert_eq!(again.load("alice", "2026-11-21").await.ok(), Some(15));
        assert_eq!(again.load("alice", "2026-11-22").await.ok(), Some(0));
        assert_eq!(again.load("bob", "2026-11-21").await.ok(), Some(0));
        let file = dir.path().join("alice/2026-11-21.json");
        let text = fs::read_to_string(file).expect("record file");
        assert!(text.contains("\"bytes\":15"), "{text}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_adds_lose_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut tasks = Vec::new();
        for i in 0..8u64 {
            // A store each, as separate servers would have.
            let store = DirUsageStore::new(dir.path());
            tasks.push(tokio::spawn(async move {
                for _ in 0..25 {
                    store.add("shared", "2026-11", i + 1).await.expect("add");
                }
            }));
        }
        for task in tasks {
            task.await.expect("task");
        }
        let total = DirUsageStore::new(dir.path())
            .load("shared", "2026-11")
            .await;
        assert_eq!(total.ok(), Some(25 * (1..=8).sum::<u64>()));
    }

    #[tokio::test]
    async fn a_corrupt_record_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::create_dir_all(dir.path().join("alice")).expect("mkdir");
        fs::write(dir.path().join("alice/2026-11.json"), b"garbage").expect("write");
        let store = DirUsageStore::new(dir.path());
        assert!(matches!(
            store.add("alice", "2026-11", 1).await,
            Err(UsageStoreError::Corrupt { .. })
        ));
    }
}
