//! `LocalFs` passes the conformance suite.

#![allow(clippy::unwrap_used)] // Test helpers panic on purpose.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use wharf_fs::LocalFs;
use wharf_vfs::Vfs;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_fs_passes_the_conformance_suite() {
    let base = tempfile::tempdir().unwrap();
    let count = AtomicUsize::new(0);
    wharf_vfs::testing::run_all(|| {
        let dir = base
            .path()
            .join(format!("check-{}", count.fetch_add(1, Ordering::Relaxed)));
        std::fs::create_dir(&dir).unwrap();
        async move { Arc::new(LocalFs::new(dir).unwrap()) as Arc<dyn Vfs> }
    })
    .await;
    // No check may leave a temporary upload file behind.
    let leftovers: Vec<_> = walk(base.path())
        .into_iter()
        .filter(|path| path.to_string_lossy().contains(".wharf-upload-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// Every path below `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
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
