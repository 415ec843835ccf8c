//! Adapter behaviour on moto's S3 server: buckets as folders, placeholders,
//! aborted multipart uploads, range reads, MFMT, retries and the S3 login.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime};

use crate::support;
use crate::support::proxy::Proxy;
use crate::support::{Emulator, path};
use tokio::io::AsyncWriteExt;
use wharf_blob::{BlobConfig, BlobFs, FolderMarker, Store, View, login_s3};
use wharf_vfs::testing::{expect_kind, list_entries, list_names, pattern, read_file, write_file};
use wharf_vfs::{Vfs, VfsErrorKind, WriteMode};

fn names(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|n| n.as_bytes().to_vec()).collect()
}

/// The bucket's multipart uploads in progress (moto answers unsigned
/// requests).
async fn open_multipart_uploads(moto: &Emulator, bucket: &str) -> usize {
    let (status, body) = support::http_get(moto.port, &format!("/{bucket}?uploads")).await;
    assert_eq!(status, 200, "list multipart uploads: {body}");
    body.matches("<UploadId>").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_are_top_level_folders() {
    let moto = Emulator::moto();
    let fs = moto.account();
    fs.mkdir(&path("/alpha")).await.unwrap();
    expect_kind(
        fs.mkdir(&path("/Bad_Name")).await,
        VfsErrorKind::InvalidName,
        "bad name",
    );
    fs.mkdir(&path("/alpha/sub")).await.unwrap();
    write_file(&fs, &path("/alpha/sub/f"), b"deep").await;
    assert_eq!(list_names(&fs, &path("/")).await, names(&["alpha"]));
    expect_kind(
        fs.rmdir(&path("/alpha")).await,
        VfsErrorKind::DirectoryNotEmpty,
        "rmdir full bucket",
    );
    fs.rename(&path("/alpha"), &path("/beta")).await.unwrap();
    assert_eq!(list_names(&fs, &path("/")).await, names(&["beta"]));
    assert_eq!(read_file(&fs, &path("/beta/sub/f"), 0).await, b"deep");
    fs.remove_file(&path("/beta/sub/f")).await.unwrap();
    assert!(
        list_names(&fs, &path("/beta/sub")).await.is_empty(),
        "placeholder listed"
    );
    fs.rmdir(&path("/beta/sub")).await.unwrap();
    fs.rmdir(&path("/beta")).await.unwrap();
    assert!(list_names(&fs, &path("/")).await.is_empty());
    expect_kind(
        fs.set_permissions(&path("/x"), 0o755).await,
        VfsErrorKind::Unsupported,
        "public access on S3",
    );
    assert!(
        BlobFs::new(
            moto.config(View::Account)
                .with_folder_marker(FolderMarker::TrailingSlash)
        )
        .is_err(),
        "folder/ markers are Azure only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborted_multipart_upload_leaves_nothing() {
    let moto = Emulator::moto();
    let fs = moto.container("box").await;
    let big = pattern(17 * 1024 * 1024, 5);
    let mut upload = fs.create(&path("/big"), WriteMode::Create).await.unwrap();
    upload.write_all(&big).await.unwrap();
    assert_eq!(upload.finish().await.unwrap(), big.len() as u64);
    assert!(read_file(&fs, &path("/big"), 0).await == big, "content");
    for abort in [true, false] {
        let mut upload = fs
            .create(&path("/broken"), WriteMode::Create)
            .await
            .unwrap();
        upload.write_all(&big).await.unwrap();
        // The multipart upload exists while the transfer runs (its parts
        // go out in the background, so give it a moment to appear)...
        let mut open = 0;
        for _ in 0..100 {
            open = open_multipart_uploads(&moto, "box").await;
            if open == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(open, 1, "upload in progress");
        if abort {
            upload.abort().await;
        } else {
            drop(upload);
        }
        // ...and is aborted with it (a dropped upload aborts in the background).
        let mut left = 1;
        for _ in 0..50 {
            left = open_multipart_uploads(&moto, "box").await;
            if left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(left, 0, "orphaned multipart upload (abort: {abort})");
        expect_kind(
            fs.metadata(&path("/broken")).await,
            VfsErrorKind::NotFound,
            "blob",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_reads_and_mfmt() {
    let moto = Emulator::moto();
    moto.container("box").await;
    let proxy = Proxy::start(moto.port).await;
    let config = BlobConfig::new(
        Store::s3(
            format!("http://127.0.0.1:{}", proxy.port),
            "us-east-1",
            "k",
            "s",
        ),
        View::Container("box".into()),
    );
    let fs = BlobFs::new(config).unwrap();
    let data = pattern(3 * 1024 * 1024, 4);
    write_file(&fs, &path("/f"), &data).await;
    let before = proxy.bytes();
    let tail = read_file(&fs, &path("/f"), (data.len() - 10) as u64).await;
    assert_eq!(tail, data[data.len() - 10..]);
    assert!(
        proxy.bytes() - before < 64 * 1024,
        "range read moved too much"
    );

    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_234_567_890);
    fs.set_mtime(&path("/f"), when).await.unwrap();
    assert_eq!(fs.metadata(&path("/f")).await.unwrap().modified, Some(when));
    assert!(read_file(&fs, &path("/f"), 0).await == data, "content kept");
    // S3 listings carry no user metadata: the store's time shows there.
    assert!(
        list_entries(&fs, &path("/")).await[0]
            .metadata
            .modified
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_login_and_unreachable_store() {
    let moto = Emulator::moto();
    let base = moto.config(View::Account);
    let fs = login_s3(&moto.url(), "us-east-1", "id", "secret", &base)
        .await
        .unwrap();
    fs.mkdir(&path("/made")).await.unwrap();
    assert_eq!(list_names(&fs, &path("/")).await, names(&["made"]));
    let dead = format!("http://127.0.0.1:{}", support::free_port());
    match login_s3(&dead, "us-east-1", "id", "secret", &base).await {
        Err(wharf_blob::BlobError::Unreachable(_)) => {}
        other => panic!("expected Unreachable, got {other:?}"),
    }
    match login_s3(&moto.url(), "us-east-1", "", "secret", &base).await {
        Err(wharf_blob::BlobError::BadCredentials) => {}
        other => panic!("expected BadCredentials, got {other:?}"),
    }
}

/// Waits until the bucket has `want` multipart uploads in progress.
async fn wait_for_uploads(moto: &Emulator, bucket: &str, want: usize) -> usize {
    let mut open = usize::MAX;
    for _ in 0..100 {
        open = open_multipart_uploads(moto, bucket).await;
        if open == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    open
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_append_and_resume_copy_server_side() {
    const MIB: usize = 1024 * 1024;
    let moto = Emulator::moto();
    moto.container("box").await;
    let proxy = Proxy::start(moto.port).await;
    let store = Store::s3(
        format!("http://127.0.0.1:{}", proxy.port),
        "us-east-1",
        "k",
        "s",
    );
    let fs = BlobFs::new(BlobConfig::new(store, View::Container("box".into()))).unwrap();
    let big = pattern(12 * MIB, 7);
    let new = pattern(3 * MIB + 5, 8);
    // Every write keeps a 12 MiB or a 7 MiB start: none of it may come
    // back (downstream) or go up again (upstream) through the adapter.
    let cases: [(&str, WriteMode, usize); 2] = [
        ("/appended", WriteMode::Append, 12 * MIB),
        ("/resumed", WriteMode::Resume(7 * MIB as u64), 7 * MIB),
    ];
    for (name, mode, kept) in cases {
        write_file(&fs, &path(name), &big).await;
        let (down, up) = (proxy.bytes(), proxy.sent());
        let mut upload = fs.create(&path(name), mode).await.unwrap();
        upload.write_all(&new).await.unwrap();
        assert_eq!(upload.finish().await.unwrap(), new.len() as u64);
        let (down, up) = (proxy.bytes() - down, proxy.sent() - up);
        assert!(down < 64 * 1024, "{name}: {down} bytes came back");
        assert!(
            up < new.len() as u64 + 64 * 1024,
            "{name}: {up} bytes went up for {} new",
            new.len()
        );
        let mut expected = big[..kept].to_vec();
        expected.extend_from_slice(&new);
        assert!(read_file(&fs, &path(name), 0).await == expected, "{name}");
        assert_eq!(open_multipart_uploads(&moto, "box").await, 0, "{name}");
    }
    // An aborted or dropped append aborts its multipart upload (created,
    // with the copied part, at open) and leaves the object as it was.
    for abort in [true, false] {
        let mut upload = fs
            .create(&path("/appended"), WriteMode::Append)
            .await
            .unwrap();
        upload.write_all(&pattern(9 * MIB, 9)).await.unwrap();
        assert_eq!(wait_for_uploads(&moto, "box", 1).await, 1, "in progress");
        if abort {
            upload.abort().await;
        } else {
            drop(upload);
        }
        let left = wait_for_uploads(&moto, "box", 0).await;
        assert_eq!(left, 0, "orphaned multipart upload (abort: {abort})");
    }
    let mut expected = big.clone();
    expected.extend_from_slice(&new);
    assert!(read_file(&fs, &path("/appended"), 0).await == expected);
    // A start under 5 MiB (S3's smallest part) is still copied through.
    let mut upload = fs
        .create(&path("/resumed"), WriteMode::Resume(1000))
        .await
        .unwrap();
    upload.write_all(b"!").await.unwrap();
    upload.finish().await.unwrap();
    let mut expected = big[..1000].to_vec();
    expected.push(b'!');
    assert_eq!(read_file(&fs, &path("/resumed"), 0).await, expected);
}
