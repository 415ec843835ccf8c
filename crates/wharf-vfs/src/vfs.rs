//! The [`Vfs`] trait every storage back-end implements.

use std::pin::Pin;
use std::time::SystemTime;

use async_trait::async_trait;
use futures_core::Stream;
use tokio::io::AsyncBufRead;

use crate::capabilities::Capabilities;
use crate::error::VfsError;
use crate::metadata::{DirEntry, Metadata};
use crate::upload::{Upload, WriteMode};
use crate::vpath::VPath;

/// A file's content from some offset, as returned by [`Vfs::open_read`].
///
/// Buffered (`AsyncBufRead`, which includes `AsyncRead`): the server sends
/// straight from the reader's own buffer, so a back-end that already holds
/// its bytes in chunks (a read-ahead buffer, an HTTP body, memory) hands
/// them out without another copy. `std::io::Cursor`, `tokio::io::empty()`
/// and `tokio_util::io::StreamReader` qualify as they are; wrap any other
/// `AsyncRead` in `tokio::io::BufReader`.
pub type FileReader = Box<dyn AsyncBufRead + Send + Unpin>;

/// A file opened for reading ([`Vfs::open_read_sized`]).
pub struct OpenedFile {
    /// The bytes from the offset asked for.
    pub reader: FileReader,
    /// The file's whole size (not what follows the offset), when opening
    /// it told.
    pub size: Option<u64>,
}

impl std::fmt::Debug for OpenedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedFile")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// An open local file for [`Vfs::open_local`], positioned at the offset
/// asked for.
#[derive(Debug)]
pub struct OpenedLocalFile {
    /// The open file.
    pub file: std::fs::File,
    /// Its whole size when it was opened (not what follows the offset): a
    /// download sends up to there, so the server need not ask the file
    /// again.
    pub size: u64,
}

/// A directory listing, as returned by [`Vfs::list`]: entries arrive as the
/// back-end produces them, so a directory of millions of entries is never
/// held in memory at once. An `Err` item ends the listing early.
pub type DirStream = Pin<Box<dyn Stream<Item = Result<DirEntry, VfsError>> + Send>>;

/// A storage back-end: local disk, memory, an object store, your own.
///
/// The trait is object-safe, so a server can hand each user their own
/// `Arc<dyn Vfs>`. It knows nothing of FTP: a session resolves client
/// pathnames to [`VPath`]s, calls these methods, and maps
/// [`VfsErrorKind`](crate::VfsErrorKind)s to reply codes.
///
/// Readers, listings and uploads are `'static`: they must not borrow the
/// back-end, so keep shared state behind an `Arc` and clone it into them.
/// Every method may be called concurrently from many sessions.
///
/// Errors use the kinds documented on each method; any method may also fail
/// with `PermissionDenied`, `Transient` or `Other`. The
/// [`testing`](crate#testing) feature holds a conformance suite that checks
/// these rules; run it in your back-end's tests. See the
/// [crate docs](crate#implementing-a-back-end) for a small implementation.
#[async_trait]
pub trait Vfs: Send + Sync {
    /// What `path` names. Fails with `NotFound`, or `NotADirectory` when a
    /// parent is a file. The root is always a directory.
    async fn metadata(&self, path: &VPath) -> Result<Metadata, VfsError>;

    /// The entries of the directory `path`, in no particular order, without
    /// `.` and `..`. Fails with `NotFound` or `NotADirectory`.
    async fn list(&self, path: &VPath) -> Result<DirStream, VfsError>;

    /// Reads the file `path` from byte `offset` (`REST` + `RETR`). An offset
    /// equal to the size reads nothing; a larger one fails with
    /// `InvalidOffset`. Fails with `NotFound` or `IsADirectory`.
    async fn open_read(&self, path: &VPath, offset: u64) -> Result<FileReader, VfsError>;

    /// [`Vfs::open_read`], with the file's whole size when opening it
    /// told the back-end (a blob store's `GET` answers with it), so that a
    /// server announcing the size before a download need not ask
    /// [`Vfs::metadata`] first: one round trip to a remote store instead of
    /// two. The default opens and knows no size; a back-end overrides it
    /// only where the size comes with the open at no cost.
    async fn open_read_sized(&self, path: &VPath, offset: u64) -> Result<OpenedFile, VfsError> {
        Ok(OpenedFile {
            reader: self.open_read(path, offset).await?,
            size: None,
        })
    }

    /// The open local file behind `path`, positioned at `offset`, with its
    /// size, for a server that can hand it to the kernel (`sendfile`)
    /// instead of copying it through [`Vfs::open_read`]. `Ok(None)`, the
    /// default, when the back-end has no local file; it fails as
    /// `open_read` would.
    async fn open_local(
        &self,
        path: &VPath,
        offset: u64,
    ) -> Result<Option<OpenedLocalFile>, VfsError> {
        let _ = (path, offset);
        Ok(None)
    }

    /// Starts an upload to `path`; see [`WriteMode`] for what each mode does
    /// and when the bytes become visible. Fails with `NotFound` when the
    /// parent directory is missing (or, for Resume with an offset, the file),
    /// `IsADirectory` when `path` is a directory, `InvalidOffset`, or
    /// `Unsupported` for a mode the back-end lacks.
    async fn create(&self, path: &VPath, mode: WriteMode) -> Result<Box<dyn Upload>, VfsError>;

    /// Creates the directory `path`; its parent must exist. Fails with
    /// `AlreadyExists`, `NotFound` or `NotADirectory`.
    async fn mkdir(&self, path: &VPath) -> Result<(), VfsError>;

    /// Removes the empty directory `path`. Fails with `DirectoryNotEmpty`,
    /// `NotFound` or `NotADirectory`; removing `/` fails.
    async fn rmdir(&self, path: &VPath) -> Result<(), VfsError>;

    /// Removes the file `path`. Fails with `NotFound` or `IsADirectory`.
    async fn remove_file(&self, path: &VPath) -> Result<(), VfsError>;

    /// Renames a file or a directory (with everything in it). A file renamed
    /// over an existing file replaces it. Fails with `NotFound` (source or
    /// target parent missing), `IsADirectory` (file over a directory),
    /// `NotADirectory` (directory over a file), `DirectoryNotEmpty`
    /// (directory over a non-empty one) or `InvalidName` (a directory into
    /// itself). Renaming `/` fails.
    async fn rename(&self, from: &VPath, to: &VPath) -> Result<(), VfsError>;

    /// Sets the modification time of `path` (`MFMT`). Optional: the default
    /// fails with `Unsupported`; see [`Capabilities::set_mtime`].
    async fn set_mtime(&self, path: &VPath, modified: SystemTime) -> Result<(), VfsError> {
        let _ = modified;
        Err(VfsError::unsupported(path))
    }

    /// Sets the Unix permission bits of `path` (`SITE CHMOD`). Optional:
    /// the default fails with `Unsupported`; see
    /// [`Capabilities::set_permissions`].
    async fn set_permissions(&self, path: &VPath, mode: u32) -> Result<(), VfsError> {
        let _ = mode;
        Err(VfsError::unsupported(path))
    }

    /// The MD5 of the file's whole content as the store keeps it and the
    /// back-end trusts it (Azure's `Content-MD5`, an S3 ETag that is a
    /// plain MD5), so a checksum command need not read the file. `None`
    /// when there is none worth trusting; the default has none.
    async fn stored_md5(&self, path: &VPath) -> Result<Option<[u8; 16]>, VfsError> {
        let _ = path;
        Ok(None)
    }

    /// Which optional operations work. The default supports none.
    fn capabilities(&self) -> Capabilities {
        Capabilities::none()
    }
}
