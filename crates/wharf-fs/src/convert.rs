//! Metadata conversion and the blocking-call helper.

use wharf_vfs::{FileKind, Metadata, VPath, VfsError};

/// Runs a blocking file-system call on Tokio's blocking pool.
pub(crate) async fn blocking<T, F>(call: F) -> Result<T, VfsError>
where
    F: FnOnce() -> Result<T, VfsError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(call)
        .await
        .map_err(VfsError::other)?
}

/// A closure mapping an I/O error about `path` to a [`VfsError`].
pub(crate) fn io_err(path: &VPath) -> impl Fn(std::io::Error) -> VfsError + '_ {
    move |err| VfsError::from_io(err, path)
}

/// Converts cap-std metadata. Anything neither a directory nor a symlink
/// (sockets and FIFOs too) is reported as a file; reading those is refused.
pub(crate) fn metadata(meta: &cap_std::fs::Metadata) -> Metadata {
    let kind = if meta.is_dir() {
        FileKind::Dir
    } else if meta.is_symlink() {
        FileKind::Symlink
    } else {
        FileKind::File
    };
    let size = if kind == FileKind::Dir { 0 } else { meta.len() };
    let mut out = Metadata::new(kind, size);
    if let Ok(modified) = meta.modified() {
        out = out.with_modified(modified.into_std());
    }
    #[cfg(unix)]
    {
        use cap_std::fs::MetadataExt;
        out = out
            .with_mode(meta.mode())
            .with_owner(meta.uid(), meta.gid())
            .with_unique_id(format!("{:x}-{:x}", meta.dev(), meta.ino()));
    }
    out
}
