//! Checks of directory listings.

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::helpers::{expect_kind, join_all, list_entries, path, write_file};
use crate::error::VfsErrorKind;
use crate::metadata::FileKind;
use crate::stream::next_entry;
use crate::vfs::Vfs;

/// Lists files and directories with the right kinds and sizes, an empty
/// directory as nothing, and refuses files and missing paths.
pub async fn list_small_directory(vfs: Arc<dyn Vfs>) {
    let root = path("/");
    assert!(
        list_entries(&*vfs, &root).await.is_empty(),
        "list_small_directory: empty root"
    );
    write_file(&*vfs, &path("/a.txt"), b"12345").await;
    vfs.mkdir(&path("/sub"))
        .await
        .expect("list_small_directory: mkdir");
    write_file(&*vfs, &path("/sub/inner"), b"x").await;
    let entries = list_entries(&*vfs, &root).await;
    let names: Vec<&[u8]> = entries.iter().map(|e| e.name.as_slice()).collect();
    assert_eq!(
        names,
        [&b"a.txt"[..], b"sub"],
        "list_small_directory: names"
    );
    assert_eq!(
        entries[0].metadata.kind,
        FileKind::File,
        "list_small_directory: a.txt kind"
    );
    assert_eq!(
        entries[0].metadata.size, 5,
        "list_small_directory: a.txt size"
    );
    assert_eq!(
        entries[1].metadata.kind,
        FileKind::Dir,
        "list_small_directory: sub kind"
    );
    vfs.mkdir(&path("/empty"))
        .await
        .expect("list_small_directory: mkdir");
    assert!(
        list_entries(&*vfs, &path("/empty")).await.is_empty(),
        "list_small_directory: empty directory"
    );
    expect_kind(
        vfs.list(&path("/a.txt")).await,
        VfsErrorKind::NotADirectory,
        "list_small_directory: listing a file",
    );
    expect_kind(
        vfs.list(&path("/nope")).await,
        VfsErrorKind::NotFound,
        "list_small_directory: listing a missing directory",
    );
}

/// How many entries [`list_ten_thousand_entries`] creates.
const MANY: usize = 10_000;

/// A directory of 10 000 files lists every name exactly once; a listing
/// may be dropped after its first entry.
pub async fn list_ten_thousand_entries(vfs: Arc<dyn Vfs>) {
    let dir = path("/many");
    vfs.mkdir(&dir)
        .await
        .expect("list_ten_thousand_entries: mkdir");
    // Create the files from a few tasks at once, as many sessions would.
    let workers = 16;
    let mut tasks = JoinSet::new();
    for worker in 0..workers {
        let vfs = vfs.clone();
        tasks.spawn(async move {
            for i in (worker..MANY).step_by(workers) {
                write_file(&*vfs, &path(format!("/many/f{i:05}")), b"").await;
            }
        });
    }
    join_all(tasks, "list_ten_thousand_entries").await;

    let mut stream = vfs
        .list(&dir)
        .await
        .expect("list_ten_thousand_entries: list");
    let first = next_entry(&mut stream).await;
    assert!(
        matches!(first, Some(Ok(_))),
        "list_ten_thousand_entries: first entry missing: {first:?}"
    );
    drop(stream);

    let mut stream = vfs
        .list(&dir)
        .await
        .expect("list_ten_thousand_entries: list");
    let mut seen = BTreeSet::new();
    while let Some(entry) = next_entry(&mut stream).await {
        let entry = entry.expect("list_ten_thousand_entries: entry");
        assert_eq!(
            entry.metadata.kind,
            FileKind::File,
            "list_ten_thousand_entries: kind"
        );
        assert!(
            seen.insert(entry.name.clone()),
            "list_ten_thousand_entries: {} listed twice",
            entry.name_lossy()
        );
    }
    let expected: BTreeSet<Vec<u8>> = (0..MANY).map(|i| format!("f{i:05}").into_bytes()).collect();
    assert!(
        seen == expected,
        "list_ten_thousand_entries: listed {} names, expected the {MANY} created",
        seen.len()
    );
}
