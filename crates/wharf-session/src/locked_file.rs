//! Records kept as whole files under an advisory lock, shared by the usage
//! ledger's and the fleet state's directory stores: several processes on
//! one machine (or on a shared disk with working `flock`) may read, change
//! and replace the same record without losing a change, and a reader never
//! sees half a record.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Reads `path`; a missing file is `None`.
pub(crate) fn read_file(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Takes the exclusive lock on `<path>.lock` (creating the folders and the
/// lock file if needed) and reads the record. The lock lasts as long as
/// the returned file.
pub(crate) fn lock_and_read(path: &Path) -> io::Result<(File, Option<Vec<u8>>)> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let mut lock_name = path.as_os_str().to_owned();
    lock_name.push(".lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_name)?;
    lock.lock()?;
    Ok((lock, read_file(path)?))
}

/// Whether a replaced record must reach the disk before the lock goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// The file and its folder are synced: a crash of the machine keeps
    /// either the old record or the new one (usage that is billed).
    Synced,
    /// Left to the page cache: counts a crash of the machine may lose.
    Cached,
}

/// Replaces the record while `lock` is held (a temporary file beside it,
/// renamed into place), then lets go of the lock.
pub(crate) fn replace_and_unlock(
    path: &Path,
    new: &[u8],
    lock: File,
    durability: Durability,
) -> io::Result<()> {
    let mut temp_name = path.as_os_str().to_owned();
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let mut temp = File::create(&temp_name)?;
    temp.write_all(new)?;
    if durability == Durability::Synced {
        temp.sync_all()?;
    }
    drop(temp);
    fs::rename(&temp_name, path)?;
    if durability == Durability::Synced {
        File::open(path.parent().unwrap_or(Path::new(".")))?.sync_all()?;
    }
    drop(lock);
    Ok(())
}
