//! `MemoryFs` passes the conformance suite, one test per check.

use std::sync::Arc;

use wharf_vfs::{MemoryFs, Vfs};

async fn make(_check: &str) -> Arc<dyn Vfs> {
    Arc::new(MemoryFs::new())
}

wharf_vfs::conformance_tests! {
    make = make;
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

#[tokio::test]
async fn clones_share_one_tree() {
    let fs = MemoryFs::new();
    let clone = fs.clone();
    let dir = wharf_vfs::testing::path("/shared");
    fs.mkdir(&dir).await.unwrap();
    assert!(clone.metadata(&dir).await.unwrap().is_dir());
}
