//! Lookups answered from the kernel's caches, on the calling thread.
//!
//! A trip to Tokio's blocking pool costs two thread wake-ups, far more than
//! a `stat` or an `open` whose path is already in the dentry cache. Linux
//! 5.12 lets us ask for exactly that case: `openat2(2)` with
//! `RESOLVE_CACHED` resolves the path only if every component is in the
//! cache and otherwise fails with `EAGAIN` instead of doing I/O. Each
//! function here tries that and returns `None` when the caller must go to
//! the blocking pool after all (not cached, an error whose wording the
//! cap-std path owns, or an older kernel).
//!
//! The jail is the same as cap-std's on Linux: `RESOLVE_BENEATH` refuses
//! `..` above the root and absolute symlinks, `RESOLVE_NO_MAGICLINKS` the
//! `/proc` kind. Anything refused here is retried through cap-std, which
//! then reports it.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use cap_std::fs::Dir;
use rustix::fs::{Mode, OFlags, ResolveFlags, fcntl_getfl, fcntl_setfl, openat2};
use rustix::io::Errno;
use wharf_vfs::{Metadata, VPath, VfsError};

use crate::convert::metadata;

/// Cleared for good once the kernel shows it has no `RESOLVE_CACHED`.
static AVAILABLE: AtomicBool = AtomicBool::new(true);

/// Opens `rel` beneath `root` with `flags` if the lookup needs no I/O.
fn open(root: &Dir, rel: &Path, flags: OFlags) -> Option<File> {
    if !AVAILABLE.load(Ordering::Relaxed) {
        return None;
    }
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS | ResolveFlags::CACHED;
    match openat2(root, rel, flags | OFlags::CLOEXEC, Mode::empty(), resolve) {
        Ok(fd) => Some(File::from(fd)),
        // No openat2 (before 5.6), no RESOLVE_CACHED (before 5.12), or a
        // seccomp filter that forbids the call: stop trying.
        Err(Errno::NOSYS | Errno::INVAL | Errno::PERM) => {
            AVAILABLE.store(false, Ordering::Relaxed);
            None
        }
        Err(_) => None,
    }
}

/// The metadata of what `rel` names, following symlinks, if cached.
pub(crate) fn metadata_of(root: &Dir, rel: &Path) -> Option<Metadata> {
    let file = open(root, rel, OFlags::PATH)?;
    let meta = file.metadata().ok()?;
    Some(metadata(&cap_std::fs::Metadata::from_just_metadata(meta)))
}

/// Opens the regular file `rel` for reading, as
/// [`open_file`](crate::read::open_file) does, if the lookups are cached.
///
/// The kind is checked on an `O_PATH` handle first, so that nothing but a
/// regular file is ever opened for reading; the real open is non-blocking
/// in case the name was swapped for a FIFO in between, and checked again.
pub(crate) fn open_file(
    root: &Dir,
    rel: &Path,
    path: &VPath,
) -> Option<Result<(File, u64), VfsError>> {
    let probe = open(root, rel, OFlags::PATH)?.metadata().ok()?;
    if probe.is_dir() {
        return Some(Err(VfsError::is_a_directory(path)));
    }
    if !probe.is_file() {
        return Some(Err(VfsError::permission_denied(path)));
    }
    let file = open(
        root,
        rel,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY,
    )?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return Some(Err(VfsError::permission_denied(path)));
    }
    // Regular files ignore O_NONBLOCK; it goes anyway, so the handle is
    // exactly what a plain open gives.
    let flags = fcntl_getfl(&file).ok()?;
    fcntl_setfl(&file, flags - OFlags::NONBLOCK).ok()?;
    Some(Ok((file, meta.len())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_vfs::VfsErrorKind;

    fn root() -> (tempfile::TempDir, Dir) {
        let dir = tempfile::tempdir().unwrap();
        let root = Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority()).unwrap();
        (dir, root)
    }

    /// Looks `rel` up until it is cached (the first lookup may fill the
    /// cache through the ordinary path).
    fn warm(root: &Dir, rel: &str) {
        let _ = root.symlink_metadata(rel);
    }

    #[test]
    fn opens_a_cached_regular_file() {
        let (dir, root) = root();
        std::fs::write(dir.path().join("a.bin"), b"hello").unwrap();
        warm(&root, "a.bin");
        let path = VPath::parse("/a.bin").unwrap();
        let (file, len) = open_file(&root, Path::new("a.bin"), &path)
            .expect("cached")
            .unwrap();
        assert_eq!(len, 5);
        let flags = fcntl_getfl(&file).unwrap();
        assert!(!flags.contains(OFlags::NONBLOCK));
        assert_eq!(std::io::read_to_string(file).unwrap(), "hello");
        let meta = metadata_of(&root, Path::new("a.bin")).expect("cached");
        assert_eq!(meta.size, 5);
        assert!(meta.is_file());
    }

    #[test]
    fn refuses_directories_and_fifos_without_opening_them() {
        let (dir, root) = root();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        warm(&root, "d");
        let path = VPath::parse("/d").unwrap();
        let err = open_file(&root, Path::new("d"), &path)
            .unwrap()
            .unwrap_err();
        assert_eq!(err.kind(), VfsErrorKind::IsADirectory);

        rustix::fs::mknodat(
            &root,
            "fifo",
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        warm(&root, "fifo");
        let path = VPath::parse("/fifo").unwrap();
        // Would block forever if the FIFO were opened for reading.
        let err = open_file(&root, Path::new("fifo"), &path)
            .unwrap()
            .unwrap_err();
        assert_eq!(err.kind(), VfsErrorKind::PermissionDenied);
    }

    #[test]
    fn leaves_escapes_and_missing_names_to_cap_std() {
        let (dir, root) = root();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("out")).unwrap();
        std::os::unix::fs::symlink("../..", dir.path().join("up")).unwrap();
        for name in ["out", "up/etc/passwd", "missing"] {
            warm(&root, name);
            let path = VPath::parse(format!("/{name}")).unwrap();
            assert!(open_file(&root, Path::new(name), &path).is_none(), "{name}");
            assert!(metadata_of(&root, Path::new(name)).is_none(), "{name}");
        }
    }
}
