//! Uploads to [`MemoryFs`](super::MemoryFs): bytes collect in a buffer and
//! reach the tree in one step.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};

use async_trait::async_trait;
use tokio::io::AsyncWrite;

use super::{Tree, write};
use crate::error::VfsError;
use crate::upload::{Upload, WriteMode};
use crate::vpath::VPath;

/// An upload in progress. In `Create` mode nothing is visible before
/// `finish`. In `Append` and `Resume` modes an abandoned upload keeps the
/// bytes it received, as a back-end writing in place would.
pub(super) struct MemoryUpload {
    tree: Arc<RwLock<Tree>>,
    path: VPath,
    mode: WriteMode,
    buffer: Vec<u8>,
    /// Committed or deliberately dropped: nothing left to do on drop.
    settled: bool,
}

impl MemoryUpload {
    pub(super) fn new(tree: Arc<RwLock<Tree>>, path: VPath, mode: WriteMode) -> Self {
        Self {
            tree,
            path,
            mode,
            buffer: Vec::new(),
            settled: false,
        }
    }

    fn commit(&mut self) -> Result<u64, VfsError> {
        self.settled = true;
        let bytes = std::mem::take(&mut self.buffer);
        let len = bytes.len() as u64;
        write(&self.tree).commit(&self.path, self.mode, bytes)?;
        Ok(len)
    }

    /// Abandons the upload, keeping the partial bytes in the in-place modes.
    fn abandon(&mut self) {
        if self.settled {
            return;
        }
        self.settled = true;
        if self.mode != WriteMode::Create {
            // The path may be gone by now; a partial append has nowhere to go.
            let _ = self.commit();
        }
    }
}

impl AsyncWrite for MemoryUpload {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().buffer.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[async_trait]
impl Upload for MemoryUpload {
    async fn finish(mut self: Box<Self>) -> Result<u64, VfsError> {
        self.commit()
    }

    async fn abort(mut self: Box<Self>) {
        self.abandon();
    }
}

impl Drop for MemoryUpload {
    fn drop(&mut self) {
        self.abandon();
    }
}
