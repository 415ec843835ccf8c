//! `APPE` and `REST` + `STOR` without touching the target until `finish`.
//!
//! Written in place, a killed server (or a full disk, or a client gone
//! mid-way) would leave the target holding its old bytes plus part of the
//! new ones under its real name. Instead the upload starts a locked
//! temporary file next to the target, copies into it the part of the
//! target it keeps (all of it for `Append`, the first `offset` bytes for
//! `Resume(offset)`), writes the upload after that, and on `finish` syncs
//! it and renames it over the target, exactly as a `Create` upload does.
//! So the name holds either the old file or the whole new one, whatever
//! happens in between; an aborted or dropped upload leaves the old file
//! untouched (the `WriteMode` contract allows "nothing" as well as "a
//! prefix"), and a crash leaves a temporary file for the start-up sweep.
//!
//! The copy is `std::io::copy` between two files, which on Linux is
//! `copy_file_range(2)`: a reflink on file systems that share extents
//! (XFS, Btrfs: no data moves), an in-kernel copy elsewhere (ext4: the
//! kept bytes are read and written once more, and synced at `finish`).
//! That is the price of the rule on such file systems: an `APPE` to a
//! large file costs a copy of it. It runs on the blocking pool before the
//! 150 reply.
//!
//! Other things that follow from replacing rather than writing in place,
//! as for `Create`: two concurrent appends to one file do not both land
//! (the last rename wins); a hard link to the target keeps the old bytes;
//! the file gets the target's permission bits (never its special bits),
//! owned by the server's user. A target that is a symlink (inside the jail)
//! is still written in place through the link, since renaming over it
//! would replace the link itself.

use std::ffi::OsString;
use std::io::{self, Read};
use std::sync::Arc;

use cap_std::fs::Dir;
use wharf_vfs::{VPath, VfsError, WriteMode};

use crate::upload::{Pending, create_temp};

/// Whether an `Append`/`Resume` of `name` goes through a copy: when it is
/// a regular file or does not exist.
pub(crate) fn applies(dir: &Dir, name: &OsString) -> bool {
    match dir.symlink_metadata(name) {
        Ok(meta) => meta.is_file(),
        Err(err) => err.kind() == io::ErrorKind::NotFound,
    }
}

/// Starts the temporary file of an `Append` or `Resume` of `name` in
/// `dir`: the kept start of the target copied in, positioned after it.
/// Returns the file, its length so far and what `finish` renames.
pub(crate) fn start(
    dir: Dir,
    path: &VPath,
    name: OsString,
    mode: WriteMode,
    umask: u32,
) -> Result<(std::fs::File, u64, Option<Pending>), VfsError> {
    let original = match dir.open(&name) {
        Ok(file) => Some(file.into_std()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) => return Err(VfsError::from_io(err, path)),
    };
    let len = match &original {
        Some(file) => file
            .metadata()
            .map_err(|e| VfsError::from_io(e, path))?
            .len(),
        None => 0,
    };
    let keep = match mode {
        WriteMode::Append => len,
        WriteMode::Resume(offset) if offset > 0 && original.is_none() => {
            return Err(VfsError::not_found(path));
        }
        WriteMode::Resume(offset) if offset > len => return Err(VfsError::invalid_offset(path)),
        WriteMode::Resume(offset) => offset,
        _ => return Err(VfsError::unsupported(path)),
    };
    let (file, temp) = create_temp(&dir, path, umask)?;
    let pending = Pending {
        dir: Arc::new(dir),
        temp,
        name,
        // The copy keeps the old file's bits when it replaces it.
        replaces: original.is_some(),
    };
    let mut file = file.into_std();
    if let Some(original) = original.filter(|_| keep > 0) {
        let copied = io::copy(&mut (&original).take(keep), &mut file);
        let failure = match copied {
            Ok(n) if n == keep => None,
            // Shrunk by someone else since its length was read.
            Ok(_) => Some(VfsError::invalid_offset(path)),
            Err(err) => Some(VfsError::from_io(err, path)),
        };
        if let Some(failure) = failure {
            pending.discard(path);
            return Err(failure);
        }
    }
    Ok((file, keep, Some(pending)))
}
