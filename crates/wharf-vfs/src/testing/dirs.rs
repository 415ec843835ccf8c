//! Checks of directories, removal and renaming.

use std::sync::Arc;

use super::helpers::{expect_kind, list_names, path, read_file, write_file};
use crate::error::VfsErrorKind;
use crate::metadata::FileKind;
use crate::vfs::Vfs;

/// `mkdir` creates directories, nested ones too; existing names and
/// missing parents are refused.
pub async fn mkdir_and_metadata(vfs: Arc<dyn Vfs>) {
    let root = vfs
        .metadata(&path("/"))
        .await
        .expect("mkdir_and_metadata: root");
    assert_eq!(
        root.kind,
        FileKind::Dir,
        "mkdir_and_metadata: / is a directory"
    );
    let dir = path("/d");
    vfs.mkdir(&dir).await.expect("mkdir_and_metadata: mkdir /d");
    vfs.mkdir(&path("/d/e"))
        .await
        .expect("mkdir_and_metadata: mkdir /d/e");
    for dir in ["/d", "/d/e"] {
        let meta = vfs
            .metadata(&path(dir))
            .await
            .expect("mkdir_and_metadata: metadata");
        assert_eq!(
            meta.kind,
            FileKind::Dir,
            "mkdir_and_metadata: {dir} is a directory"
        );
    }
    assert_eq!(
        list_names(&*vfs, &dir).await,
        [b"e".to_vec()],
        "mkdir_and_metadata: listing"
    );
    expect_kind(
        vfs.mkdir(&dir).await,
        VfsErrorKind::AlreadyExists,
        "mkdir_and_metadata: mkdir of an existing directory",
    );
    write_file(&*vfs, &path("/f"), b"x").await;
    expect_kind(
        vfs.mkdir(&path("/f")).await,
        VfsErrorKind::AlreadyExists,
        "mkdir_and_metadata: mkdir over a file",
    );
    expect_kind(
        vfs.mkdir(&path("/no/such")).await,
        VfsErrorKind::NotFound,
        "mkdir_and_metadata: mkdir with a missing parent",
    );
}

/// `rmdir` refuses a non-empty directory and removes an empty one.
pub async fn rmdir_non_empty_fails(vfs: Arc<dyn Vfs>) {
    let dir = path("/d");
    vfs.mkdir(&dir).await.expect("rmdir_non_empty_fails: mkdir");
    write_file(&*vfs, &path("/d/f"), b"x").await;
    expect_kind(
        vfs.rmdir(&dir).await,
        VfsErrorKind::DirectoryNotEmpty,
        "rmdir_non_empty_fails: rmdir with a file inside",
    );
    assert_eq!(
        read_file(&*vfs, &path("/d/f"), 0).await,
        b"x",
        "rmdir_non_empty_fails: the file inside survives"
    );
    vfs.remove_file(&path("/d/f"))
        .await
        .expect("rmdir_non_empty_fails: remove_file");
    vfs.mkdir(&path("/d/sub"))
        .await
        .expect("rmdir_non_empty_fails: mkdir sub");
    expect_kind(
        vfs.rmdir(&dir).await,
        VfsErrorKind::DirectoryNotEmpty,
        "rmdir_non_empty_fails: rmdir with a directory inside",
    );
    vfs.rmdir(&path("/d/sub"))
        .await
        .expect("rmdir_non_empty_fails: rmdir sub");
    vfs.rmdir(&dir)
        .await
        .expect("rmdir_non_empty_fails: rmdir of the emptied directory");
    expect_kind(
        vfs.metadata(&dir).await,
        VfsErrorKind::NotFound,
        "rmdir_non_empty_fails: metadata after rmdir",
    );
    expect_kind(
        vfs.rmdir(&dir).await,
        VfsErrorKind::NotFound,
        "rmdir_non_empty_fails: rmdir of a missing directory",
    );
}

/// `remove_file` removes a file and nothing else.
pub async fn remove_file(vfs: Arc<dyn Vfs>) {
    let file = path("/f");
    write_file(&*vfs, &file, b"x").await;
    write_file(&*vfs, &path("/other"), b"y").await;
    vfs.remove_file(&file).await.expect("remove_file: remove");
    expect_kind(
        vfs.metadata(&file).await,
        VfsErrorKind::NotFound,
        "remove_file: metadata after",
    );
    assert_eq!(
        list_names(&*vfs, &path("/")).await,
        [b"other".to_vec()],
        "remove_file: listing"
    );
    expect_kind(
        vfs.remove_file(&file).await,
        VfsErrorKind::NotFound,
        "remove_file: removing a missing file",
    );
}

/// Renaming a file over an existing one replaces it; files move between
/// directories.
pub async fn rename_file_over_existing(vfs: Arc<dyn Vfs>) {
    let (a, b) = (path("/a"), path("/b"));
    write_file(&*vfs, &a, b"one").await;
    write_file(&*vfs, &b, b"two, longer").await;
    vfs.rename(&a, &b)
        .await
        .expect("rename_file_over_existing: rename");
    assert_eq!(
        read_file(&*vfs, &b, 0).await,
        b"one",
        "rename_file_over_existing: target"
    );
    expect_kind(
        vfs.metadata(&a).await,
        VfsErrorKind::NotFound,
        "rename_file_over_existing: source after rename",
    );
    vfs.mkdir(&path("/d"))
        .await
        .expect("rename_file_over_existing: mkdir");
    vfs.rename(&b, &path("/d/c"))
        .await
        .expect("rename_file_over_existing: into a directory");
    assert_eq!(
        read_file(&*vfs, &path("/d/c"), 0).await,
        b"one",
        "rename_file_over_existing: moved file"
    );
    assert_eq!(
        list_names(&*vfs, &path("/")).await,
        [b"d".to_vec()],
        "rename_file_over_existing: listing"
    );
    vfs.rename(&path("/d/c"), &path("/d/c"))
        .await
        .expect("rename_file_over_existing: renaming onto itself is a no-op");
    assert_eq!(
        read_file(&*vfs, &path("/d/c"), 0).await,
        b"one",
        "rename_file_over_existing: after renaming onto itself"
    );
}

/// Renaming a directory moves everything inside it.
pub async fn rename_directory(vfs: Arc<dyn Vfs>) {
    vfs.mkdir(&path("/d"))
        .await
        .expect("rename_directory: mkdir");
    vfs.mkdir(&path("/d/x"))
        .await
        .expect("rename_directory: mkdir");
    write_file(&*vfs, &path("/d/x/f"), b"deep").await;
    write_file(&*vfs, &path("/d/g"), b"shallow").await;
    vfs.rename(&path("/d"), &path("/e"))
        .await
        .expect("rename_directory: rename");
    expect_kind(
        vfs.metadata(&path("/d")).await,
        VfsErrorKind::NotFound,
        "rename_directory: old name after rename",
    );
    assert_eq!(
        read_file(&*vfs, &path("/e/x/f"), 0).await,
        b"deep",
        "rename_directory: deep file"
    );
    assert_eq!(
        read_file(&*vfs, &path("/e/g"), 0).await,
        b"shallow",
        "rename_directory: file"
    );
    vfs.mkdir(&path("/p"))
        .await
        .expect("rename_directory: mkdir");
    vfs.rename(&path("/e/x"), &path("/p/x"))
        .await
        .expect("rename_directory: move a subdirectory");
    assert_eq!(
        read_file(&*vfs, &path("/p/x/f"), 0).await,
        b"deep",
        "rename_directory: moved"
    );
    assert_eq!(
        list_names(&*vfs, &path("/e")).await,
        [b"g".to_vec()],
        "rename_directory: rest"
    );
}
