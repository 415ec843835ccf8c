//! [`VfsError`]: what every back-end operation fails with.

use std::error::Error as StdError;
use std::fmt;
use std::io;

use crate::vpath::{VPath, VPathError};

/// The kind of a [`VfsError`]: what a server needs to pick its reply.
///
/// The FTP session maps kinds to reply codes in one place; back-ends only
/// have to choose the right kind. New kinds may be added, so match with a
/// wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VfsErrorKind {
    /// The path, or one of its parent directories, does not exist.
    NotFound,
    /// Something already exists at the path (`mkdir` of an existing name).
    AlreadyExists,
    /// A directory was expected but the path names something else, or a
    /// component in the middle of the path is not a directory.
    NotADirectory,
    /// A file operation was given a directory.
    IsADirectory,
    /// `rmdir` (or renaming over a directory) found the directory not empty.
    DirectoryNotEmpty,
    /// The back-end refuses the operation: permission bits, a read-only
    /// store, or a path that would leave the back-end's jail.
    PermissionDenied,
    /// Out of space or over a quota.
    QuotaExceeded,
    /// The back-end cannot store this name (too long, bytes it cannot
    /// represent, a reserved name).
    InvalidName,
    /// A read or resume offset lies past the end of the file.
    InvalidOffset,
    /// The back-end does not implement this operation.
    Unsupported,
    /// A rename whose source and target lie on different back-ends of a
    /// [`MountFs`](crate::MountFs): it is refused rather than copied, so a
    /// rename stays one atomic step wherever it succeeds.
    CrossesMount,
    /// A back-end failure that may succeed if retried (a network timeout, a
    /// throttled request, a busy resource).
    Transient,
    /// Anything else.
    Other,
}

impl VfsErrorKind {
    /// A short description, such as `"not found"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not found",
            Self::AlreadyExists => "already exists",
            Self::NotADirectory => "not a directory",
            Self::IsADirectory => "is a directory",
            Self::DirectoryNotEmpty => "directory not empty",
            Self::PermissionDenied => "permission denied",
            Self::QuotaExceeded => "quota exceeded",
            Self::InvalidName => "invalid name",
            Self::InvalidOffset => "offset past end of file",
            Self::Unsupported => "operation not supported",
            Self::CrossesMount => "cannot rename across mounts",
            Self::Transient => "temporary failure",
            Self::Other => "storage error",
        }
    }

    /// The kind for an I/O error, for back-ends built on `std::io`.
    ///
    /// On Unix the OS error number decides: `ENOENT` is
    /// [`NotFound`](Self::NotFound); `EACCES`, `EPERM` and `EROFS` are
    /// [`PermissionDenied`](Self::PermissionDenied); `EEXIST`,
    /// `ENOTDIR`, `EISDIR` and `ENOTEMPTY` map to their namesakes; `EDQUOT`,
    /// `ENOSPC` and `EFBIG` are [`QuotaExceeded`](Self::QuotaExceeded);
    /// `ENAMETOOLONG`, `EINVAL` and `EILSEQ` are
    /// [`InvalidName`](Self::InvalidName); `EAGAIN`, `EINTR`, `EBUSY`,
    /// `ETIMEDOUT` and `ESTALE` are [`Transient`](Self::Transient);
    /// `ENOSYS` and `EOPNOTSUPP` are [`Unsupported`](Self::Unsupported).
    /// Errors without an OS error number (such as cap-std's "a path led
    /// outside of the filesystem", a `PermissionDenied`) map by their
    /// [`io::ErrorKind`]; anything else is [`Other`](Self::Other).
    pub fn from_io(err: &io::Error) -> Self {
        #[cfg(unix)]
        if let Some(kind) = err.raw_os_error().and_then(from_errno) {
            return kind;
        }
        match err.kind() {
            io::ErrorKind::NotFound => Self::NotFound,
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                Self::PermissionDenied
            }
            io::ErrorKind::AlreadyExists => Self::AlreadyExists,
            io::ErrorKind::NotADirectory => Self::NotADirectory,
            io::ErrorKind::IsADirectory => Self::IsADirectory,
            io::ErrorKind::DirectoryNotEmpty => Self::DirectoryNotEmpty,
            io::ErrorKind::StorageFull | io::ErrorKind::FileTooLarge => Self::QuotaExceeded,
            io::ErrorKind::InvalidInput => Self::InvalidName,
            io::ErrorKind::Unsupported => Self::Unsupported,
            io::ErrorKind::TimedOut
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::ResourceBusy => Self::Transient,
            _ => Self::Other,
        }
    }
}

/// Maps a Unix error number, or returns `None` to fall back on the kind.
#[cfg(unix)]
fn from_errno(errno: i32) -> Option<VfsErrorKind> {
    use VfsErrorKind as K;
    Some(match errno {
        libc::ENOENT => K::NotFound,
        libc::EACCES | libc::EPERM | libc::EROFS => K::PermissionDenied,
        libc::EEXIST => K::AlreadyExists,
        libc::ENOTDIR => K::NotADirectory,
        libc::EISDIR => K::IsADirectory,
        libc::ENOTEMPTY => K::DirectoryNotEmpty,
        libc::EDQUOT | libc::ENOSPC | libc::EFBIG => K::QuotaExceeded,
        libc::ENAMETOOLONG | libc::EINVAL | libc::EILSEQ => K::InvalidName,
        libc::EAGAIN | libc::EINTR | libc::EBUSY | libc::ETIMEDOUT | libc::ESTALE => K::Transient,
        libc::ENOSYS | libc::EOPNOTSUPP => K::Unsupported,
        _ => return None,
    })
}

impl fmt::Display for VfsErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The boxed underlying cause of a [`VfsError`].
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Why a [`Vfs`](crate::Vfs) operation failed: a [`VfsErrorKind`], the path
/// it concerned where known, and the back-end's own error as the
/// [`source`](StdError::source) where there is one.
///
/// ```
/// use wharf_vfs::{VPath, VfsError, VfsErrorKind};
///
/// let path = VPath::parse("/missing.txt")?;
/// let err = VfsError::not_found(&path);
/// assert_eq!(err.kind(), VfsErrorKind::NotFound);
/// assert_eq!(err.to_string(), "not found: /missing.txt");
/// # Ok::<(), wharf_vfs::VPathError>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{kind}{}", PathSuffix(.path.as_ref()))]
pub struct VfsError {
    kind: VfsErrorKind,
    path: Option<VPath>,
    #[source]
    source: Option<BoxError>,
    /// A sentence for the client, where the back-end knows why in words
    /// the client can act on.
    reason: Option<String>,
}

/// Displays `: /path` when there is a path.
struct PathSuffix<'a>(Option<&'a VPath>);

impl fmt::Display for PathSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(path) => write!(f, ": {path}"),
            None => Ok(()),
        }
    }
}

impl VfsError {
    /// An error of `kind` with no path and no source.
    pub fn new(kind: VfsErrorKind) -> Self {
        Self {
            kind,
            path: None,
            source: None,
            reason: None,
        }
    }

    /// Attaches a reason meant for the client, which a server may show in
    /// its reply (an FTP server after the reply's text: "550 /f: Permission
    /// denied: the SAS token lacks write (w) permission"). Unlike the
    /// source, it must hold nothing secret or internal.
    #[must_use]
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// The reason for the client, if the back-end gave one.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// Attaches the path the error concerns.
    #[must_use]
    pub fn with_path(mut self, path: &VPath) -> Self {
        self.path = Some(path.clone());
        self
    }

    /// Attaches the underlying cause.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Maps an I/O error with [`VfsErrorKind::from_io`], keeping it as the
    /// source. An I/O error that carries a `VfsError` (a back-end's reader
    /// or upload speaks `io`, but knows better) is that error, its kind
    /// and reason kept, with `path` where it names none.
    pub fn from_io(err: io::Error, path: &VPath) -> Self {
        if err.get_ref().is_some_and(|inner| inner.is::<VfsError>()) {
            return match err.into_inner().map(|inner| inner.downcast::<VfsError>()) {
                Some(Ok(inner)) => {
                    let mut inner = *inner;
                    if inner.path.is_none() {
                        inner.path = Some(path.clone());
                    }
                    inner
                }
                // Checked above: it is a VfsError.
                _ => Self::new(VfsErrorKind::Other).with_path(path),
            };
        }
        Self::new(VfsErrorKind::from_io(&err))
            .with_path(path)
            .with_source(err)
    }

    /// [`VfsErrorKind::NotFound`] for `path`.
    pub fn not_found(path: &VPath) -> Self {
        Self::new(VfsErrorKind::NotFound).with_path(path)
    }

    /// [`VfsErrorKind::AlreadyExists`] for `path`.
    pub fn already_exists(path: &VPath) -> Self {
        Self::new(VfsErrorKind::AlreadyExists).with_path(path)
    }

    /// [`VfsErrorKind::NotADirectory`] for `path`.
    pub fn not_a_directory(path: &VPath) -> Self {
        Self::new(VfsErrorKind::NotADirectory).with_path(path)
    }

    /// [`VfsErrorKind::IsADirectory`] for `path`.
    pub fn is_a_directory(path: &VPath) -> Self {
        Self::new(VfsErrorKind::IsADirectory).with_path(path)
    }

    /// [`VfsErrorKind::DirectoryNotEmpty`] for `path`.
    pub fn directory_not_empty(path: &VPath) -> Self {
        Self::new(VfsErrorKind::DirectoryNotEmpty).with_path(path)
    }

    /// [`VfsErrorKind::PermissionDenied`] for `path`.
    pub fn permission_denied(path: &VPath) -> Self {
        Self::new(VfsErrorKind::PermissionDenied).with_path(path)
    }

    /// [`VfsErrorKind::InvalidName`] for `path`.
    pub fn invalid_name(path: &VPath) -> Self {
        Self::new(VfsErrorKind::InvalidName).with_path(path)
    }

    /// [`VfsErrorKind::InvalidOffset`] for `path`.
    pub fn invalid_offset(path: &VPath) -> Self {
        Self::new(VfsErrorKind::InvalidOffset).with_path(path)
    }

    /// [`VfsErrorKind::Unsupported`] for `path`.
    pub fn unsupported(path: &VPath) -> Self {
        Self::new(VfsErrorKind::Unsupported).with_path(path)
    }

    /// [`VfsErrorKind::Transient`], caused by `source`.
    pub fn transient(source: impl Into<BoxError>) -> Self {
        Self::new(VfsErrorKind::Transient).with_source(source)
    }

    /// [`VfsErrorKind::Other`], caused by `source`.
    pub fn other(source: impl Into<BoxError>) -> Self {
        Self::new(VfsErrorKind::Other).with_source(source)
    }

    /// What went wrong.
    pub fn kind(&self) -> VfsErrorKind {
        self.kind
    }

    /// The path the error concerns, where known.
    pub fn path(&self) -> Option<&VPath> {
        self.path.as_ref()
    }

    /// Whether retrying may succeed ([`VfsErrorKind::Transient`]).
    pub fn is_transient(&self) -> bool {
        self.kind == VfsErrorKind::Transient
    }
}

impl From<VfsErrorKind> for VfsError {
    fn from(kind: VfsErrorKind) -> Self {
        Self::new(kind)
    }
}

impl From<io::Error> for VfsError {
    /// Maps with [`VfsErrorKind::from_io`]; prefer [`VfsError::from_io`],
    /// which also records the path.
    fn from(err: io::Error) -> Self {
        Self::new(VfsErrorKind::from_io(&err)).with_source(err)
    }
}

impl From<VPathError> for VfsError {
    /// A pathname that cannot become a [`VPath`] is an
    /// [`VfsErrorKind::InvalidName`].
    fn from(err: VPathError) -> Self {
        Self::new(VfsErrorKind::InvalidName).with_source(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_io_error_carrying_a_vfs_error_is_that_error() {
        let path = VPath::parse("/f").unwrap();
        let carried = VfsError::new(VfsErrorKind::Transient).with_reason("the store is gone");
        let back = VfsError::from_io(io::Error::other(carried), &path);
        assert_eq!(back.kind(), VfsErrorKind::Transient);
        assert_eq!(back.reason(), Some("the store is gone"));
        assert_eq!(back.to_string(), "temporary failure: /f");
        let plain = VfsError::from_io(io::Error::other("plain"), &path);
        assert_eq!((plain.kind(), plain.reason()), (VfsErrorKind::Other, None));
    }

    #[test]
    fn maps_os_errors() {
        let cases = [
            (libc::ENOENT, VfsErrorKind::NotFound),
            (libc::EACCES, VfsErrorKind::PermissionDenied),
            (libc::EPERM, VfsErrorKind::PermissionDenied),
            (libc::EEXIST, VfsErrorKind::AlreadyExists),
            (libc::ENOTDIR, VfsErrorKind::NotADirectory),
            (libc::EISDIR, VfsErrorKind::IsADirectory),
            (libc::ENOTEMPTY, VfsErrorKind::DirectoryNotEmpty),
            (libc::EDQUOT, VfsErrorKind::QuotaExceeded),
            (libc::ENOSPC, VfsErrorKind::QuotaExceeded),
            (libc::ENAMETOOLONG, VfsErrorKind::InvalidName),
            (libc::EINVAL, VfsErrorKind::InvalidName),
            (libc::EIO, VfsErrorKind::Other),
        ];
        for (errno, kind) in cases {
            let err = io::Error::from_raw_os_error(errno);
            assert_eq!(VfsErrorKind::from_io(&err), kind, "errno {errno}");
        }
    }

    #[test]
    fn maps_kinds_without_errno() {
        let escape = io::Error::new(io::ErrorKind::PermissionDenied, "escape");
        assert_eq!(
            VfsErrorKind::from_io(&escape),
            VfsErrorKind::PermissionDenied
        );
        assert_eq!(
            VfsErrorKind::from_io(&io::Error::other("x")),
            VfsErrorKind::Other
        );
    }

    #[test]
    fn displays_kind_path_and_keeps_source() {
        let path = VPath::parse("/a b").unwrap();
        let err = VfsError::from_io(io::Error::from_raw_os_error(libc::ENOENT), &path);
        assert_eq!(err.to_string(), "not found: /a b");
        assert_eq!(err.path(), Some(&path));
        assert!(err.source().is_some());
        assert_eq!(
            VfsError::new(VfsErrorKind::Other).to_string(),
            "storage error"
        );
    }
}
