//! Removing upload temporary files left behind by a crash.
//!
//! A `Create` upload writes `.wharf-upload-<random>` next to its target and
//! renames or removes it when it ends; a killed process does neither. The
//! sweep walks the whole tree below the root once, through the same cap-std
//! handle as everything else, opening each subdirectory with `O_NOFOLLOW`
//! (`open_dir_nofollow`), so a symlink is never followed, in or out of the
//! jail, and a directory swapped for a symlink mid-walk is skipped. Only
//! regular files with the temporary prefix whose lock is free (no live
//! writer holds it, `temp_lock.rs`) and whose modification time is old
//! enough go; a locked one stays whatever its age. The walk keeps its own stack of paths (relative to the root)
//! rather than recursing or keeping directories open, so neither a deep
//! tree nor a wide one can exhaust the stack or the file descriptors.

use std::io;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use cap_fs_ext::DirExt;
use cap_std::fs::Dir;

use crate::paths::{TEMP_PREFIX, is_temp_name, name_bytes};
use crate::temp_lock::Probe;

/// What [`LocalFs::sweep_orphaned_uploads`](crate::LocalFs::sweep_orphaned_uploads)
/// did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Temporary files removed.
    pub removed: u64,
    /// Temporary files left because they are younger than the age bound
    /// (perhaps an upload in progress in another server on the same root).
    pub kept_young: u64,
    /// Temporary files left because a live upload holds their lock (in
    /// this process or another server on the same root), whatever their
    /// age.
    pub kept_live: u64,
    /// Directories that could not be read and files that could not be
    /// removed (each logged as a warning).
    pub errors: u64,
}

/// Walks everything below `root`; see the module docs.
pub(crate) fn sweep(root: &Dir, older_than: Duration) -> Swept {
    let mut swept = Swept::default();
    let cutoff = SystemTime::now().checked_sub(older_than);
    let mut stack = vec![PathBuf::from(".")];
    while let Some(rel) = stack.pop() {
        let dir = match root.open_dir_nofollow(&rel) {
            Ok(dir) => dir,
            Err(err) => {
                tracing::warn!(%err, dir = %rel.display(), "upload sweep: cannot open a directory");
                swept.errors += 1;
                continue;
            }
        };
        let entries = match dir.entries() {
            Ok(entries) => entries,
            Err(err) => {
                tracing::warn!(%err, "upload sweep: cannot list a directory");
                swept.errors += 1;
                continue;
            }
        };
        for entry in entries {
            let Ok(entry) = entry else {
                swept.errors += 1;
                continue;
            };
            // The entry's own type: a symlink is a symlink, never followed.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            if kind.is_dir() {
                stack.push(rel.join(&name));
                continue;
            }
            if !kind.is_file() || !is_temp_name(&name_bytes(&name)) {
                continue;
            }
            // Age first: a file too young is left without touching its lock,
            // so a probe can never take the lock in the moment between an
            // upload creating its file and locking it.
            let old_enough = match (entry.metadata().and_then(|m| m.modified()), cutoff) {
                (Ok(modified), Some(cutoff)) => modified.into_std() <= cutoff,
                // No usable time: leave it rather than guess.
                _ => false,
            };
            if !old_enough {
                swept.kept_young += 1;
                continue;
            }
            // Held open (and, when free, locked) until the removal. A file
            // that cannot be opened cannot be probed: it is kept.
            let probe = match dir.open(&name) {
                Ok(file) => {
                    let probe = crate::temp_lock::probe(&file);
                    (file, probe)
                }
                Err(err) => {
                    tracing::warn!(%err, name = ?name, "upload sweep: cannot open a {TEMP_PREFIX}* file to probe its lock");
                    swept.errors += 1;
                    continue;
                }
            };
            if let (_, Probe::Held) = probe {
                swept.kept_live += 1;
                continue;
            }
            match dir.remove_file(&name) {
                Ok(()) => swept.removed += 1,
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => {
                    tracing::warn!(%err, name = ?name, "upload sweep: cannot remove a {TEMP_PREFIX}* file");
                    swept.errors += 1;
                }
            }
        }
    }
    swept
}
