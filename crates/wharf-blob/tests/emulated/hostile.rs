//! Issue #17's storage findings, on Azurite and moto: blob metadata written
//! by another tool never panics a listing, a folder or container rename
//! goes page by page (a page of names in memory, never the whole folder),
//! and uploads share one memory budget, waiting for room rather than
//! buffering past it, without deadlocking.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::support::proxy::Proxy;
use crate::support::{AZURITE_ACCOUNT, AZURITE_KEY, Emulator, Kind, path};
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::path::Path as ObjectPath;
use object_store::{Attribute, Attributes, ObjectStore, PutOptions, PutPayload};
use tokio::io::AsyncWriteExt;
use wharf_blob::memory::MIN_UPLOAD_MEMORY;
use wharf_blob::{BlobConfig, BlobFs, Store, UploadMemory, View};
use wharf_vfs::testing::{expect_kind, list_entries, list_names, read_file, write_file};
use wharf_vfs::{Vfs, VfsErrorKind, WriteMode};

/// `mtime` values other tools could write that no time can come from.
const HOSTILE_MTIMES: [&str; 9] = [
    "1e19",
    "-5",
    "NaN",
    "inf",
    "1e400",
    "18446744073709551616",
    "+200000-01-01T00:00:00Z",
    "0999-12-31T23:59:59Z",
    "yesterday",
];

/// object_store straight to the emulator's container `name`, bypassing
/// the adapter (as another tool would write).
fn raw_store(emulator: &Emulator, name: &str) -> Arc<dyn ObjectStore> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match emulator.kind {
        Kind::Azurite => Arc::new(
            MicrosoftAzureBuilder::new()
                .with_account(AZURITE_ACCOUNT)
                .with_access_key(AZURITE_KEY)
                .with_container_name(name)
                .with_endpoint(format!("{}/{AZURITE_ACCOUNT}", emulator.url()))
                .with_allow_http(true)
                .build()
                .unwrap(),
        ),
        Kind::Moto => Arc::new(
            AmazonS3Builder::new()
                .with_endpoint(emulator.url())
                .with_region("us-east-1")
                .with_bucket_name(name)
                .with_access_key_id("testing")
                .with_secret_access_key("testing")
                .with_virtual_hosted_style_request(false)
                .with_allow_http(true)
                .build()
                .unwrap(),
        ),
        Kind::FakeGcs => panic!("object_store cannot write to fake-gcs-server (no XML PUT)"),
    }
}

async fn foreign_mtimes_fall_back_to_the_store_time(emulator: Emulator) {
    let fs = emulator.container("box").await;
    let raw = raw_store(&emulator, "box");
    let before = SystemTime::now() - Duration::from_secs(600);
    for (i, mtime) in HOSTILE_MTIMES
        .iter()
        .chain(["1000000000"].iter())
        .enumerate()
    {
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::Metadata("mtime".into()), (*mtime).into());
        let options = PutOptions {
            attributes,
            ..PutOptions::default()
        };
        raw.put_opts(
            &ObjectPath::from(format!("f{i}")),
            PutPayload::from_static(b"x"),
            options,
        )
        .await
        .unwrap();
    }
    let now = SystemTime::now() + Duration::from_secs(600);
    let recent = |time: SystemTime, what: &str| {
        assert!(
            before < time && time < now,
            "{what}: {time:?} is not the store's time"
        );
    };
    let entries = list_entries(&fs, &path("/")).await;
    assert_eq!(entries.len(), HOSTILE_MTIMES.len() + 1, "{entries:?}");
    for (i, mtime) in HOSTILE_MTIMES.iter().enumerate() {
        let meta = fs.metadata(&path(&format!("/f{i}"))).await.unwrap();
        recent(
            meta.modified.unwrap(),
            &format!("metadata with mtime {mtime:?}"),
        );
        let entry = entries
            .iter()
            .find(|e| e.name == format!("f{i}").into_bytes())
            .unwrap();
        recent(
            entry.metadata.modified.unwrap(),
            &format!("listing with mtime {mtime:?}"),
        );
    }
    // A well-formed value from another tool is still read.
    let last = format!("/f{}", HOSTILE_MTIMES.len());
    let meta = fs.metadata(&path(&last)).await.unwrap();
    assert_eq!(
        meta.modified,
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_mtimes_fall_back_to_the_store_time_on_azurite() {
    foreign_mtimes_fall_back_to_the_store_time(Emulator::azurite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_mtimes_fall_back_to_the_store_time_on_moto() {
    foreign_mtimes_fall_back_to_the_store_time(Emulator::moto()).await;
}

/// The adapter through `proxy`, listing `page_size` names per request.
fn through(emulator: &Emulator, proxy: &Proxy, view: View, page_size: usize) -> BlobFs {
    let endpoint = format!("http://127.0.0.1:{}", proxy.port);
    let store = match emulator.kind {
        Kind::Azurite => Store::azure(
            format!("{endpoint}/{AZURITE_ACCOUNT}"),
            AZURITE_ACCOUNT,
            AZURITE_KEY,
        ),
        Kind::Moto => Store::s3(endpoint, "us-east-1", "testing", "testing"),
        Kind::FakeGcs => panic!("fake-gcs-server answers only requests to its own host"),
    };
    let config = BlobConfig::new(store, view)
        .with_retries(2, Duration::from_millis(50))
        .with_page_size(page_size)
        .with_copy_parallelism(2);
    BlobFs::new(config).unwrap()
}

/// Whether `line` asks for a page of every name under `prefix` (an
/// undelimited listing: Azure `comp=list`, S3 `list-type=2`).
fn is_flat_listing(line: &str, prefix: &str) -> bool {
    line.starts_with("GET ")
        && (line.contains("comp=list") || line.contains("list-type=2"))
        && !line.contains("delimiter")
        && line.contains(&format!("prefix={prefix}"))
}

async fn folder_rename_goes_page_by_page(emulator: Emulator) {
    emulator.container("box").await;
    let proxy = Proxy::start(emulator.port).await;
    let fs = through(&emulator, &proxy, View::Container("box".into()), 3);
    fs.mkdir(&path("/src")).await.unwrap();
    fs.mkdir(&path("/src/sub")).await.unwrap();
    let mut files = Vec::new();
    for i in 0..10 {
        files.push(format!("f{i:02}"));
    }
    files.push("sub/deep".to_string());
    for name in &files {
        write_file(&fs, &path(&format!("/src/{name}")), name.as_bytes()).await;
    }
    // Names kept next to the folder stay where they are.
    write_file(&fs, &path("/src-not"), b"neighbour").await;

    let start = proxy.requests().len();
    fs.rename(&path("/src"), &path("/dst")).await.unwrap();
    let requests = proxy.requests()[start..].to_vec();

    for name in &files {
        assert_eq!(
            read_file(&fs, &path(&format!("/dst/{name}")), 0).await,
            name.as_bytes(),
            "{name} did not arrive"
        );
        expect_kind(
            fs.metadata(&path(&format!("/src/{name}"))).await,
            VfsErrorKind::NotFound,
            "the old name",
        );
    }
    expect_kind(
        fs.metadata(&path("/src")).await,
        VfsErrorKind::NotFound,
        "the old folder",
    );
    assert_eq!(
        list_names(&fs, &path("/")).await,
        [b"dst".to_vec(), b"src-not".to_vec()]
    );
    assert_eq!(list_names(&fs, &path("/dst/sub")).await, [b"deep".to_vec()]);
    assert_eq!(read_file(&fs, &path("/src-not"), 0).await, b"neighbour");

    // 13 names (11 files and 2 placeholders) at 3 a page: at least 5
    // listings, and the first page was copied and deleted before the
    // second was asked for.
    let listings: Vec<usize> = requests
        .iter()
        .enumerate()
        .filter(|(_, line)| is_flat_listing(line, "src%2F"))
        .map(|(i, _)| i)
        .collect();
    assert!(listings.len() >= 5, "{requests:#?}");
    let between = &requests[listings[0]..listings[1]];
    assert!(
        between
            .iter()
            .any(|l| l.starts_with("PUT ") && l.contains("/dst/"))
            && between
                .iter()
                .any(|l| l.starts_with("DELETE ") && l.contains("/src/")),
        "the first page was not copied and deleted before the next listing: {requests:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folder_rename_goes_page_by_page_on_azurite() {
    folder_rename_goes_page_by_page(Emulator::azurite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folder_rename_goes_page_by_page_on_moto() {
    folder_rename_goes_page_by_page(Emulator::moto()).await;
}

async fn container_rename_goes_page_by_page(emulator: Emulator) {
    let proxy = Proxy::start(emulator.port).await;
    let fs = through(&emulator, &proxy, View::Account, 2);
    fs.mkdir(&path("/one")).await.unwrap();
    fs.mkdir(&path("/one/dir")).await.unwrap();
    let files: Vec<String> = (0..7)
        .map(|i| format!("f{i}"))
        .chain(["dir/inner".to_string()])
        .collect();
    for name in &files {
        write_file(&fs, &path(&format!("/one/{name}")), name.as_bytes()).await;
    }
    let start = proxy.requests().len();
    fs.rename(&path("/one"), &path("/two")).await.unwrap();
    let requests = proxy.requests()[start..].to_vec();
    for name in &files {
        assert_eq!(
            read_file(&fs, &path(&format!("/two/{name}")), 0).await,
            name.as_bytes(),
            "{name} did not arrive"
        );
    }
    assert_eq!(list_names(&fs, &path("/")).await, [b"two".to_vec()]);
    let listings = requests
        .iter()
        .filter(|line| {
            line.starts_with("GET ")
                && line.contains("/one?")
                && (line.contains("comp=list") || line.contains("list-type=2"))
                && !line.contains("delimiter")
        })
        .count();
    // 9 names at 2 a page: 5 pages to copy (and on S3, 5 more to empty
    // the old bucket).
    assert!(listings >= 5, "{requests:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_rename_goes_page_by_page_on_azurite() {
    container_rename_goes_page_by_page(Emulator::azurite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_rename_goes_page_by_page_on_moto() {
    container_rename_goes_page_by_page(Emulator::moto()).await;
}

/// 64 uploads of a part and a bit at once, and 8 appends that read their
/// kept start first, under the smallest budget (two parts): every one
/// completes, whole (no deadlock), the budget was drawn on, and all of it
/// is given back. (That no more than the budget is buffered is checked
/// from outside, by wharfd's peak memory in `hostile_blob.rs`.)
async fn uploads_share_the_budget(emulator: Emulator) {
    const PART: usize = 8 * 1024 * 1024;
    let memory = UploadMemory::new(MIN_UPLOAD_MEMORY);
    let fs = BlobFs::new(
        emulator
            .config(View::Container("box".into()))
            .with_upload_memory(memory.clone()),
    )
    .unwrap();
    emulator.container("box").await;
    for i in 0..8 {
        write_file(&fs, &path(&format!("/a{i}")), &[b'k'; 1000]).await;
    }
    let fs = Arc::new(fs);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64u8 {
        let fs = fs.clone();
        tasks.spawn(async move {
            let mut upload = fs
                .create(&path(&format!("/f{i}")), WriteMode::Create)
                .await
                .unwrap();
            let chunk = vec![i; 64 * 1024];
            for _ in 0..(PART + 256 * 1024) / chunk.len() {
                upload.write_all(&chunk).await.unwrap();
            }
            upload.finish().await.unwrap();
        });
    }
    for i in 0..8 {
        let fs = fs.clone();
        tasks.spawn(async move {
            let mut upload = fs
                .create(&path(&format!("/a{i}")), WriteMode::Append)
                .await
                .unwrap();
            upload.write_all(&[b'n'; 300_000]).await.unwrap();
            upload.finish().await.unwrap();
        });
    }
    let all = async {
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(120), all)
        .await
        .expect("uploads waiting for room must not deadlock");
    assert!(
        memory.peak() >= PART as u64,
        "the budget was used: {}",
        memory.peak()
    );
    assert_eq!(memory.in_use(), 0, "every part gave its room back");
    for i in [0u8, 31, 63] {
        let meta = fs.metadata(&path(&format!("/f{i}"))).await.unwrap();
        assert_eq!(meta.size, (PART + 256 * 1024) as u64);
    }
    let appended = read_file(fs.as_ref(), &path("/a7"), 0).await;
    assert_eq!(appended.len(), 301_000);
    assert!(
        appended[..1000].iter().all(|b| *b == b'k') && appended[1000..].iter().all(|b| *b == b'n')
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_share_the_budget_on_azurite() {
    uploads_share_the_budget(Emulator::azurite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_share_the_budget_on_moto() {
    uploads_share_the_budget(Emulator::moto()).await;
}
