//! The conformance suite every [`Vfs`] back-end runs (feature `testing`).
//!
//! Each behaviour is one public async function taking a fresh, empty
//! back-end; it panics with a message naming the check and what went wrong.
//! [`conformance_tests!`](crate::conformance_tests) declares one test per
//! check (with a reason for each check an adapter skips);
//! [`run_all`] runs them all in one test, each on a new back-end from your
//! factory.
//! Call it from a test inside a Tokio runtime (the concurrency check spawns
//! tasks; a multi-threaded runtime exercises it best):
//!
//! ```
//! use std::sync::Arc;
//! use wharf_vfs::{MemoryFs, Vfs};
//!
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() {
//! wharf_vfs::testing::run_all(|| async { Arc::new(MemoryFs::new()) as Arc<dyn Vfs> }).await;
//! # }
//! ```
//!
//! Optional operations are checked according to [`Vfs::capabilities`]: what
//! a back-end claims must work, what it does not claim must fail with
//! [`VfsErrorKind::Unsupported`](crate::VfsErrorKind::Unsupported) (or
//! `InvalidName` for non-UTF-8 names).
//!
//! The helpers ([`write_file`], [`read_file`], [`list_entries`], ...) are
//! public so adapters can use them in their own tests.

mod concurrency;
mod dirs;
mod errors;
mod files;
mod helpers;
mod listing;
mod modes;
mod names;
mod optional;

use std::future::Future;
use std::sync::Arc;

use crate::vfs::Vfs;

pub use crate::stream::next_entry;
pub use concurrency::{concurrent_replace_is_atomic, concurrent_writers};
pub use dirs::{
    mkdir_and_metadata, remove_file, rename_directory, rename_file_over_existing,
    rmdir_non_empty_fails,
};
pub use errors::{error_kinds, rename_errors, root_is_protected};
pub use files::{
    abort_and_drop_leave_nothing, create_and_read_back, large_file_and_offsets,
    upload_invisible_until_finish,
};
pub use helpers::{expect_kind, list_entries, list_names, path, pattern, read_file, write_file};
pub use listing::{list_small_directory, list_ten_thousand_entries};
pub use modes::{append, resume_at_offset};
pub use names::odd_names;
pub use optional::{set_mtime, set_permissions, unique_ids};

/// The name of every check, as [`conformance_tests!`](crate::conformance_tests)
/// must declare them.
pub const CHECKS: &[&str] = &[
    "create_and_read_back",
    "large_file_and_offsets",
    "upload_invisible_until_finish",
    "abort_and_drop_leave_nothing",
    "append",
    "resume_at_offset",
    "mkdir_and_metadata",
    "rmdir_non_empty_fails",
    "remove_file",
    "rename_file_over_existing",
    "rename_directory",
    "list_small_directory",
    "list_ten_thousand_entries",
    "concurrent_writers",
    "concurrent_replace_is_atomic",
    "odd_names",
    "error_kinds",
    "rename_errors",
    "root_is_protected",
    "set_mtime",
    "set_permissions",
    "unique_ids",
];

/// Declares the conformance suite as tests: one `#[tokio::test]` per check
/// (multi-threaded, two workers), each on a fresh back-end from `make`,
/// plus a test that fails when a check of [`CHECKS`] is not declared. A
/// check an adapter cannot run is declared with `#[ignore = "why"]`, so it
/// shows as ignored, with its reason, rather than passing unrun.
///
/// `make` is an async function taking the check's name (to name a
/// container or a directory after it) and returning an `Arc<dyn Vfs>`;
/// `after`, if given, is called with the name once the check passed (to
/// look for leftovers, say). The calling crate needs `tokio` with the
/// `macros` and `rt-multi-thread` features.
///
/// ```ignore
/// async fn make(_check: &str) -> Arc<dyn Vfs> {
///     Arc::new(MemoryFs::new())
/// }
///
/// wharf_vfs::conformance_tests! {
///     make = make;
///     checks = [
///         create_and_read_back,
///         #[ignore = "10,000 objects take 100 s on this emulator"]
///         list_ten_thousand_entries,
///         // ... every other name of CHECKS
///     ];
/// }
/// ```
#[macro_export]
macro_rules! conformance_tests {
    (
        make = $make:path;
        checks = [ $( $(#[$attr:meta])* $check:ident ),* $(,)? ];
    ) => {
        $crate::conformance_tests! {
            make = $make;
            after = $crate::testing::nothing_after;
            checks = [ $( $(#[$attr])* $check ),* ];
        }
    };
    (
        make = $make:path;
        after = $after:path;
        checks = [ $( $(#[$attr:meta])* $check:ident ),* $(,)? ];
    ) => {
        $(
            $(#[$attr])*
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let vfs = $make(stringify!($check)).await;
                $crate::testing::$check(vfs).await;
                $after(stringify!($check));
            }
        )*

        /// Every check of the suite is declared here, to run or to be
        /// ignored with a reason.
        #[test]
        fn every_conformance_check_is_declared() {
            let mut declared = ::std::vec![$(stringify!($check)),*];
            declared.sort_unstable();
            let mut all = $crate::testing::CHECKS.to_vec();
            all.sort_unstable();
            assert_eq!(declared, all, "declare every check of wharf_vfs::testing::CHECKS");
        }
    };
}

/// The `after` of [`conformance_tests!`](crate::conformance_tests) when
/// none is given.
#[doc(hidden)]
pub fn nothing_after(_check: &str) {}

/// Runs every check, each on a fresh empty back-end from `make_vfs`.
pub async fn run_all<F, Fut>(mut make_vfs: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Arc<dyn Vfs>>,
{
    create_and_read_back(make_vfs().await).await;
    large_file_and_offsets(make_vfs().await).await;
    upload_invisible_until_finish(make_vfs().await).await;
    abort_and_drop_leave_nothing(make_vfs().await).await;
    append(make_vfs().await).await;
    resume_at_offset(make_vfs().await).await;
    mkdir_and_metadata(make_vfs().await).await;
    rmdir_non_empty_fails(make_vfs().await).await;
    remove_file(make_vfs().await).await;
    rename_file_over_existing(make_vfs().await).await;
    rename_directory(make_vfs().await).await;
    list_small_directory(make_vfs().await).await;
    list_ten_thousand_entries(make_vfs().await).await;
    concurrent_writers(make_vfs().await).await;
    concurrent_replace_is_atomic(make_vfs().await).await;
    odd_names(make_vfs().await).await;
    error_kinds(make_vfs().await).await;
    rename_errors(make_vfs().await).await;
    root_is_protected(make_vfs().await).await;
    set_mtime(make_vfs().await).await;
    set_permissions(make_vfs().await).await;
    unique_ids(make_vfs().await).await;
}
