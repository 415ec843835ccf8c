//! [`DirStateStore`]: fleet state as files in a directory that every
//! server mounts (one machine, or a shared disk with working `flock`).

use std::io;
use std::path::PathBuf;

use async_trait::async_trait;

use super::store::{ChangeFn, StateStore, StateStoreError};
use crate::locked_file::{Durability, lock_and_read, read_file, replace_and_unlock};

/// Records as `<dir>/<name>` files.
///
/// Each update holds an exclusive lock (`flock`) on `<name>.lock` while it
/// reads, changes and replaces the record (a temporary file renamed into
/// place), so processes sharing the directory never lose a change, and a
/// reader never sees half a record. Records are not synced to disk: they
/// are counts and bans a crash of the machine may lose.
#[derive(Debug, Clone)]
pub struct DirStateStore {
    dir: PathBuf,
}

impl DirStateStore {
    /// A store in `dir`, created on first write.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> Result<T, StateStoreError> {
    Ok(tokio::task::spawn_blocking(work)
        .await
        .map_err(io::Error::other)??)
}

#[async_trait]
impl StateStore for DirStateStore {
    async fn read(&self, name: &str) -> Result<Option<Vec<u8>>, StateStoreError> {
        let path = self.dir.join(name);
        blocking(move || read_file(&path)).await
    }

    async fn update(
        &self,
        name: &str,
        change: &mut ChangeFn<'_>,
    ) -> Result<Option<Vec<u8>>, StateStoreError> {
        let path = self.dir.join(name);
        // Taking the lock may wait on another server, so it runs on the
        // blocking pool; the change runs here, as it borrows from the caller.
        let locked = path.clone();
        let (lock, current) = blocking(move || lock_and_read(&locked)).await?;
        let new = change(current.as_deref()).map_err(|reason| StateStoreError::Corrupt {
            name: name.to_owned(),
            reason,
        })?;
        let Some(new) = new else {
            return Ok(current);
        };
        let written = new.clone();
        blocking(move || replace_and_unlock(&path, &written, lock, Durability::Cached)).await?;
        Ok(Some(new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn increment(current: Option<&[u8]>) -> Result<Option<Vec<u8>>, String> {
        let n: u64 = match current {
            None => 0,
            Some(bytes) => std::str::from_utf8(bytes)
                .map_err(|e| e.to_string())?
                .parse()
                .map_err(|e: std::num::ParseIntError| e.to_string())?,
        };
        Ok(Some((n + 1).to_string().into_bytes()))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_lose_no_change() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut tasks = Vec::new();
        for _ in 0..8 {
            // A store each, as separate servers would have.
            let store = DirStateStore::new(dir.path());
            tasks.push(tokio::spawn(async move {
                for _ in 0..25 {
                    store.update("n", &mut increment).await.expect("update");
                }
            }));
        }
        for task in tasks {
            task.await.expect("task");
        }
        let store = DirStateStore::new(dir.path());
        assert_eq!(store.read("n").await.ok(), Some(Some(b"200".to_vec())));
        assert_eq!(store.read("missing").await.ok(), Some(None));
    }

    #[tokio::test]
    async fn a_change_that_writes_nothing_leaves_the_record() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = DirStateStore::new(dir.path());
        store.update("n", &mut increment).await.expect("update");
        let kept = store.update("n", &mut |_| Ok(None)).await.expect("update");
        assert_eq!(kept, Some(b"1".to_vec()));
        let refused = store.update("n", &mut |_| Err("no".to_owned())).await;
        assert!(matches!(refused, Err(StateStoreError::Corrupt { .. })));
        assert_eq!(store.read("n").await.ok(), Some(Some(b"1".to_vec())));
    }
}
