//! Single files: writing and reading them with clear panics, and a byte
//! comparison that does not print megabytes. The test bytes themselves are
//! `wharf_vfs::testing::pattern` (re-exported as `support::pattern`), the
//! one deterministic pattern every crate's tests share.

use std::fs;
use std::path::{Path, PathBuf};

/// Writes `data` to `base/rel`, creating parent directories.
pub(crate) fn write_file(base: &Path, rel: &str, data: &[u8]) -> PathBuf {
    let path = base.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
    }
    fs::write(&path, data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

/// Reads `path`, panicking with its name when it cannot.
pub(crate) fn read_file(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Asserts two byte strings are equal without printing megabytes.
#[track_caller]
pub(crate) fn assert_same_bytes(what: &str, expected: &[u8], actual: &[u8]) {
    if expected != actual {
        let first_diff = expected
            .iter()
            .zip(actual)
            .position(|(a, b)| a != b)
            .unwrap_or(expected.len().min(actual.len()));
        panic!(
            "{what}: content differs: expected {} bytes, got {} bytes, first difference at byte {first_diff}",
            expected.len(),
            actual.len()
        );
    }
}
