//! `MemoryFs` passes the conformance suite.

use std::sync::Arc;

use wharf_vfs::{MemoryFs, Vfs};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_fs_passes_the_conformance_suite() {
    wharf_vfs::testing::run_all(|| async { Arc::new(MemoryFs::new()) as Arc<dyn Vfs> }).await;
}

#[tokio::test]
async fn clones_share_one_tree() {
    let fs = MemoryFs::new();
    let clone = fs.clone();
    let dir = wharf_vfs::testing::path("/shared");
    fs.mkdir(&dir).await.unwrap();
    assert!(clone.metadata(&dir).await.unwrap().is_dir());
}
