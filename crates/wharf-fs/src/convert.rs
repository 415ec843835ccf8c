//! Metadata conversion and the blocking-call helper.

use wharf_vfs::{FileKind, Metadata, VPath, VfsError};

use crate::call_pool::CallPool;

/// Runs a blocking file-system call on the file-call pool.
pub(crate) async fn blocking<T, F>(call: F) -> Result<T, VfsError>
where
    F: FnOnce() -> Result<T, VfsError> + Send + 'static,
    T: Send + 'static,
{
    CallPool::global()
        .run(call)
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

/// Converts a `statx` result as [`metadata`] converts cap-std's (which
/// builds its own from the same call): the same kind, size, time, mode,
/// owner and `dev-ino` unique id, byte for byte in a listing.
#[cfg(target_os = "linux")]
pub(crate) fn statx_metadata(stat: &rustix::fs::Statx) -> Metadata {
    use rustix::fs::{FileType, StatxFlags, makedev};
    use std::time::{Duration, UNIX_EPOCH};
    let kind = match FileType::from_raw_mode(stat.stx_mode.into()) {
        FileType::Directory => FileKind::Dir,
        FileType::Symlink => FileKind::Symlink,
        _ => FileKind::File,
    };
    let size = if kind == FileKind::Dir {
        0
    } else {
        stat.stx_size
    };
    let mut out = Metadata::new(kind, size);
    if stat.stx_mask & StatxFlags::MTIME.bits() != 0 {
        let (secs, nanos) = (stat.stx_mtime.tv_sec, stat.stx_mtime.tv_nsec);
        let modified = if secs >= 0 {
            UNIX_EPOCH.checked_add(Duration::new(secs.unsigned_abs(), nanos))
        } else {
            UNIX_EPOCH
                .checked_sub(Duration::new(secs.unsigned_abs(), 0))
                .and_then(|t| t.checked_add(Duration::new(0, nanos)))
        };
        if let Some(modified) = modified {
            out = out.with_modified(modified);
        }
    }
    let dev = makedev(stat.stx_dev_major, stat.stx_dev_minor);
    out.with_mode(u32::from(stat.stx_mode))
        .with_owner(stat.stx_uid, stat.stx_gid)
        .with_unique_id(format!("{:x}-{:x}", dev, stat.stx_ino))
}
