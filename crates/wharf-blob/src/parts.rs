//! The size of upload parts, which both the uploads and the memory budget
//! (its reserve is one first part) are built on.

/// The first parts' size: 8 MiB.
pub const FIRST_PART: usize = 8 * 1024 * 1024;
