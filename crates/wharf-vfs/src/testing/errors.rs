//! Checks that failures carry the right [`VfsErrorKind`].

use std::sync::Arc;

use super::helpers::{expect_kind, list_names, path, read_file, write_file};
use crate::error::VfsErrorKind;
use crate::upload::WriteMode;
use crate::vfs::Vfs;

/// Each kind of misuse fails with its own kind, and errors name the path.
pub async fn error_kinds(vfs: Arc<dyn Vfs>) {
    write_file(&*vfs, &path("/file"), b"x").await;
    vfs.mkdir(&path("/dir")).await.expect("error_kinds: mkdir");
    let missing = path("/missing");
    match vfs.metadata(&missing).await {
        Err(err) => {
            assert_eq!(
                err.kind(),
                VfsErrorKind::NotFound,
                "error_kinds: metadata of missing"
            );
            assert_eq!(
                err.path(),
                Some(&missing),
                "error_kinds: the error names the path"
            );
        }
        Ok(meta) => panic!("error_kinds: metadata of a missing path gave {meta:?}"),
    }
    use VfsErrorKind::*;
    let k = VfsErrorKind::NotFound;
    expect_kind(
        vfs.open_read(&missing, 0).await,
        k,
        "error_kinds: open_read of missing",
    );
    expect_kind(vfs.list(&missing).await, k, "error_kinds: list of missing");
    expect_kind(
        vfs.rmdir(&missing).await,
        k,
        "error_kinds: rmdir of missing",
    );
    expect_kind(
        vfs.remove_file(&missing).await,
        k,
        "error_kinds: remove_file of missing",
    );
    expect_kind(
        vfs.metadata(&path("/dir/missing/deeper")).await,
        k,
        "error_kinds: metadata below a missing directory",
    );
    expect_kind(
        vfs.create(&path("/missing/f"), WriteMode::Create).await,
        k,
        "error_kinds: create in a missing directory",
    );
    expect_kind(
        vfs.open_read(&path("/dir"), 0).await,
        IsADirectory,
        "error_kinds: open_read of a directory",
    );
    expect_kind(
        vfs.create(&path("/dir"), WriteMode::Create).await,
        IsADirectory,
        "error_kinds: create over a directory",
    );
    expect_kind(
        vfs.remove_file(&path("/dir")).await,
        IsADirectory,
        "error_kinds: remove_file of a directory",
    );
    expect_kind(
        vfs.list(&path("/file")).await,
        NotADirectory,
        "error_kinds: list of a file",
    );
    expect_kind(
        vfs.rmdir(&path("/file")).await,
        NotADirectory,
        "error_kinds: rmdir of a file",
    );
    expect_kind(
        vfs.mkdir(&path("/file/sub")).await,
        NotADirectory,
        "error_kinds: mkdir below a file",
    );
    expect_kind(
        vfs.metadata(&path("/file/sub")).await,
        NotADirectory,
        "error_kinds: metadata below a file",
    );
    expect_kind(
        vfs.mkdir(&path("/dir")).await,
        AlreadyExists,
        "error_kinds: mkdir of existing",
    );
    assert_eq!(
        read_file(&*vfs, &path("/file"), 0).await,
        b"x",
        "error_kinds: file intact"
    );
}

/// Renames that cannot work fail with the right kind and change nothing.
pub async fn rename_errors(vfs: Arc<dyn Vfs>) {
    write_file(&*vfs, &path("/file"), b"x").await;
    vfs.mkdir(&path("/dir"))
        .await
        .expect("rename_errors: mkdir");
    vfs.mkdir(&path("/full"))
        .await
        .expect("rename_errors: mkdir");
    write_file(&*vfs, &path("/full/inner"), b"y").await;
    expect_kind(
        vfs.rename(&path("/missing"), &path("/x")).await,
        VfsErrorKind::NotFound,
        "rename_errors: missing source",
    );
    expect_kind(
        vfs.rename(&path("/file"), &path("/nowhere/x")).await,
        VfsErrorKind::NotFound,
        "rename_errors: missing target directory",
    );
    expect_kind(
        vfs.rename(&path("/file"), &path("/dir")).await,
        VfsErrorKind::IsADirectory,
        "rename_errors: file over a directory",
    );
    expect_kind(
        vfs.rename(&path("/dir"), &path("/file")).await,
        VfsErrorKind::NotADirectory,
        "rename_errors: directory over a file",
    );
    expect_kind(
        vfs.rename(&path("/dir"), &path("/full")).await,
        VfsErrorKind::DirectoryNotEmpty,
        "rename_errors: directory over a non-empty directory",
    );
    expect_kind(
        vfs.rename(&path("/full"), &path("/full/inside")).await,
        VfsErrorKind::InvalidName,
        "rename_errors: directory into itself",
    );
    assert_eq!(
        list_names(&*vfs, &path("/")).await,
        [b"dir".to_vec(), b"file".to_vec(), b"full".to_vec()],
        "rename_errors: nothing may change"
    );
    assert_eq!(
        read_file(&*vfs, &path("/full/inner"), 0).await,
        b"y",
        "rename_errors: intact"
    );
}

/// The root is a directory that cannot be removed, renamed or overwritten.
pub async fn root_is_protected(vfs: Arc<dyn Vfs>) {
    let root = path("/");
    let meta = vfs
        .metadata(&root)
        .await
        .expect("root_is_protected: metadata of /");
    assert!(meta.is_dir(), "root_is_protected: / is a directory");
    assert!(
        vfs.rmdir(&root).await.is_err(),
        "root_is_protected: rmdir / must fail"
    );
    assert!(
        vfs.remove_file(&root).await.is_err(),
        "root_is_protected: remove_file / must fail"
    );
    assert!(
        vfs.rename(&root, &path("/x")).await.is_err(),
        "root_is_protected: rename / must fail"
    );
    assert!(
        vfs.create(&root, WriteMode::Create).await.is_err(),
        "root_is_protected: create / must fail"
    );
    expect_kind(
        vfs.mkdir(&root).await,
        VfsErrorKind::AlreadyExists,
        "root_is_protected: mkdir /",
    );
    assert!(
        vfs.metadata(&root).await.is_ok(),
        "root_is_protected: / still there"
    );
}
