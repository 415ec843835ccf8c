//! Adapter behaviour on Azurite: containers as folders, placeholders,
//! renames, aborted uploads, range reads, MFMT, public access and the
//! passthrough login. What crosses the wire (streamed listings, retries)
//! is in `azurite_wire.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime};

use crate::support;
use crate::support::proxy::Proxy;
use crate::support::{AZURITE_ACCOUNT, AZURITE_KEY, EXTRA_ACCOUNT, EXTRA_KEY, Emulator, path};
use tokio::io::AsyncWriteExt;
use wharf_blob::{BlobConfig, BlobError, BlobFs, FolderMarker, Store, View, login_azure};
use wharf_vfs::testing::{expect_kind, list_entries, list_names, pattern, read_file, write_file};
use wharf_vfs::{FileKind, Vfs, VfsErrorKind, WriteMode};

fn names(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|n| n.as_bytes().to_vec()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn containers_are_top_level_folders() {
    let azurite = Emulator::azurite();
    let fs = azurite.account();
    fs.mkdir(&path("/alpha")).await.unwrap();
    expect_kind(
        fs.mkdir(&path("/alpha")).await,
        VfsErrorKind::AlreadyExists,
        "mkdir twice",
    );
    for bad in ["/Upper", "/a_b", "/ab", "/a--b", "/-ab"] {
        expect_kind(fs.mkdir(&path(bad)).await, VfsErrorKind::InvalidName, bad);
    }
    assert_eq!(list_names(&fs, &path("/")).await, names(&["alpha"]));
    let root = list_entries(&fs, &path("/")).await;
    assert_eq!(root[0].metadata.kind, FileKind::Dir);
    assert_eq!(root[0].metadata.mode, Some(0o750), "private container");
    expect_kind(
        fs.create(&path("/loose.txt"), WriteMode::Create).await,
        VfsErrorKind::PermissionDenied,
        "a file outside any container",
    );

    fs.mkdir(&path("/alpha/sub")).await.unwrap();
    write_file(&fs, &path("/alpha/sub/f"), b"deep").await;
    write_file(&fs, &path("/alpha/top"), b"top").await;
    expect_kind(
        fs.rmdir(&path("/alpha")).await,
        VfsErrorKind::DirectoryNotEmpty,
        "rmdir full container",
    );

    fs.mkdir(&path("/taken")).await.unwrap();
    expect_kind(
        fs.rename(&path("/alpha"), &path("/taken")).await,
        VfsErrorKind::AlreadyExists,
        "rename onto an existing container",
    );
    expect_kind(
        fs.rename(&path("/alpha"), &path("/Bad")).await,
        VfsErrorKind::InvalidName,
        "rename to a bad name",
    );
    fs.rename(&path("/alpha"), &path("/beta")).await.unwrap();
    assert_eq!(list_names(&fs, &path("/")).await, names(&["beta", "taken"]));
    assert_eq!(read_file(&fs, &path("/beta/sub/f"), 0).await, b"deep");
    assert_eq!(read_file(&fs, &path("/beta/top"), 0).await, b"top");
    assert_eq!(
        list_names(&fs, &path("/beta")).await,
        names(&["sub", "top"])
    );
    expect_kind(
        fs.metadata(&path("/alpha")).await,
        VfsErrorKind::NotFound,
        "old container",
    );

    // Moving a file between containers.
    fs.rename(&path("/beta/top"), &path("/taken/top"))
        .await
        .unwrap();
    assert_eq!(read_file(&fs, &path("/taken/top"), 0).await, b"top");

    fs.remove_file(&path("/beta/sub/f")).await.unwrap();
    fs.rmdir(&path("/beta/sub")).await.unwrap();
    fs.rmdir(&path("/beta")).await.unwrap();
    expect_kind(
        fs.rmdir(&path("/beta")).await,
        VfsErrorKind::NotFound,
        "rmdir gone container",
    );
    assert_eq!(list_names(&fs, &path("/")).await, names(&["taken"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placeholders_are_never_listed() {
    let azurite = Emulator::azurite();
    let fs = azurite.container("box").await;
    fs.mkdir(&path("/d")).await.unwrap();
    assert_eq!(list_names(&fs, &path("/")).await, names(&["d"]));
    assert!(
        list_names(&fs, &path("/d")).await.is_empty(),
        "the placeholder shows"
    );
    expect_kind(
        fs.create(&path("/d/.placeholder"), WriteMode::Create).await,
        VfsErrorKind::InvalidName,
        "a file named like the placeholder",
    );
    // Seen with another placeholder name, the marker blob is there.
    let raw = BlobFs::new(
        azurite
            .config(View::Container("box".into()))
            .with_folder_marker(FolderMarker::Placeholder("other".into())),
    )
    .unwrap();
    assert_eq!(
        list_names(&raw, &path("/d")).await,
        names(&[".placeholder"])
    );

    // The last file leaving a folder keeps the folder.
    write_file(&fs, &path("/d/f"), b"x").await;
    expect_kind(
        fs.rmdir(&path("/d")).await,
        VfsErrorKind::DirectoryNotEmpty,
        "rmdir non-empty",
    );
    assert_eq!(
        read_file(&fs, &path("/d/f"), 0).await,
        b"x",
        "rmdir must not delete"
    );
    fs.remove_file(&path("/d/f")).await.unwrap();
    assert!(fs.metadata(&path("/d")).await.unwrap().is_dir());
    fs.rmdir(&path("/d")).await.unwrap();
    assert!(
        list_names(&raw, &path("/")).await.is_empty(),
        "rmdir leaves a marker"
    );

    // `folder/` markers, as rclone and Azure Storage Explorer make them.
    let slash = BlobFs::new(
        azurite
            .config(View::Container("box".into()))
            .with_folder_marker(FolderMarker::TrailingSlash),
    )
    .unwrap();
    slash.mkdir(&path("/s")).await.unwrap();
    slash.mkdir(&path("/s/t")).await.unwrap();
    assert_eq!(list_names(&slash, &path("/")).await, names(&["s"]));
    assert_eq!(list_names(&slash, &path("/s")).await, names(&["t"]));
    assert!(
        list_names(&raw, &path("/s/t")).await.is_empty(),
        "marker listed"
    );
    expect_kind(
        slash.rmdir(&path("/s")).await,
        VfsErrorKind::DirectoryNotEmpty,
        "rmdir s",
    );
    slash.rename(&path("/s"), &path("/u")).await.unwrap();
    assert_eq!(list_names(&slash, &path("/u")).await, names(&["t"]));
    slash.rmdir(&path("/u/t")).await.unwrap();
    slash.rmdir(&path("/u")).await.unwrap();
    assert!(
        list_names(&raw, &path("/")).await.is_empty(),
        "markers left behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folder_rename_copies_everything() {
    let azurite = Emulator::azurite();
    let fs = BlobFs::new(
        azurite
            .config(View::Container("box".into()))
            .with_copy_parallelism(4),
    )
    .unwrap();
    azurite.container("box").await;
    fs.mkdir(&path("/src")).await.unwrap();
    fs.mkdir(&path("/src/inner")).await.unwrap();
    fs.mkdir(&path("/src/empty")).await.unwrap();
    for i in 0..30 {
        let dir = if i % 2 == 0 { "/src" } else { "/src/inner" };
        write_file(
            &fs,
            &path(&format!("{dir}/f{i}")),
            &pattern(100 + i, i as u64),
        )
        .await;
    }
    fs.rename(&path("/src"), &path("/dst")).await.unwrap();
    expect_kind(
        fs.metadata(&path("/src")).await,
        VfsErrorKind::NotFound,
        "source gone",
    );
    for i in 0..30 {
        let dir = if i % 2 == 0 { "/dst" } else { "/dst/inner" };
        let data = read_file(&fs, &path(&format!("{dir}/f{i}")), 0).await;
        assert_eq!(data, pattern(100 + i, i as u64), "f{i}");
    }
    assert!(
        fs.metadata(&path("/dst/empty")).await.unwrap().is_dir(),
        "empty folder kept"
    );
    assert_eq!(list_names(&fs, &path("/")).await, names(&["dst"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborted_multipart_upload_leaves_no_blob() {
    let azurite = Emulator::azurite();
    let fs = azurite.container("box").await;
    let big = pattern(20 * 1024 * 1024 + 1, 9);
    // Three blocks, committed on finish.
    let mut upload = fs.create(&path("/big"), WriteMode::Create).await.unwrap();
    upload.write_all(&big).await.unwrap();
    expect_kind(
        fs.metadata(&path("/big")).await,
        VfsErrorKind::NotFound,
        "visible before finish",
    );
    assert_eq!(upload.finish().await.unwrap(), big.len() as u64);
    assert!(read_file(&fs, &path("/big"), 0).await == big, "content");
    // Broken mid-way: blocks were sent, nothing is committed.
    for abort in [true, false] {
        let mut upload = fs
            .create(&path("/broken"), WriteMode::Create)
            .await
            .unwrap();
        upload.write_all(&big).await.unwrap();
        if abort {
            upload.abort().await;
        } else {
            drop(upload);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        expect_kind(
            fs.metadata(&path("/broken")).await,
            VfsErrorKind::NotFound,
            "after abort",
        );
    }
    assert_eq!(list_names(&fs, &path("/")).await, names(&["big"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_reads_fetch_only_the_tail() {
    let azurite = Emulator::azurite();
    azurite.container("box").await;
    let proxy = Proxy::start(azurite.port).await;
    let config = BlobConfig::new(
        Store::azure(
            format!("http://127.0.0.1:{}/{AZURITE_ACCOUNT}", proxy.port),
            AZURITE_ACCOUNT,
            AZURITE_KEY,
        ),
        View::Container("box".into()),
    );
    let fs = BlobFs::new(config).unwrap();
    let data = pattern(4 * 1024 * 1024, 3);
    write_file(&fs, &path("/f"), &data).await;
    let before = proxy.bytes();
    let offset = data.len() - 1000;
    let tail = read_file(&fs, &path("/f"), offset as u64).await;
    assert!(tail == data[offset..], "tail content");
    let moved = proxy.bytes() - before;
    assert!(
        moved < 64 * 1024,
        "REST + RETR of 1000 bytes moved {moved} bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mfmt_round_trips_through_metadata_and_listing() {
    let azurite = Emulator::azurite();
    let fs = azurite.container("box").await;
    write_file(&fs, &path("/f"), b"x").await;
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_234_567_890);
    fs.set_mtime(&path("/f"), when).await.unwrap();
    assert_eq!(fs.metadata(&path("/f")).await.unwrap().modified, Some(when));
    let listed = list_entries(&fs, &path("/")).await;
    assert_eq!(
        listed[0].metadata.modified,
        Some(when),
        "listing shows the MFMT time"
    );
    // Setting it again replaces it; content is untouched.
    let later = when + Duration::from_secs(60);
    fs.set_mtime(&path("/f"), later).await.unwrap();
    assert_eq!(
        fs.metadata(&path("/f")).await.unwrap().modified,
        Some(later)
    );
    assert_eq!(read_file(&fs, &path("/f"), 0).await, b"x");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chmod_sets_public_access_seen_anonymously() {
    let azurite = Emulator::azurite();
    let fs = azurite.account();
    fs.mkdir(&path("/pub")).await.unwrap();
    write_file(&fs, &path("/pub/hello.txt"), b"hello").await;
    let blob = format!("/{AZURITE_ACCOUNT}/pub/hello.txt");
    let list = format!("/{AZURITE_ACCOUNT}/pub?restype=container&comp=list");
    let port = azurite.port;
    let get = |target: String| async move { support::http_get(port, &target).await.0 };
    let denied = |status: u16| status == 403 || status == 404;
    assert!(denied(get(blob.clone()).await), "private blob readable");

    fs.set_permissions(&path("/pub"), 0o754).await.unwrap();
    assert_eq!(get(blob.clone()).await, 200, "o+r: blob readable");
    assert!(
        denied(get(list.clone()).await),
        "o+r: container must not be listable"
    );
    assert_eq!(fs.metadata(&path("/pub")).await.unwrap().mode, Some(0o754));

    fs.set_permissions(&path("/pub"), 0o755).await.unwrap();
    assert_eq!(get(list.clone()).await, 200, "o+rx: container listable");
    assert_eq!(
        list_entries(&fs, &path("/")).await[0].metadata.mode,
        Some(0o755)
    );

    fs.set_permissions(&path("/pub"), 0o700).await.unwrap();
    assert!(denied(get(blob).await), "private again");
    expect_kind(
        fs.set_permissions(&path("/pub/hello.txt"), 0o644).await,
        VfsErrorKind::Unsupported,
        "chmod of a blob",
    );
    assert!(fs.capabilities().set_permissions);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passthrough_login_checks_the_key() {
    let azurite = Emulator::azurite();
    let endpoint = format!("{}/{{account}}", azurite.url());
    let base = azurite.config(View::Account);
    let fs = login_azure(&endpoint, AZURITE_ACCOUNT, AZURITE_KEY, &base)
        .await
        .unwrap();
    fs.mkdir(&path("/mine")).await.unwrap();
    // The extra account from AZURITE_ACCOUNTS has its own containers.
    let extra = login_azure(&endpoint, EXTRA_ACCOUNT, EXTRA_KEY, &base)
        .await
        .unwrap();
    assert!(list_names(&extra, &path("/")).await.is_empty());
    for (account, key) in [
        (AZURITE_ACCOUNT, EXTRA_KEY),
        (AZURITE_ACCOUNT, "not base64!"),
        ("Bad/Name", AZURITE_KEY),
        (AZURITE_ACCOUNT, ""),
    ] {
        match login_azure(&endpoint, account, key, &base).await {
            Err(BlobError::BadCredentials) => {}
            other => panic!("{account}: expected BadCredentials, got {other:?}"),
        }
    }
    let dead = format!("http://127.0.0.1:{}/{{account}}", support::free_port());
    match login_azure(&dead, AZURITE_ACCOUNT, AZURITE_KEY, &base).await {
        Err(BlobError::Unreachable(_)) => {}
        other => panic!("dead endpoint: expected Unreachable, got {other:?}"),
    }
}
