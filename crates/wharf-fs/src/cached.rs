//! Lookups answered from the kernel's caches, on the calling thread.
//!
//! A trip to Tokio's blocking pool costs two thread wake-ups, more than a
//! `stat` or an `open` of a path already in the dentry cache. Linux 5.12
//! lets us ask for that case only: `openat2(2)` with `RESOLVE_CACHED`
//! resolves the path only if every component is in the cache, and fails
//! with `EAGAIN` instead of reading the disk. Each function here tries that
//! and returns `None` when the caller must go to the blocking pool after
//! all (not cached, or any error: the cap-std path owns every error reply).
//!
//! `RESOLVE_CACHED` covers finding the path, not what follows: on a network
//! or FUSE file system the open and the `fstat` themselves may wait for a
//! server or a daemon. So [`usable`] allows the shortcut only on a root
//! that is a local disk or memory file system, and `RESOLVE_NO_XDEV` keeps
//! every lookup on that one mount (anything mounted inside the root takes
//! the pool).
//!
//! The jail is cap-std's own on Linux: `RESOLVE_BENEATH` refuses `..` above
//! the root and absolute symlinks, `RESOLVE_NO_MAGICLINKS` the `/proc` kind.
//! Whatever is refused here is retried through cap-std, which reports it.

use std::fs::File;
use std::path::Path;

use cap_std::fs::Dir;
use rustix::fs::{Mode, OFlags, ResolveFlags, fcntl_setfl, fstatfs, openat2};
use wharf_vfs::{Metadata, VPath, VfsError};

use crate::convert::metadata;

/// `statfs` magic numbers of the file systems the shortcut is used on:
/// local disks and memory, where an open of a cached path does no I/O.
const LOCAL_FILE_SYSTEMS: [u32; 7] = [
    0xef53,      // ext2, ext3, ext4
    0x5846_5342, // xfs
    0x9123_683e, // btrfs
    0xf2f5_2010, // f2fs
    0x2fc1_2fc1, // zfs
    0xca45_1a4e, // bcachefs
    0x0102_1994, // tmpfs
];

/// The resolution rules of every lookup here.
fn resolve() -> ResolveFlags {
    ResolveFlags::BENEATH
        | ResolveFlags::NO_MAGICLINKS
        | ResolveFlags::NO_XDEV
        | ResolveFlags::CACHED
}

/// Whether the shortcut may be used under `root`: it is on a local file
/// system, and the kernel has `RESOLVE_CACHED` (and lets us call it).
pub(crate) fn usable(root: &Dir) -> bool {
    let local = magic(root).is_some_and(|magic| LOCAL_FILE_SYSTEMS.contains(&magic));
    local
        && openat2(
            root,
            ".",
            OFlags::PATH | OFlags::CLOEXEC,
            Mode::empty(),
            resolve(),
        )
        .is_ok()
}

/// The `statfs` magic number of the file system `dir` is on.
fn magic(dir: &Dir) -> Option<u32> {
    let stat = fstatfs(dir).ok()?;
    // `f_type` is a signed word of varying width; the magic is 32 bits.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(stat.f_type as u32)
}

/// Opens `rel` beneath `root` with `flags` if the lookup needs no I/O.
fn open(root: &Dir, rel: &Path, flags: OFlags) -> Option<File> {
    openat2(root, rel, flags | OFlags::CLOEXEC, Mode::empty(), resolve())
        .ok()
        .map(File::from)
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
    // exactly what a plain open gives. F_SETFL sets only the status flags
    // (append, async, direct, noatime, nonblock), of which the open above
    // asked for nonblock alone: setting none clears it without reading the
    // flags first.
    fcntl_setfl(&file, OFlags::empty()).ok()?;
    Some(Ok((file, meta.len())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::fs::fcntl_getfl;
    use wharf_vfs::VfsErrorKind;

    /// A served directory, with whether the shortcut works under it here
    /// (not on kernels before 5.12, nor where seccomp forbids `openat2`).
    fn root() -> (tempfile::TempDir, Dir, bool) {
        let dir = tempfile::tempdir().unwrap();
        let root = Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority()).unwrap();
        let usable = usable(&root);
        (dir, root, usable)
    }

    /// Looks `rel` up through the kernel, which puts its path in the cache
    /// (and brings a symlink's atime up to date: a link whose atime is due
    /// for an update is not followed in cache-only mode).
    fn warm(root: &Dir, rel: &str) {
        let _ = openat2(
            root,
            rel,
            OFlags::PATH,
            Mode::empty(),
            ResolveFlags::empty(),
        );
        let _ = root.symlink_metadata(rel);
    }

    fn opened(root: &Dir, rel: &str) -> Option<Result<(File, u64), VfsError>> {
        warm(root, rel);
        let path = VPath::parse(format!("/{rel}")).unwrap();
        open_file(root, Path::new(rel), &path)
    }

    #[test]
    fn opens_cached_regular_files_and_links_that_stay_inside() {
        let (dir, root, usable) = root();
        if !usable {
            return;
        }
        std::fs::write(dir.path().join("a.bin"), b"hello").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("../a.bin", dir.path().join("sub/link")).unwrap();
        // With relatime, following a link whose atime is not past its
        // ctime updates the atime, which a cache-only walk may not do; a
        // link followed once a clock tick after its creation is settled.
        std::thread::sleep(std::time::Duration::from_millis(50));
        for rel in ["a.bin", "sub/link"] {
            let (file, len) = opened(&root, rel)
                .unwrap_or_else(|| panic!("{rel} not served from the cache"))
                .unwrap();
            assert_eq!(len, 5);
            let flags = fcntl_getfl(&file).unwrap();
            assert!(!flags.contains(OFlags::NONBLOCK));
            assert_eq!(std::io::read_to_string(file).unwrap(), "hello");
            let meta = metadata_of(&root, Path::new(rel)).expect("served from the cache");
            assert_eq!(meta.size, 5);
            assert!(meta.is_file());
        }
    }

    #[test]
    fn refuses_directories_and_fifos_without_opening_them() {
        let (dir, root, usable) = root();
        if !usable {
            return;
        }
        std::fs::create_dir(dir.path().join("d")).unwrap();
        let err = opened(&root, "d").unwrap().unwrap_err();
        assert_eq!(err.kind(), VfsErrorKind::IsADirectory);

        rustix::fs::mknodat(
            &root,
            "fifo",
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        // Opening the FIFO for reading would block this thread for good.
        let err = opened(&root, "fifo").unwrap().unwrap_err();
        assert_eq!(err.kind(), VfsErrorKind::PermissionDenied);
    }

    #[test]
    fn leaves_escapes_and_missing_names_to_cap_std() {
        let (dir, root, usable) = root();
        if !usable {
            return;
        }
        let outside = tempfile::NamedTempFile::new().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        let climb = "../".repeat(dir.path().components().count() + 2);
        std::os::unix::fs::symlink(&climb, dir.path().join("up")).unwrap();
        let via_up = format!("up{}", outside.path().display());
        for rel in ["out", via_up.as_str(), "missing"] {
            assert!(opened(&root, rel).is_none(), "{rel}");
            assert!(metadata_of(&root, Path::new(rel)).is_none(), "{rel}");
        }
    }

    /// Keeps the tests above from passing by skipping: where the kernel has
    /// `RESOLVE_CACHED`, a directory on tmpfs must get the shortcut, and a
    /// FUSE or network mount never does (checked through the magic list).
    #[test]
    fn the_shortcut_is_on_for_tmpfs_on_kernels_that_have_it() {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let mut numbers = release.split(|c: char| !c.is_ascii_digit());
        let major: u32 = numbers.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let minor: u32 = numbers.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let shm = Path::new("/dev/shm");
        let Ok(shm_dir) = Dir::open_ambient_dir(shm, cap_std::ambient_authority()) else {
            return;
        };
        let on_tmpfs = magic(&shm_dir) == Some(0x0102_1994);
        if (major, minor) < (5, 12) || !on_tmpfs {
            return;
        }
        let dir = tempfile::tempdir_in(shm).unwrap();
        let root = Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority()).unwrap();
        assert!(usable(&root), "kernel {release}");
    }
}
