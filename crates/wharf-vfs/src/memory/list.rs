//! The listing stream of [`MemoryFs`](super::MemoryFs): it takes the lock
//! once per batch, so a huge directory is never copied whole and no lock is
//! held between polls.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};

use futures_core::Stream;

use super::{Tree, read};
use crate::error::VfsError;
use crate::metadata::DirEntry;
use crate::vpath::VPath;

/// Entries fetched per lock.
const BATCH: usize = 256;

/// Streams a directory in name order, a batch at a time. Entries added or
/// removed during the listing may or may not appear; none appears twice.
pub(super) struct ListStream {
    tree: Arc<RwLock<Tree>>,
    path: VPath,
    /// The last name handed out; the next batch starts after it.
    after: Option<Vec<u8>>,
    buffer: VecDeque<DirEntry>,
    done: bool,
}

impl ListStream {
    pub(super) fn new(tree: Arc<RwLock<Tree>>, path: VPath) -> Self {
        Self {
            tree,
            path,
            after: None,
            buffer: VecDeque::new(),
            done: false,
        }
    }
}

impl Stream for ListStream {
    type Item = Result<DirEntry, VfsError>;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.buffer.is_empty() && !this.done {
            let batch = read(&this.tree).list_batch(&this.path, this.after.as_deref(), BATCH);
            match batch {
                Ok(batch) => {
                    this.done = batch.len() < BATCH;
                    this.after = batch.last().map(|entry| entry.name.clone());
                    this.buffer.extend(batch);
                }
                Err(err) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(err)));
                }
            }
        }
        Poll::Ready(this.buffer.pop_front().map(Ok))
    }
}
