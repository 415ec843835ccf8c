//! Reading a directory's entries with their metadata, one batch per call
//! (the listing stream makes one trip to the blocking pool per batch).
//!
//! On Linux the names come from `getdents64` into one 64 KiB buffer kept
//! for the whole listing, and each entry's metadata from one `statx`
//! relative to the open directory: no path is built, no name is copied
//! before it is known to be listed, and no call is made that the listing
//! does not use. A 10,000-entry folder costs about 10,000 `statx` and a
//! dozen `getdents64`, which is the floor for a listing that shows sizes
//! and dates.
//!
//! Elsewhere cap-std's `ReadDir` does the same job, one name at a time.
//!
//! Either way: temporary upload files are skipped, and so are entries that
//! vanish between reading the directory and looking at them. Symlinks are
//! followed through cap-std while they stay inside the jail; the others
//! are reported as symlinks without looking at what they point to.

use cap_std::fs::Dir;
use wharf_vfs::{DirEntry, VPath, VfsError};

use crate::convert::metadata;
use crate::paths::is_temp_name;

/// Entries read per batch at least, unless the directory ends first.
pub(crate) const BATCH: usize = 1024;

/// An open directory being read, with what reading it needs.
pub(crate) struct DirReader {
    dir: Dir,
    /// The same directory opened for reading its entries.
    #[cfg(target_os = "linux")]
    readable: rustix::fd::OwnedFd,
    #[cfg(target_os = "linux")]
    buf: Vec<std::mem::MaybeUninit<u8>>,
    #[cfg(not(target_os = "linux"))]
    entries: cap_std::fs::ReadDir,
}

/// Bytes asked of each `getdents64`: some 1,500 entries of short names.
#[cfg(target_os = "linux")]
const GETDENTS_BUF: usize = 64 * 1024;

impl DirReader {
    /// Starts reading `dir`, opened for reading and at its first entry.
    #[cfg(target_os = "linux")]
    pub(crate) fn new(dir: Dir) -> std::io::Result<Self> {
        use rustix::fs::{Mode, OFlags, openat};
        // cap-std opens directories `O_PATH`, which getdents64 refuses;
        // `.` of that handle is the same directory, opened for reading
        // (cap-std's own `entries()` does the same).
        let readable = openat(
            &dir,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Self {
            dir,
            readable,
            buf: vec![std::mem::MaybeUninit::uninit(); GETDENTS_BUF],
        })
    }

    /// Starts reading `dir`.
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn new(dir: Dir) -> std::io::Result<Self> {
        let entries = dir.entries()?;
        Ok(Self { dir, entries })
    }

    /// Appends at least [`BATCH`] entries to `batch` (fewer at the end);
    /// says whether the directory has been read to its end. A read error
    /// ends the listing with that error as its last item.
    #[cfg(target_os = "linux")]
    pub(crate) fn read_batch(
        &mut self,
        path: &VPath,
        batch: &mut Vec<Result<DirEntry, VfsError>>,
    ) -> bool {
        use rustix::fs::RawDir;
        let Self { dir, readable, buf } = self;
        let mut raw = RawDir::new(&*readable, buf);
        loop {
            // Stop only between two getdents64 calls: a new `RawDir` starts
            // with an empty buffer, and whatever this one holds would be lost.
            if batch.len() >= BATCH && raw.is_buffer_empty() {
                return false;
            }
            let entry = match raw.next() {
                None => return true,
                Some(Err(err)) => {
                    batch.push(Err(VfsError::from_io(err.into(), path)));
                    return true;
                }
                Some(Ok(entry)) => entry,
            };
            let name = entry.file_name().to_bytes();
            if name == b"." || name == b".." || is_temp_name(name) {
                continue;
            }
            if let Some(meta) = stat_entry(dir, entry.file_name()) {
                batch.push(Ok(DirEntry::new(name, meta)));
            }
        }
    }

    /// Appends up to [`BATCH`] entries to `batch`; says whether the
    /// directory has been read to its end.
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn read_batch(
        &mut self,
        path: &VPath,
        batch: &mut Vec<Result<DirEntry, VfsError>>,
    ) -> bool {
        let start = batch.len();
        while batch.len() - start < BATCH {
            let entry = match self.entries.next() {
                None => return true,
                Some(Err(err)) => {
                    batch.push(Err(VfsError::from_io(err, path)));
                    return true;
                }
                Some(Ok(entry)) => entry,
            };
            let name = entry.file_name();
            let bytes = crate::paths::name_bytes(&name);
            if is_temp_name(&bytes) {
                continue;
            }
            let Ok(own) = entry.metadata() else { continue };
            let meta = if own.is_symlink() {
                self.dir.metadata(&name).unwrap_or(own)
            } else {
                own
            };
            batch.push(Ok(DirEntry::new(bytes, metadata(&meta))));
        }
        false
    }
}

/// The metadata of the entry `name` of `dir` as a listing shows it; `None`
/// when it vanished or cannot be looked at.
#[cfg(target_os = "linux")]
fn stat_entry(dir: &Dir, name: &std::ffi::CStr) -> Option<wharf_vfs::Metadata> {
    use rustix::fs::{AtFlags, StatxFlags, statx};
    let own = match statx(
        dir,
        name,
        AtFlags::SYMLINK_NOFOLLOW,
        StatxFlags::BASIC_STATS,
    ) {
        Ok(own) => own,
        Err(rustix::io::Errno::NOENT) => return None,
        // No statx (kernels before 4.11, some seccomp filters): cap-std
        // knows the fallbacks.
        Err(_) => return fallback_stat(dir, name),
    };
    if rustix::fs::FileType::from_raw_mode(own.stx_mode.into()) == rustix::fs::FileType::Symlink {
        return fallback_stat(dir, name);
    }
    Some(crate::convert::statx_metadata(&own))
}

/// [`stat_entry`] through cap-std: symlinks (followed only inside the
/// jail) and kernels without `statx`.
#[cfg(target_os = "linux")]
fn fallback_stat(dir: &Dir, name: &std::ffi::CStr) -> Option<wharf_vfs::Metadata> {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::OsStr::from_bytes(name.to_bytes());
    let own = dir.symlink_metadata(name).ok()?;
    let meta = if own.is_symlink() {
        dir.metadata(name).unwrap_or(own)
    } else {
        own
    };
    Some(metadata(&meta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn open(dir: &std::path::Path) -> Dir {
        Dir::open_ambient_dir(dir, cap_std::ambient_authority()).unwrap()
    }

    /// Every entry, read batch by batch as the listing stream does.
    fn read_all(root: &Dir, rel: &str) -> (BTreeMap<Vec<u8>, wharf_vfs::Metadata>, usize) {
        let path = VPath::parse(format!("/{rel}")).unwrap();
        let mut reader = DirReader::new(root.open_dir(rel).unwrap()).unwrap();
        let mut all = BTreeMap::new();
        let mut batches = 0;
        loop {
            let mut batch = Vec::new();
            let done = reader.read_batch(&path, &mut batch);
            batches += 1;
            for entry in batch {
                let entry = entry.unwrap();
                assert!(all.insert(entry.name.clone(), entry.metadata).is_none());
            }
            if done {
                return (all, batches);
            }
        }
    }

    /// The listing shows what it showed when entries were read through
    /// cap-std: the same metadata for files of every size and mode,
    /// folders, symlinks followed inside the jail and ones that escape it,
    /// sub-second times; and no `.`, `..` or upload temporary file.
    #[test]
    fn entries_match_cap_std_metadata() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("d");
        std::fs::create_dir(&base).unwrap();
        std::fs::write(base.join("empty"), b"").unwrap();
        std::fs::write(base.join("five"), b"12345").unwrap();
        std::fs::create_dir(base.join("sub")).unwrap();
        std::fs::write(base.join(".wharf-upload-0123"), b"partial").unwrap();
        std::fs::write(base.join(".hidden"), b"h").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::{PermissionsExt, symlink};
            std::fs::set_permissions(base.join("five"), std::fs::Permissions::from_mode(0o4751))
                .unwrap();
            symlink("five", base.join("inside")).unwrap();
            symlink("/etc/passwd", base.join("escapes")).unwrap();
            symlink("missing", base.join("dangling")).unwrap();
        }
        let past = std::time::UNIX_EPOCH + std::time::Duration::new(1_234_567_890, 123_456_789);
        std::fs::File::options()
            .write(true)
            .open(base.join("empty"))
            .unwrap()
            .set_modified(past)
            .unwrap();

        let root = open(tmp.path());
        let (listed, _) = read_all(&root, "d");
        let dir = root.open_dir("d").unwrap();
        let mut expected = BTreeMap::new();
        for entry in dir.entries().unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            let bytes = crate::paths::name_bytes(&name);
            if is_temp_name(&bytes) {
                continue;
            }
            let own = entry.metadata().unwrap();
            let meta = if own.is_symlink() {
                dir.metadata(&name).unwrap_or(own)
            } else {
                own
            };
            expected.insert(bytes, metadata(&meta));
        }
        assert_eq!(listed, expected);
        assert!(listed.contains_key(&b".hidden"[..]));
        assert!(!listed.contains_key(&b".wharf-upload-0123"[..]));
        let empty = &listed[&b"empty"[..]];
        assert_eq!(empty.modified, Some(past));
    }

    /// A folder larger than several batches and several getdents64
    /// buffers lists each name exactly once: nothing is lost where one
    /// batch ends and the next begins.
    #[test]
    fn large_folders_list_every_name_once_across_batches() {
        let tmp = tempfile::tempdir().unwrap();
        let many = tmp.path().join("many");
        std::fs::create_dir(&many).unwrap();
        let count = 3 * BATCH + 77;
        for i in 0..count {
            // Long names: more getdents64 buffers than batches.
            std::fs::write(many.join(format!("{i:05}-{}", "n".repeat(60))), b"").unwrap();
        }
        let root = open(tmp.path());
        let (listed, batches) = read_all(&root, "many");
        assert_eq!(listed.len(), count);
        assert!(batches >= 3, "{batches} batches");
        for i in 0..count {
            let name = format!("{i:05}-{}", "n".repeat(60)).into_bytes();
            assert!(listed.contains_key(&name), "{i} missing");
        }
    }
}
