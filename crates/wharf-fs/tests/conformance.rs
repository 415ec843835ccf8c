//! `LocalFs` passes the conformance suite, one test per check, each in a
//! directory of its own that must hold no temporary upload file after.
//! (A failed check leaves its directory for a look.)

#![allow(clippy::unwrap_used)] // Test helpers panic on purpose.

use std::path::PathBuf;
use std::sync::Arc;

use wharf_fs::LocalFs;
use wharf_vfs::Vfs;

/// The directory of `check`, under one per test process.
fn dir_of(check: &str) -> PathBuf {
    std::env::temp_dir()
        .join(format!("wharf-fs-conformance-{}", std::process::id()))
        .join(check)
}

async fn make(check: &str) -> Arc<dyn Vfs> {
    let dir = dir_of(check);
    std::fs::create_dir_all(&dir).unwrap();
    Arc::new(LocalFs::new(dir).unwrap())
}

/// No check may leave a temporary upload file behind; then the directory
/// goes.
fn after(check: &str) {
    let dir = dir_of(check);
    let leftovers: Vec<_> = walk(&dir)
        .into_iter()
        .filter(|path| path.to_string_lossy().contains(".wharf-upload-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    std::fs::remove_dir_all(&dir).unwrap();
    // The process's directory goes with the last check (others still in
    // it make this fail, which is fine).
    if let Some(parent) = dir.parent() {
        let _ = std::fs::remove_dir(parent);
    }
}

wharf_vfs::conformance_tests! {
    make = make;
    after = after;
    checks = [
        create_and_read_back,
        large_file_and_offsets,
        upload_invisible_until_finish,
        abort_and_drop_leave_nothing,
        append,
        resume_at_offset,
        mkdir_and_metadata,
        rmdir_non_empty_fails,
        remove_file,
        rename_file_over_existing,
        rename_directory,
        list_small_directory,
        list_ten_thousand_entries,
        concurrent_writers,
        concurrent_replace_is_atomic,
        odd_names,
        error_kinds,
        rename_errors,
        root_is_protected,
        set_mtime,
        set_permissions,
        unique_ids,
    ];
}

/// Every path below `dir`.
fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            paths.extend(walk(&path));
        }
        paths.push(path);
    }
    paths
}
