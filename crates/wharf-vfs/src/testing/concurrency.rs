//! Checks of concurrent use, as many sessions would make.

use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::task::JoinSet;

use super::helpers::{join_all, path, pattern, read_file};
use crate::upload::WriteMode;
use crate::vfs::Vfs;

/// Sixteen uploads to different files, interleaved chunk by chunk, each
/// read back intact.
pub async fn concurrent_writers(vfs: Arc<dyn Vfs>) {
    let mut tasks = JoinSet::new();
    for writer in 0..16_u64 {
        let vfs = vfs.clone();
        tasks.spawn(async move {
            let file = path(format!("/writer-{writer}"));
            let data = pattern(256 * 1024 + writer as usize, writer);
            let mut upload = vfs
                .create(&file, WriteMode::Create)
                .await
                .expect("concurrent_writers: create");
            for chunk in data.chunks(8 * 1024) {
                upload
                    .write_all(chunk)
                    .await
                    .expect("concurrent_writers: write");
                tokio::task::yield_now().await;
            }
            upload.finish().await.expect("concurrent_writers: finish");
            (file, data)
        });
    }
    for (file, data) in join_all(tasks, "concurrent_writers").await {
        assert!(
            read_file(&*vfs, &file, 0).await == data,
            "concurrent_writers: {file} does not hold what its writer wrote"
        );
    }
}

/// Eight uploads replace the same file at once while readers read it: every
/// read sees one complete version, never a mix or a truncated file.
pub async fn concurrent_replace_is_atomic(vfs: Arc<dyn Vfs>) {
    let file = path("/shared");
    let size = 64 * 1024;
    let mut initial = vfs
        .create(&file, WriteMode::Create)
        .await
        .expect("concurrent_replace_is_atomic: create");
    initial
        .write_all(&vec![b'0'; size])
        .await
        .expect("concurrent_replace_is_atomic: write");
    initial
        .finish()
        .await
        .expect("concurrent_replace_is_atomic: finish");

    let check = |data: Vec<u8>| {
        let uniform = data
            .first()
            .is_some_and(|first| data.iter().all(|b| b == first));
        assert!(
            data.len() == size && uniform,
            "concurrent_replace_is_atomic: read {} bytes that are not one complete version",
            data.len()
        );
    };
    let mut tasks = JoinSet::new();
    for writer in 1..=8_u8 {
        let (writer_vfs, writer_file) = (vfs.clone(), file.clone());
        tasks.spawn(async move {
            let mut upload = writer_vfs
                .create(&writer_file, WriteMode::Create)
                .await
                .expect("concurrent_replace_is_atomic: create");
            for _ in 0..8 {
                upload
                    .write_all(&vec![b'0' + writer; size / 8])
                    .await
                    .expect("concurrent_replace_is_atomic: write");
                tokio::task::yield_now().await;
            }
            upload
                .finish()
                .await
                .expect("concurrent_replace_is_atomic: finish");
            None
        });
        let (reader_vfs, reader_file) = (vfs.clone(), file.clone());
        tasks.spawn(async move { Some(read_file(&*reader_vfs, &reader_file, 0).await) });
    }
    let reads = join_all(tasks, "concurrent_replace_is_atomic").await;
    reads.into_iter().flatten().for_each(check);
    check(read_file(&*vfs, &file, 0).await);
}
