//! Where fleet state lives: [`StateStore`], small named records changed by
//! conditional read-modify-write, and the error its users log and count.

use async_trait::async_trait;

/// What a change function returns: the record's new content, or nothing
/// to write (the record stays as it was read).
pub type Change = Option<Vec<u8>>;

/// A change function: the current content (`None`: no record yet) to
/// the [`Change`]. It may run several times, once per attempt.
pub type ChangeFn<'a> = dyn FnMut(Option<&[u8]>) -> Result<Change, String> + Send + 'a;

/// Small records shared by every server of a fleet.
///
/// `update` must never lose a change when several servers change the same
/// record at once: it reads the record, applies `change`, and writes the
/// result only if nobody wrote in between (a lock, an ETag, a version),
/// reading again and retrying otherwise. wharfd puts a directory
/// ([`DirStateStore`](super::DirStateStore)) or blobs (wharf-blob's
/// `ConditionalObjects`) behind it.
#[async_trait]
pub trait StateStore: Send + Sync {
    /// The content of `name`, or `None` if there is no such record.
    async fn read(&self, name: &str) -> Result<Option<Vec<u8>>, StateStoreError>;

    /// Applies `change` to `name` as described above; returns what the
    /// record holds afterwards (`None`: still no record).
    async fn update(
        &self,
        name: &str,
        change: &mut ChangeFn<'_>,
    ) -> Result<Option<Vec<u8>>, StateStoreError>;
}

/// Why a state store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateStoreError {
    /// Reading or writing a local file failed.
    #[error("shared state I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// A stored record is not one a server wrote, or the change refused it.
    #[error("shared state record {name} is unreadable: {reason}")]
    Corrupt {
        /// The record's name in the store.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The store did not answer within the time allowed.
    #[error("shared state store did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The store itself failed (a blob store's error, contention).
    #[error("shared state store failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}
