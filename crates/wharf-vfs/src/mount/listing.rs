//! A back-end's listing with the mount table's own names laid over it.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::error::VfsError;
use crate::metadata::{DirEntry, Metadata};
use crate::vfs::DirStream;
use crate::vpath::VPath;

/// How a back-end's ids and paths become the whole tree's.
#[derive(Clone)]
pub(super) struct Retag {
    /// The index of the back-end (0: the root), put before its unique ids
    /// so that two back-ends that number their objects alike still give
    /// distinct ids.
    pub(super) index: usize,
    /// The listed directory, as the whole tree names it, for errors.
    pub(super) dir: VPath,
}

impl Retag {
    /// `meta` with its unique id tagged by the back-end.
    pub(super) fn metadata(&self, mut meta: Metadata) -> Metadata {
        if let Some(id) = meta.unique_id.take() {
            meta.unique_id = Some(format!("m{}.{id}", self.index));
        }
        meta
    }
}

/// The entries of one back-end's directory, minus the names the mount
/// table places there, then the table's entries.
pub(super) struct Overlay {
    /// The back-end's listing; `None` once it ended (or when the directory
    /// exists only in the mount table).
    inner: Option<DirStream>,
    /// The names the table places in the directory: hidden in `inner`.
    shadowed: Vec<Vec<u8>>,
    /// The table's entries, sent after `inner`.
    extra: VecDeque<DirEntry>,
    retag: Retag,
}

impl Overlay {
    /// Lays `extra` over `inner`.
    pub(super) fn stream(
        inner: Option<DirStream>,
        extra: Vec<DirEntry>,
        retag: Retag,
    ) -> DirStream {
        let shadowed = extra.iter().map(|e| e.name.clone()).collect();
        Box::pin(Self {
            inner,
            shadowed,
            extra: extra.into(),
            retag,
        })
    }
}

impl Stream for Overlay {
    type Item = Result<DirEntry, VfsError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        while let Some(inner) = this.inner.as_mut() {
            match inner.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => this.inner = None,
                Poll::Ready(Some(Err(err))) => {
                    // The back-end names its own path; the client knows the
                    // listed directory.
                    return Poll::Ready(Some(Err(err.with_path(&this.retag.dir))));
                }
                Poll::Ready(Some(Ok(entry))) => {
                    if this.shadowed.contains(&entry.name) {
                        continue;
                    }
                    let DirEntry { name, metadata } = entry;
                    let metadata = this.retag.metadata(metadata);
                    return Poll::Ready(Some(Ok(DirEntry::new(name, metadata))));
                }
            }
        }
        Poll::Ready(this.extra.pop_front().map(Ok))
    }
}
