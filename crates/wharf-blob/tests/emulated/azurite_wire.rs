//! What crosses the wire to Azurite, seen through a counting and failing
//! proxy: listings streamed page by page (the first entry costs one page),
//! and transient failures retried (heard by the retry hook) then reported.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use crate::support;
use crate::support::proxy::Proxy;
use crate::support::{AZURITE_ACCOUNT, AZURITE_KEY, Emulator, path};
use wharf_blob::{BlobConfig, BlobFs, RetryHook, Store, View};
use wharf_vfs::testing::{expect_kind, list_names, write_file};
use wharf_vfs::{Vfs, VfsErrorKind, next_entry};

fn names(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|n| n.as_bytes().to_vec()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_stream_page_by_page() {
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
    )
    .with_page_size(100);
    let fs = Arc::new(BlobFs::new(config).unwrap());
    let count = 3000;
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..16 {
        let fs = fs.clone();
        tasks.spawn(async move {
            for i in (worker..count).step_by(16) {
                write_file(&*fs, &path(&format!("/f{i:05}")), b"").await;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    // The first entry arrives after one page, not after the whole listing.
    let before = proxy.bytes();
    let mut stream = fs.list(&path("/")).await.unwrap();
    let first = next_entry(&mut stream).await.unwrap().unwrap();
    assert_eq!(first.name, b"f00000");
    let first_cost = proxy.bytes() - before;
    let mut seen = BTreeSet::from([first.name]);
    while let Some(entry) = next_entry(&mut stream).await {
        let name = entry.unwrap().name;
        assert!(
            !seen.contains(&name),
            "{} listed twice",
            String::from_utf8_lossy(&name)
        );
        seen.insert(name);
    }
    let total_cost = proxy.bytes() - before;
    let expected: BTreeSet<Vec<u8>> = (0..count)
        .map(|i| format!("f{i:05}").into_bytes())
        .collect();
    assert!(
        seen == expected,
        "listed {} names, expected the {count} created",
        seen.len()
    );
    assert!(
        first_cost * 10 < total_cost,
        "the first entry cost {first_cost} of {total_cost} bytes: the listing was not streamed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_then_reported() {
    let azurite = Emulator::azurite();
    azurite.container("box").await;
    let proxy = Proxy::start(azurite.port).await;
    let store = Store::azure(
        format!("http://127.0.0.1:{}/{AZURITE_ACCOUNT}", proxy.port),
        AZURITE_ACCOUNT,
        AZURITE_KEY,
    );
    let retries = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = retries.clone();
    let hook = RetryHook::new(move || {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    let config = BlobConfig::new(store, View::Account)
        .with_retries(3, Duration::from_millis(20))
        .with_retry_hook(hook);
    let fs = BlobFs::new(config).unwrap();
    // Two refused connections, then the store answers: the caller never
    // knows, but the hook heard both retries.
    proxy
        .fail_next
        .store(2, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(list_names(&fs, &path("/")).await, names(&["box"]));
    assert_eq!(proxy.failed.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(retries.load(std::sync::atomic::Ordering::SeqCst), 2);
    // A store that keeps failing: Transient, after the retries.
    proxy
        .fail_next
        .store(1000, std::sync::atomic::Ordering::SeqCst);
    let fresh = BlobFs::new(
        BlobConfig::new(
            Store::azure(
                format!("http://127.0.0.1:{}/{AZURITE_ACCOUNT}", proxy.port),
                AZURITE_ACCOUNT,
                AZURITE_KEY,
            ),
            View::Account,
        )
        .with_retries(2, Duration::from_millis(20)),
    )
    .unwrap();
    expect_kind(
        fresh.metadata(&path("/box")).await,
        VfsErrorKind::Transient,
        "503s",
    );
    // Nobody listening at all.
    let dead = BlobFs::new(
        BlobConfig::new(
            Store::azure(
                format!(
                    "http://127.0.0.1:{}/{AZURITE_ACCOUNT}",
                    support::free_port()
                ),
                AZURITE_ACCOUNT,
                AZURITE_KEY,
            ),
            View::Container("box".into()),
        )
        .with_retries(2, Duration::from_millis(20)),
    )
    .unwrap();
    expect_kind(
        dead.metadata(&path("/f")).await,
        VfsErrorKind::Transient,
        "dead port",
    );
}
