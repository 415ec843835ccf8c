//! The wharf-vfs conformance suite against Azurite, moto and fake-gcs-server, one test per
//! check, in both shapes: a container as `/`, and a container below the
//! account view's `/` (through `Sub`, which serves that container as `/`).
//! Each check gets a container (or a folder) named after it, on one
//! emulator per kind for the whole test process. Azurite runs both shapes
//! twice: signed with the account key, and with a SAS token (a container
//! SAS for the container, an account SAS for the account view). Both run
//! a third shape: a folder of a container as `/` (`BlobFs::with_prefix`,
//! a user's home), beside files it must never show.
//!
//! `list_ten_thousand_entries` is ignored in every shape: creating 10,000
//! blobs takes about 30 s of Azurite's time and about 100 s of moto's, and
//! the listing code is the same in every shape. `azurite_wire.rs` lists 3,000
//! blobs over 30 pages of 100 instead, name by name. The long run includes
//! it: `cargo test -p wharf-blob --test emulated -- --include-ignored`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use crate::support::sub::Sub;
use crate::support::{AZURITE_ACCOUNT, AZURITE_KEY, Emulator, Kind, dyn_vfs, path};
use wharf_blob::{BlobFs, View};
use wharf_test_support::sas::{account_sas, container_sas, in_an_hour};
use wharf_vfs::{Capabilities, Vfs};

/// A container named after `check` (underscores are not allowed in
/// container names), as `/`.
async fn container_view(emulator: &Emulator, check: &str) -> Arc<dyn Vfs> {
    dyn_vfs(emulator.container(&check.replace('_', "-")).await)
}

/// A folder named after `check` in the account view, served as `/`.
async fn account_view(emulator: &Emulator, check: &str) -> Arc<dyn Vfs> {
    let account: Arc<dyn Vfs> = Arc::new(emulator.account());
    let name = format!("/sub-{}", check.replace('_', "-"));
    account.mkdir(&path(&name)).await.unwrap();
    Arc::new(Sub {
        inner: account,
        prefix: path(&name),
        // Permissions are a container-level operation; files have none.
        caps: Capabilities::none()
            .with_set_mtime(true)
            .with_append(true)
            .with_resume(true),
    })
}

/// [`container_view`] through a container SAS with every permission a
/// file system needs (read, add, create, write, delete, list).
async fn container_view_sas(emulator: &Emulator, check: &str) -> Arc<dyn Vfs> {
    let name = format!("sas-{}", check.replace('_', "-"));
    emulator.container(&name).await;
    let token = container_sas(AZURITE_ACCOUNT, AZURITE_KEY, &name, "racwdl", &in_an_hour());
    let config = emulator.sas_config(View::Container(name), &token);
    dyn_vfs(BlobFs::new(config).unwrap())
}

/// [`account_view`] through an account SAS for services, containers and
/// objects with every permission (the container is created with it).
async fn account_view_sas(emulator: &Emulator, check: &str) -> Arc<dyn Vfs> {
    let token = account_sas(AZURITE_ACCOUNT, AZURITE_KEY, "rwdlac", "sco", &in_an_hour());
    let account: Arc<dyn Vfs> =
        dyn_vfs(BlobFs::new(emulator.sas_config(View::Account, &token)).unwrap());
    let name = format!("/sas-sub-{}", check.replace('_', "-"));
    account.mkdir(&path(&name)).await.unwrap();
    Arc::new(Sub {
        inner: account,
        prefix: path(&name),
        caps: Capabilities::none()
            .with_set_mtime(true)
            .with_append(true)
            .with_resume(true),
    })
}

/// A folder of a container named after `check`, served as `/` through
/// [`BlobFs::with_prefix`] (a user's home). A file beside the folder and
/// one in a folder whose name extends the prefix's (`me-not`) are there
/// first: the suite's exact listings and its root checks then show that
/// the view never reaches them.
async fn prefix_view(emulator: &Emulator, check: &str) -> Arc<dyn Vfs> {
    let container = emulator
        .container(&format!("pre-{}", check.replace('_', "-")))
        .await;
    for outside in ["/users/other/secret.txt", "/users/me-not/secret.txt"] {
        let parent = path(outside.rsplit_once('/').unwrap().0);
        let _ = container.mkdir(&path("/users")).await;
        container.mkdir(&parent).await.unwrap();
        let mut upload = container
            .create(&path(outside), wharf_vfs::WriteMode::Create)
            .await
            .unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut upload, b"not yours")
            .await
            .unwrap();
        upload.finish().await.unwrap();
    }
    dyn_vfs(container.with_prefix("users/me").unwrap())
}

/// One shape on one emulator: a module of one test per check. `$big`,
/// if given, is the attribute of `list_ten_thousand_entries`.
macro_rules! shape {
    ($name:ident, $kind:ident, $view:ident $(, #[$big:meta])?) => {
        mod $name {
            use super::*;

            async fn make(check: &str) -> Arc<dyn Vfs> {
                $view(Emulator::shared(Kind::$kind), check).await
            }

            wharf_vfs::conformance_tests! {
                make = make;
                checks = [
                    create_and_read_back,
                    large_file_and_offsets,
                    upload_invisible_until_finish,
                    abort_and_drop_leave_nothing,
                    append,
                    resume_at_offset,
                    mkdir_and_metadata,
                    rmdir_non_empty_fails,
                    remove_file,
                    rename_file_over_existing,
                    rename_directory,
                    list_small_directory,
                    $(#[$big])?
                    list_ten_thousand_entries,
                    concurrent_writers,
                    concurrent_replace_is_atomic,
                    odd_names,
                    error_kinds,
                    rename_errors,
                    root_is_protected,
                    set_mtime,
                    set_permissions,
                    unique_ids,
                ];
            }
        }
    };
}

shape!(
    azurite_container,
    Azurite,
    container_view,
    #[ignore = "long run: 10,000 blobs take about 30 s; azurite_wire.rs lists 3,000 blobs over 30 pages"]
);
shape!(
    azurite_account,
    Azurite,
    account_view,
    #[ignore = "the account view lists through the same code as the container view, which runs this check"]
);
shape!(
    moto_container,
    Moto,
    container_view,
    #[ignore = "10,000 objects take about 100 s on moto; Azurite's container view runs this check"]
);
shape!(
    moto_account,
    Moto,
    account_view,
    #[ignore = "the account view lists through the same code as the container view, which runs this check"]
);
shape!(
    fake_gcs_container,
    FakeGcs,
    container_view,
    #[ignore = "the listing code is S3's, which moto and Azurite run; fake-gcs-server answers every listing in one page"]
);
shape!(
    fake_gcs_account,
    FakeGcs,
    account_view,
    #[ignore = "the account view lists through the same code as the container view"]
);
shape!(
    azurite_container_sas,
    Azurite,
    container_view_sas,
    #[ignore = "a SAS lists through the same requests as the key; azurite_container runs this check"]
);
shape!(
    azurite_account_sas,
    Azurite,
    account_view_sas,
    #[ignore = "a SAS lists through the same requests as the key; azurite_container runs this check"]
);
shape!(
    azurite_prefix,
    Azurite,
    prefix_view,
    #[ignore = "a prefix lists through the same code as the container view, which runs this check"]
);
shape!(
    moto_prefix,
    Moto,
    prefix_view,
    #[ignore = "a prefix lists through the same code as the container view, which runs this check"]
);
