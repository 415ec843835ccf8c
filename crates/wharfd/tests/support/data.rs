//! Test data and single files: deterministic random bytes, writing and
//! reading files with clear panics, and a byte comparison that does not print
//! megabytes.

use std::fs;
use std::path::{Path, PathBuf};

/// `len` pseudo-random bytes, the same for the same `seed` (xorshift64*).
pub(crate) fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

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
