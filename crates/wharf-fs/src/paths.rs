//! Mapping [`VPath`]s to paths relative to the jail root.

use std::ffi::OsStr;
use std::path::PathBuf;

use wharf_vfs::{VPath, VfsError};

/// Names of upload temporary files start with this. They never show in
/// listings, and clients cannot name them.
pub(crate) const TEMP_PREFIX: &str = ".wharf-upload-";

/// Whether a directory entry is one of our temporary files.
pub(crate) fn is_temp_name(name: &[u8]) -> bool {
    name.starts_with(TEMP_PREFIX.as_bytes())
}

/// One path component as an `OsStr`.
#[cfg(unix)]
pub(crate) fn os_name<'a>(component: &'a [u8], path: &VPath) -> Result<&'a OsStr, VfsError> {
    use std::os::unix::ffi::OsStrExt;
    if is_temp_name(component) {
        return Err(VfsError::invalid_name(path));
    }
    Ok(OsStr::from_bytes(component))
}

/// One path component as an `OsStr`: UTF-8 only, without the characters
/// that are separators or reserved on Windows.
#[cfg(not(unix))]
pub(crate) fn os_name<'a>(component: &'a [u8], path: &VPath) -> Result<&'a OsStr, VfsError> {
    match std::str::from_utf8(component) {
        Ok(name) if !is_temp_name(component) && !name.contains(['\\', ':']) => Ok(OsStr::new(name)),
        _ => Err(VfsError::invalid_name(path)),
    }
}

/// The bytes of a name read from the disk.
#[cfg(unix)]
pub(crate) fn name_bytes(name: &OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    name.as_bytes().to_vec()
}

/// The bytes of a name read from the disk.
#[cfg(not(unix))]
pub(crate) fn name_bytes(name: &OsStr) -> Vec<u8> {
    name.to_string_lossy().into_owned().into_bytes()
}

/// `path` relative to the root: `.` for `/`, else its components. A
/// `VPath` holds no `.`, `..` or empty components, so this never climbs;
/// symlinks are the jail's business.
pub(crate) fn relative(path: &VPath) -> Result<PathBuf, VfsError> {
    if path.is_root() {
        return Ok(PathBuf::from("."));
    }
    let mut relative = PathBuf::new();
    for component in path.components() {
        relative.push(os_name(component, path)?);
    }
    Ok(relative)
}

/// The parent of a non-root `path`, relative to the root, and its last
/// component.
pub(crate) fn split(path: &VPath) -> Result<(PathBuf, std::ffi::OsString), VfsError> {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(VfsError::is_a_directory(path));
    };
    Ok((relative(&parent)?, os_name(name, path)?.to_owned()))
}
