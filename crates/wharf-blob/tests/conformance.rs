//! The wharf-vfs conformance suite against Azurite and moto, in both
//! shapes: a container as `/`, and a container below the account view's
//! `/` (through `Sub`, which serves that container as `/`).
//!
//! Only Azurite's container view runs `list_ten_thousand_entries` (about
//! 30 s); on moto creating 10,000 objects takes about 100 s, and the
//! listing code is the same in every shape (`tests/azurite.rs` checks that
//! listings stream, with 3000 blobs). The other runs do every other check.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::future::Future;

use support::sub::Sub;
use support::{Emulator, dyn_vfs, path};
use wharf_vfs::testing::*;
use wharf_vfs::{Capabilities, Vfs};

/// `run_all` without `list_ten_thousand_entries`.
async fn run_most<F, Fut>(mut make_vfs: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Arc<dyn Vfs>>,
{
    create_and_read_back(make_vfs().await).await;
    large_file_and_offsets(make_vfs().await).await;
    upload_invisible_until_finish(make_vfs().await).await;
    abort_and_drop_leave_nothing(make_vfs().await).await;
    append(make_vfs().await).await;
    resume_at_offset(make_vfs().await).await;
    mkdir_and_metadata(make_vfs().await).await;
    rmdir_non_empty_fails(make_vfs().await).await;
    remove_file(make_vfs().await).await;
    rename_file_over_existing(make_vfs().await).await;
    rename_directory(make_vfs().await).await;
    list_small_directory(make_vfs().await).await;
    concurrent_writers(make_vfs().await).await;
    concurrent_replace_is_atomic(make_vfs().await).await;
    odd_names(make_vfs().await).await;
    error_kinds(make_vfs().await).await;
    rename_errors(make_vfs().await).await;
    root_is_protected(make_vfs().await).await;
    set_mtime(make_vfs().await).await;
    set_permissions(make_vfs().await).await;
    unique_ids(make_vfs().await).await;
}

async fn container_view(emulator: &Emulator, everything: bool) {
    let count = AtomicUsize::new(0);
    let make = || {
        let name = format!("check-{}", count.fetch_add(1, Ordering::Relaxed));
        async move { dyn_vfs(emulator.container(&name).await) }
    };
    if everything {
        wharf_vfs::testing::run_all(make).await;
    } else {
        run_most(make).await;
    }
}

async fn account_view(emulator: &Emulator) {
    let count = AtomicUsize::new(0);
    let account: Arc<dyn Vfs> = Arc::new(emulator.account());
    run_most(|| {
        let name = format!("/sub-{}", count.fetch_add(1, Ordering::Relaxed));
        let account = account.clone();
        async move {
            account.mkdir(&path(&name)).await.unwrap();
            Arc::new(Sub {
                inner: account,
                prefix: path(&name),
                // Permissions are a container-level operation; files have none.
                caps: Capabilities::none()
                    .with_set_mtime(true)
                    .with_append(true)
                    .with_resume(true),
            }) as Arc<dyn Vfs>
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azurite_container_view() {
    container_view(&Emulator::azurite(), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azurite_account_view() {
    account_view(&Emulator::azurite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_container_view() {
    container_view(&Emulator::moto(), false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_account_view() {
    account_view(&Emulator::moto()).await;
}
