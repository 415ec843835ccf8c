//! Opening files for download.

use std::io::{Seek, SeekFrom};
use std::path::Path;

use cap_std::fs::Dir;
use wharf_vfs::{FileReader, VPath, VfsError};

use crate::convert::io_err;
use crate::read_ahead::ReadAhead;

/// Opens the regular file `rel` for reading, positioned at `offset`; also
/// returns how many bytes it has after `offset` now.
///
/// The kind is checked before opening so that a FIFO never blocks the open,
/// and again on the open file.
pub(crate) fn open_file(
    root: &Dir,
    rel: &Path,
    path: &VPath,
    offset: u64,
) -> Result<(std::fs::File, u64), VfsError> {
    let meta = root.metadata(rel).map_err(io_err(path))?;
    if meta.is_dir() {
        return Err(VfsError::is_a_directory(path));
    }
    if !meta.is_file() {
        return Err(VfsError::permission_denied(path));
    }
    let file = root.open(rel).map_err(io_err(path))?;
    let meta = file.metadata().map_err(io_err(path))?;
    if !meta.is_file() {
        return Err(VfsError::permission_denied(path));
    }
    position(file.into_std(), meta.len(), path, offset)
}

/// Positions the open `file`, `len` bytes long, at `offset`; returns it with
/// the number of bytes after that.
pub(crate) fn position(
    mut file: std::fs::File,
    len: u64,
    path: &VPath,
    offset: u64,
) -> Result<(std::fs::File, u64), VfsError> {
    if offset > len {
        return Err(VfsError::invalid_offset(path));
    }
    if offset > 0 {
        file.seek(SeekFrom::Start(offset)).map_err(io_err(path))?;
    }
    Ok((file, len - offset))
}

/// A download's reader over `file`, which has `left` bytes after its
/// position (as far as is known now).
pub(crate) fn reader(file: std::fs::File, left: u64) -> FileReader {
    Box::new(ReadAhead::new(file, left))
}
