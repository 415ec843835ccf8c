//! Google Cloud Storage behaviour on fake-gcs-server, beyond the
//! conformance suite: uploads larger than one part (resumable sessions),
//! the MD5 GCS keeps, buckets as folders of a project (with GCS's own
//! name rule), renames across buckets (`rewriteTo`), a key file's
//! credential, and appends (composed server-side, or refused).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use md5::Digest;
use wharf_blob::{BlobConfig, BlobFs, GcsAuth, Store, View};
use wharf_vfs::testing::{expect_kind, list_names, pattern, read_file, write_file};
use wharf_vfs::{Vfs, VfsErrorKind, WriteMode};

use crate::support::{Emulator, Kind, path};

fn names(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|n| n.as_bytes().to_vec()).collect()
}

/// Two shapes of a resumable upload: an 8 MiB part then a last one of an
/// odd size (sent as the final chunk), and exactly two 8 MiB parts (the
/// session is finished by an empty chunk naming the total). Both read
/// back byte for byte, and GCS keeps their MD5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_larger_than_a_part_read_back_exactly() {
    let emulator = Emulator::shared(Kind::FakeGcs);
    let fs = emulator.container("gcs-large").await;
    for (name, size) in [
        ("/odd.bin", 8 * 1024 * 1024 + 300_001),
        ("/even.bin", 16 * 1024 * 1024),
    ] {
        let data = pattern(size, 5);
        write_file(&fs, &path(name), &data).await;
        let back = read_file(&fs, &path(name), 0).await;
        assert_eq!(back.len(), data.len(), "{name}");
        assert!(back == data, "{name} differs");
        let kept = fs.stored_md5(&path(name)).await.unwrap();
        assert_eq!(
            kept.map(|m| m.to_vec()),
            Some(md5::Md5::digest(&data).to_vec()),
            "{name}"
        );
    }
    assert_eq!(
        list_names(&fs, &path("/")).await,
        names(&["even.bin", "odd.bin"])
    );
}

/// A dropped upload larger than a part leaves nothing behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_large_upload_leaves_nothing() {
    use tokio::io::AsyncWriteExt;
    let emulator = Emulator::shared(Kind::FakeGcs);
    let fs = emulator.container("gcs-dropped").await;
    let mut upload = fs
        .create(&path("/gone.bin"), WriteMode::Create)
        .await
        .unwrap();
    upload
        .write_all(&pattern(9 * 1024 * 1024, 1))
        .await
        .unwrap();
    drop(upload);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(list_names(&fs, &path("/")).await.is_empty());
}

/// The account view shows the project's buckets: `MKD` creates one,
/// `RMD` deletes an empty one only, and a bucket rename copies every
/// object across buckets server-side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_are_folders_of_the_project() {
    let emulator = Emulator::fake_gcs();
    let fs = emulator.account();
    fs.mkdir(&path("/alpha")).await.unwrap();
    expect_kind(
        fs.mkdir(&path("/alpha")).await,
        VfsErrorKind::AlreadyExists,
        "second MKD",
    );
    expect_kind(
        fs.mkdir(&path("/Upper")).await,
        VfsErrorKind::InvalidName,
        "a name GCS refuses",
    );
    // GCS's names go beyond Azure's: underscores and dots.
    fs.mkdir(&path("/data_set.v1")).await.unwrap();
    write_file(&fs, &path("/data_set.v1/x"), b"x").await;
    assert_eq!(read_file(&fs, &path("/data_set.v1/x"), 0).await, b"x");
    fs.remove_file(&path("/data_set.v1/x")).await.unwrap();
    fs.rmdir(&path("/data_set.v1")).await.unwrap();
    fs.mkdir(&path("/alpha/sub")).await.unwrap();
    write_file(&fs, &path("/alpha/sub/f.txt"), b"deep").await;
    assert_eq!(list_names(&fs, &path("/")).await, names(&["alpha"]));
    expect_kind(
        fs.rmdir(&path("/alpha")).await,
        VfsErrorKind::DirectoryNotEmpty,
        "RMD of a bucket with objects",
    );
    fs.rename(&path("/alpha"), &path("/beta")).await.unwrap();
    assert_eq!(list_names(&fs, &path("/")).await, names(&["beta"]));
    assert_eq!(read_file(&fs, &path("/beta/sub/f.txt"), 0).await, b"deep");
    fs.remove_file(&path("/beta/sub/f.txt")).await.unwrap();
    fs.rmdir(&path("/beta/sub")).await.unwrap();
    fs.rmdir(&path("/beta")).await.unwrap();
    assert!(list_names(&fs, &path("/")).await.is_empty());
}

/// A service-account key file signs the requests. The emulator's key
/// form (`disable_oauth`, object_store's convention for emulators) asks
/// no token endpoint, so this proves the file is read and its store
/// used, not the token exchange.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_file_serves_a_bucket() {
    let emulator = Emulator::shared(Kind::FakeGcs);
    emulator.container("gcs-key-file").await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.json");
    std::fs::write(
        &key,
        r#"{"disable_oauth": true, "client_email": "", "private_key": "", "private_key_id": ""}"#,
    )
    .unwrap();
    let store = Store::gcs_at(emulator.url(), None, GcsAuth::KeyFile(key));
    let fs = BlobFs::new(BlobConfig::new(
        store,
        View::Container("gcs-key-file".into()),
    ))
    .unwrap();
    write_file(&fs, &path("/k.txt"), b"keyed").await;
    assert_eq!(read_file(&fs, &path("/k.txt"), 0).await, b"keyed");

    let missing = Store::gcs_at(
        emulator.url(),
        None,
        GcsAuth::KeyFile(dir.path().join("none.json")),
    );
    let err = BlobFs::new(BlobConfig::new(missing, View::Container("x-y-z".into())))
        .expect_err("a missing key file");
    assert!(err.to_string().contains("GCS credentials"), "{err}");
}

/// Without a project there is no bucket list: the account view is
/// refused at once.
#[test]
fn the_account_view_needs_a_project() {
    let store = Store::gcs_at("http://127.0.0.1:9", None, GcsAuth::Token("t".into()));
    let err = BlobFs::new(BlobConfig::new(store, View::Account)).expect_err("no project");
    assert!(err.to_string().contains("project"), "{err}");
}

/// `APPE` to an object larger than a part composes the new bytes onto
/// it server-side, and leaves no companion object behind; `REST` + `STOR`
/// that keeps only part of it would mean rewriting it through the server
/// (GCS copies whole objects only): refused as unsupported, the object
/// untouched. Small objects take both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_appends_compose_partial_rewrites_are_refused() {
    use tokio::io::AsyncWriteExt;
    let emulator = Emulator::shared(Kind::FakeGcs);
    let fs = emulator.container("gcs-append").await;
    let big = pattern(8 * 1024 * 1024 + 1, 2);
    write_file(&fs, &path("/big.bin"), &big).await;
    let mut upload = fs
        .create(&path("/big.bin"), WriteMode::Append)
        .await
        .unwrap();
    upload.write_all(b"-appended").await.unwrap();
    upload.finish().await.unwrap();
    let mut expected = big.clone();
    expected.extend_from_slice(b"-appended");
    assert!(
        read_file(&fs, &path("/big.bin"), 0).await == expected,
        "the append differs"
    );
    assert_eq!(list_names(&fs, &path("/")).await, names(&["big.bin"]));
    // GCS keeps no MD5 of a composite object; fake-gcs-server computes
    // one. Whatever is claimed must be the content's.
    if let Some(kept) = fs.stored_md5(&path("/big.bin")).await.unwrap() {
        assert_eq!(kept.to_vec(), md5::Md5::digest(&expected).to_vec());
    }

    expect_kind(
        fs.create(&path("/big.bin"), WriteMode::Resume(8 * 1024 * 1024 + 1))
            .await,
        VfsErrorKind::Unsupported,
        "REST + STOR keeping part of a large object",
    );
    assert_eq!(
        fs.metadata(&path("/big.bin")).await.unwrap().size,
        expected.len() as u64
    );
    write_file(&fs, &path("/small.txt"), b"head-").await;
    let mut upload = fs
        .create(&path("/small.txt"), WriteMode::Append)
        .await
        .unwrap();
    upload.write_all(b"tail").await.unwrap();
    upload.finish().await.unwrap();
    assert_eq!(read_file(&fs, &path("/small.txt"), 0).await, b"head-tail");
}
