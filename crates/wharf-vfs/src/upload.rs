//! [`Upload`], the handle a client's upload writes into, and [`WriteMode`].

use async_trait::async_trait;
use tokio::io::AsyncWrite;

use crate::error::VfsError;

/// How [`Vfs::create`](crate::Vfs::create) treats an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteMode {
    /// Create the file, or replace it if it exists (`STOR`).
    ///
    /// Atomic: the new content becomes visible only when
    /// [`Upload::finish`] succeeds; until then readers see the old file (or
    /// nothing). An upload that is aborted or dropped leaves the path exactly
    /// as it was.
    Create,
    /// Add to the end of the file, creating it if missing (`APPE`).
    ///
    /// Optional: back-ends without it return
    /// [`VfsErrorKind::Unsupported`](crate::VfsErrorKind::Unsupported) and
    /// say so in [`Capabilities::append`](crate::Capabilities::append).
    /// See [`WriteMode::Resume`] for what an abort leaves behind.
    Append,
    /// Keep the first `offset` bytes of the existing file, discard the rest,
    /// and write the upload after them (`REST offset` + `STOR`).
    ///
    /// `offset` must not exceed the file's size
    /// ([`VfsErrorKind::InvalidOffset`](crate::VfsErrorKind::InvalidOffset)),
    /// and the file must exist unless `offset` is 0
    /// ([`VfsErrorKind::NotFound`](crate::VfsErrorKind::NotFound)).
    /// Optional, like [`WriteMode::Append`].
    ///
    /// **Abort semantics.** Append and Resume exist so that a broken transfer
    /// can be continued, so they are not atomic: a back-end may write in
    /// place, and an upload that is aborted or dropped keeps whatever had
    /// already reached storage. Afterwards the file holds its original bytes
    /// (up to `offset` for Resume) followed by some prefix, possibly empty,
    /// of the bytes written through the handle; a client then asks for the
    /// size and resumes from there. "Discarded" therefore means only that the
    /// rest is not committed. Back-ends that buffer instead may keep
    /// everything or nothing of the written bytes, and a back-end that
    /// writes a copy and renames it over the name at `finish` (`wharf-fs`,
    /// so that a crash never leaves a half-written file under the name)
    /// leaves the file exactly as it was, all of its original bytes, also
    /// those past `offset`: a client that then asks for the size resumes
    /// from the old end, which is right when it resumes the same file and
    /// keeps the old tail when it meant to replace it from `offset`.
    Resume(u64),
}

/// An upload in progress: write the bytes with [`AsyncWrite`], then commit
/// them with [`Upload::finish`].
///
/// Callers need not flush or shut the writer down before `finish`; `finish`
/// does it. An upload that is neither finished nor aborted is abandoned when
/// dropped, exactly as by [`Upload::abort`] (a back-end whose clean-up
/// needs I/O does it in its `Drop`, without blocking for long).
#[async_trait]
pub trait Upload: AsyncWrite + Send + Unpin {
    /// Commits the upload and returns how many bytes were written through
    /// this handle. In [`WriteMode::Create`] the file appears (or replaces the
    /// old one) atomically now. If `finish` fails, nothing was committed
    /// (for Append and Resume, see that variant's abort semantics).
    async fn finish(self: Box<Self>) -> Result<u64, VfsError>;

    /// Abandons the upload: in [`WriteMode::Create`] nothing is left behind;
    /// for Append and Resume see [`WriteMode::Resume`].
    ///
    /// The default drops the handle.
    async fn abort(self: Box<Self>) {
        drop(self);
    }

    /// The local file this upload's bytes go to, for a server that moves
    /// them from the data connection into it in the kernel (`splice`)
    /// instead of through [`AsyncWrite`]. `None`, the default, when the
    /// back-end has no local file or cannot take bytes that way now (bytes
    /// already written through `AsyncWrite` wait in a buffer; a mode whose
    /// file the kernel cannot splice into).
    ///
    /// A caller that writes the file directly uses only that way from then
    /// on, and reports each write with [`LocalFile::wrote`]; `finish` and
    /// `abort` keep their meaning.
    fn local_file(&mut self) -> Option<&mut dyn LocalFile> {
        None
    }

    /// Whether bytes written through [`AsyncWrite`] go to storage around
    /// the page cache (direct I/O to a disk), which a caller writing the
    /// [`local_file`](Self::local_file) cannot do: its bytes then cost a
    /// copy into the cache and their writeback, so a caller choosing the
    /// cheaper way should write through `AsyncWrite`. Asking changes
    /// nothing. The default: `false`.
    fn bypasses_page_cache(&self) -> bool {
        false
    }
}

/// The local file behind an [`Upload`], written by the caller itself: see
/// [`Upload::local_file`].
pub trait LocalFile: Send {
    /// The file, positioned where the next byte goes; a write at its
    /// current position (which the kernel then advances) is the next part
    /// of the upload.
    fn file(&self) -> &std::fs::File;

    /// Records that `bytes` more were written at the file's position, so
    /// that the upload counts them and, when it is durable, can start
    /// their writeback early.
    fn wrote(&mut self, bytes: u64);
}
