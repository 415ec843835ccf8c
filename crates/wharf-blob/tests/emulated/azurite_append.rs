//! APPE and REST + STOR on Azurite: small starts copied, committed blocks
//! reused, and blobs written in one piece (no committed blocks) kept with
//! Put Block From URL; none of the old bytes pass through the adapter.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use crate::support::proxy::Proxy;
use crate::support::{AZURITE_ACCOUNT, AZURITE_KEY, Emulator, path};
use object_store::azure::MicrosoftAzureBuilder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio::io::AsyncWriteExt;
use wharf_blob::{BlobConfig, BlobFs, Store, View};
use wharf_vfs::testing::{pattern, read_file, write_file};
use wharf_vfs::{Vfs, WriteMode};

const MIB: usize = 1024 * 1024;

/// The adapter on container `box` through `proxy`.
fn proxied(proxy: &Proxy) -> BlobFs {
    let config = BlobConfig::new(
        Store::azure(
            format!("http://127.0.0.1:{}/{AZURITE_ACCOUNT}", proxy.port),
            AZURITE_ACCOUNT,
            AZURITE_KEY,
        ),
        View::Container("box".into()),
    );
    BlobFs::new(config).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_and_resume_keep_the_old_bytes() {
    let azurite = Emulator::azurite();
    azurite.container("box").await;
    let proxy = Proxy::start(azurite.port).await;
    let fs = proxied(&proxy);
    write_file(&fs, &path("/log"), b"one\n").await;
    let mut upload = fs.create(&path("/log"), WriteMode::Append).await.unwrap();
    upload.write_all(b"two\n").await.unwrap();
    assert_eq!(
        upload.finish().await.unwrap(),
        4,
        "bytes written through the handle"
    );
    assert_eq!(read_file(&fs, &path("/log"), 0).await, b"one\ntwo\n");
    // An abandoned append leaves the blob as it was.
    let mut upload = fs.create(&path("/log"), WriteMode::Append).await.unwrap();
    upload.write_all(b"three\n").await.unwrap();
    drop(upload);
    assert_eq!(read_file(&fs, &path("/log"), 0).await, b"one\ntwo\n");

    // A large blob (blocks of 8 MiB + 1 MiB) is appended to server-side:
    // its bytes do not come back through the adapter.
    let big = pattern(9 * 1024 * 1024, 1);
    write_file(&fs, &path("/big"), &big).await;
    let before = proxy.bytes();
    let mut upload = fs.create(&path("/big"), WriteMode::Append).await.unwrap();
    upload.write_all(b"tail").await.unwrap();
    upload.finish().await.unwrap();
    let moved = proxy.bytes() - before;
    assert!(moved < 64 * 1024, "the append downloaded {moved} bytes");
    let mut expected = big.clone();
    expected.extend_from_slice(b"tail");
    assert!(
        read_file(&fs, &path("/big"), 0).await == expected,
        "appended content"
    );

    // REST at a block boundary keeps the blocks before it...
    let boundary = 8 * 1024 * 1024;
    let mut upload = fs
        .create(&path("/big"), WriteMode::Resume(boundary))
        .await
        .unwrap();
    upload.write_all(b"!").await.unwrap();
    upload.finish().await.unwrap();
    let mut expected = big[..boundary as usize].to_vec();
    expected.push(b'!');
    assert!(
        read_file(&fs, &path("/big"), 0).await == expected,
        "resumed content"
    );
    // ...and inside a block also stages the block's head server-side.
    write_file(&fs, &path("/big"), &big).await;
    let before = proxy.bytes();
    let mut upload = fs
        .create(&path("/big"), WriteMode::Resume(boundary + 100))
        .await
        .unwrap();
    upload.write_all(b"#").await.unwrap();
    upload.finish().await.unwrap();
    let moved = proxy.bytes() - before;
    assert!(moved < 64 * 1024, "the resume downloaded {moved} bytes");
    let mut expected = big[..boundary as usize + 100].to_vec();
    expected.push(b'#');
    assert!(
        read_file(&fs, &path("/big"), 0).await == expected,
        "resumed inside a block"
    );
    // A small start is copied.
    let mut upload = fs
        .create(&path("/big"), WriteMode::Resume(1000))
        .await
        .unwrap();
    upload.write_all(b"?").await.unwrap();
    upload.finish().await.unwrap();
    let mut expected = big[..1000].to_vec();
    expected.push(b'?');
    assert_eq!(
        read_file(&fs, &path("/big"), 0).await,
        expected,
        "small resume"
    );
}

/// Writes `data` to `container/name` with one Put Blob, as other tools do
/// (no committed block list), straight through object_store.
pub(crate) async fn put_in_one_piece(azurite: &Emulator, container: &str, name: &str, data: &[u8]) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let store: Arc<dyn ObjectStore> = Arc::new(
        MicrosoftAzureBuilder::new()
            .with_account(AZURITE_ACCOUNT)
            .with_access_key(AZURITE_KEY)
            .with_container_name(container)
            .with_endpoint(format!("{}/{AZURITE_ACCOUNT}", azurite.url()))
            .with_allow_http(true)
            .build()
            .unwrap(),
    );
    store
        .put(&ObjectPath::from(name), PutPayload::from(data.to_vec()))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_written_in_one_piece_are_kept_server_side() {
    let azurite = Emulator::azurite();
    azurite.container("box").await;
    let proxy = Proxy::start(azurite.port).await;
    let fs = proxied(&proxy);
    let one = pattern(12 * MIB, 3);
    let new = pattern(3 * MIB + 5, 4);
    let cases: [(&str, WriteMode, usize); 2] = [
        ("appended", WriteMode::Append, 12 * MIB),
        (
            "resumed",
            WriteMode::Resume(10 * MIB as u64 + 7),
            10 * MIB + 7,
        ),
    ];
    for (name, mode, kept) in cases {
        put_in_one_piece(&azurite, "box", name, &one).await;
        let vpath = path(&format!("/{name}"));
        let (down, up) = (proxy.bytes(), proxy.sent());
        let mut upload = fs.create(&vpath, mode).await.unwrap();
        upload.write_all(&new).await.unwrap();
        assert_eq!(upload.finish().await.unwrap(), new.len() as u64);
        let (down, up) = (proxy.bytes() - down, proxy.sent() - up);
        assert!(down < 64 * 1024, "{name}: {down} bytes came back");
        assert!(
            up < new.len() as u64 + 64 * 1024,
            "{name}: {up} bytes went up for {} new",
            new.len()
        );
        let mut expected = one[..kept].to_vec();
        expected.extend_from_slice(&new);
        assert!(read_file(&fs, &vpath, 0).await == expected, "{name}");
    }
    // An abandoned append to a one-piece blob leaves it as it was.
    put_in_one_piece(&azurite, "box", "kept", &one).await;
    let mut upload = fs.create(&path("/kept"), WriteMode::Append).await.unwrap();
    upload.write_all(b"lost").await.unwrap();
    drop(upload);
    assert!(
        read_file(&fs, &path("/kept"), 0).await == one,
        "dropped append"
    );
}
