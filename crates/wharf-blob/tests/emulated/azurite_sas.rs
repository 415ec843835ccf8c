//! SAS tokens against Azurite, which checks their signatures and
//! permissions: what a restricted token refuses, and the reason each
//! refusal carries (the words the FTP reply shows); an expired token and a
//! token for another container; appends whose copy source must carry the
//! token. The full file system through a SAS is the conformance suite's
//! `azurite_*_sas` shapes.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use wharf_blob::{BlobFs, View};
use wharf_test_support::sas::{account_sas, an_hour_ago, container_sas, expiry_in, in_an_hour};
use wharf_vfs::testing::pattern;
use wharf_vfs::{Vfs, VfsError, VfsErrorKind, WriteMode, next_entry};

use crate::azurite_append::put_in_one_piece;
use crate::support::{AZURITE_ACCOUNT, AZURITE_KEY, Emulator, Kind, path};

async fn write(fs: &dyn Vfs, name: &str, data: &[u8], mode: WriteMode) -> Result<(), VfsError> {
    let mut upload = fs.create(&path(name), mode).await?;
    upload.write_all(data).await.map_err(VfsError::from)?;
    upload.finish().await.map(drop)
}

async fn read(fs: &dyn Vfs, name: &str) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut reader = fs.open_read(&path(name), 0).await.unwrap();
    let mut data = Vec::new();
    reader.read_to_end(&mut data).await.unwrap();
    data
}

async fn names(fs: &dyn Vfs, dir: &str) -> Result<Vec<String>, VfsError> {
    let mut stream = fs.list(&path(dir)).await?;
    let mut names = Vec::new();
    while let Some(entry) = next_entry(&mut stream).await {
        names.push(entry?.name_lossy().into_owned());
    }
    Ok(names)
}

/// The container view of `container` through a container SAS.
fn container_fs(
    emulator: &Emulator,
    container: &str,
    permissions: &str,
    expiry: &str,
) -> Arc<dyn Vfs> {
    let token = container_sas(AZURITE_ACCOUNT, AZURITE_KEY, container, permissions, expiry);
    Arc::new(BlobFs::new(emulator.sas_config(View::Container(container.into()), &token)).unwrap())
}

fn refused(result: Result<impl std::fmt::Debug, VfsError>, wanted: &str) {
    let err = result.expect_err("the store should refuse");
    assert_eq!(err.kind(), VfsErrorKind::PermissionDenied, "{err:?}");
    let reason = err.reason().unwrap_or_default();
    assert!(
        reason.contains(wanted),
        "reason {reason:?} should say {wanted:?}"
    );
}

#[tokio::test]
async fn a_read_and_list_token_reads_and_lists_and_refuses_the_rest() {
    let emulator = Emulator::shared(Kind::Azurite);
    let key_fs = emulator.container("token-readonly").await;
    write(&key_fs, "/kept.txt", b"kept", WriteMode::Create)
        .await
        .unwrap();
    key_fs.mkdir(&path("/dir")).await.unwrap();
    let fs = container_fs(emulator, "token-readonly", "rl", &in_an_hour());
    assert_eq!(read(fs.as_ref(), "/kept.txt").await, b"kept");
    let listed = names(fs.as_ref(), "/").await.unwrap();
    assert!(listed.contains(&"kept.txt".to_string()), "{listed:?}");
    assert!(fs.metadata(&path("/dir")).await.unwrap().is_dir());
    refused(
        write(fs.as_ref(), "/new.txt", b"x", WriteMode::Create).await,
        "write (w) permission",
    );
    refused(
        fs.remove_file(&path("/kept.txt")).await,
        "delete (d) permission",
    );
    refused(fs.mkdir(&path("/other")).await, "write (w) permission");
    refused(
        fs.rename(&path("/kept.txt"), &path("/moved.txt")).await,
        "permission",
    );
    // Nothing changed.
    assert_eq!(read(&key_fs, "/kept.txt").await, b"kept");
    assert!(key_fs.metadata(&path("/new.txt")).await.is_err());
}

/// A write-only token (a drop box) cannot serve a file system: before
/// writing, the adapter lists to tell files from folders, and says that
/// it needs list.
#[tokio::test]
async fn a_write_only_token_is_refused_for_want_of_list() {
    let emulator = Emulator::shared(Kind::Azurite);
    let key_fs = emulator.container("token-dropbox").await;
    let fs = container_fs(emulator, "token-dropbox", "cw", &in_an_hour());
    refused(
        write(fs.as_ref(), "/drop.bin", b"dropped", WriteMode::Create).await,
        "list (l) permission",
    );
    refused(names(fs.as_ref(), "/").await, "list (l) permission");
    refused(
        fs.open_read(&path("/drop.bin"), 0).await.map(drop),
        "read (r) permission",
    );
    assert!(key_fs.metadata(&path("/drop.bin")).await.is_err());
}

/// Refusals the token cannot foresee come from the store itself: a token
/// signed for another container (Azurite: `AuthorizationFailure`) is
/// refused as a credential, and so is a token whose signature was
/// tampered with.
#[tokio::test]
async fn the_store_refuses_a_token_for_another_container_or_a_wrong_signature() {
    let emulator = Emulator::shared(Kind::Azurite);
    emulator.container("token-mine").await;
    emulator.container("token-theirs").await;
    let token = container_sas(
        AZURITE_ACCOUNT,
        AZURITE_KEY,
        "token-mine",
        "racwdl",
        &in_an_hour(),
    );
    let theirs: Arc<dyn Vfs> = Arc::new(
        BlobFs::new(emulator.sas_config(View::Container("token-theirs".into()), &token)).unwrap(),
    );
    refused(
        names(theirs.as_ref(), "/").await,
        "the store refused the credential",
    );
    refused(
        write(theirs.as_ref(), "/x", b"x", WriteMode::Create).await,
        "the store refused the credential",
    );
    // The right token, one character of its signature changed.
    let tampered = token.replacen("sig=", "sig=A", 1);
    let fs: Arc<dyn Vfs> = Arc::new(
        BlobFs::new(emulator.sas_config(View::Container("token-mine".into()), &tampered)).unwrap(),
    );
    refused(
        names(fs.as_ref(), "/").await,
        "the store refused the credential",
    );
    // And the right token works.
    let mine = container_fs(emulator, "token-mine", "racwdl", &in_an_hour());
    write(mine.as_ref(), "/ok", b"ok", WriteMode::Create)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_expired_token_is_refused_with_its_expiry() {
    let emulator = Emulator::shared(Kind::Azurite);
    emulator.container("token-expired").await;
    let expiry = an_hour_ago();
    let fs = container_fs(emulator, "token-expired", "racwdl", &expiry);
    refused(
        names(fs.as_ref(), "/").await,
        &format!("expired at {expiry}"),
    );
    refused(
        write(fs.as_ref(), "/x", b"x", WriteMode::Create).await,
        "the SAS token expired",
    );
}

/// A token that expires while in use: what worked a moment ago is refused
/// with the expiry, at once and without a hang.
#[tokio::test]
async fn a_token_that_expires_mid_session_is_refused_with_its_expiry() {
    let emulator = Emulator::shared(Kind::Azurite);
    emulator.container("token-expiring").await;
    let expiry = expiry_in(Duration::from_secs(2), false);
    let fs = container_fs(emulator, "token-expiring", "racwdl", &expiry);
    write(fs.as_ref(), "/early.txt", b"early", WriteMode::Create)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let started = std::time::Instant::now();
    refused(
        fs.open_read(&path("/early.txt"), 0).await.map(drop),
        &format!("the SAS token expired at {expiry}"),
    );
    refused(
        write(fs.as_ref(), "/late.txt", b"late", WriteMode::Create).await,
        "expired",
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Container operations with a container SAS, and public access with any
/// SAS, are refused with what they need; an account SAS without the
/// container resource type cannot make containers.
#[tokio::test]
async fn container_operations_need_an_account_sas_and_acls_the_key() {
    let emulator = Emulator::shared(Kind::Azurite);
    let full = account_sas(AZURITE_ACCOUNT, AZURITE_KEY, "rwdlac", "sco", &in_an_hour());
    let account = BlobFs::new(emulator.sas_config(View::Account, &full)).unwrap();
    account.mkdir(&path("/token-made")).await.unwrap();
    assert!(
        names(&account, "/")
            .await
            .unwrap()
            .contains(&"token-made".to_string())
    );
    refused(
        account.set_permissions(&path("/token-made"), 0o755).await,
        "needs the account key",
    );
    let objects_only = account_sas(AZURITE_ACCOUNT, AZURITE_KEY, "rwdlac", "o", &in_an_hour());
    let account = BlobFs::new(emulator.sas_config(View::Account, &objects_only)).unwrap();
    refused(
        account.mkdir(&path("/token-not-made")).await,
        "container resources",
    );
    refused(names(&account, "/").await, "service resources");
    // An account SAS that lists containers but may not create them.
    let list_only = account_sas(AZURITE_ACCOUNT, AZURITE_KEY, "rl", "sco", &in_an_hour());
    let account = BlobFs::new(emulator.sas_config(View::Account, &list_only)).unwrap();
    refused(
        account.mkdir(&path("/token-not-made")).await,
        "create (c) permission",
    );
    let key = emulator.account();
    assert!(key.metadata(&path("/token-not-made")).await.is_err());
}

/// A refusal only the store can give, read from object_store's error: a
/// token with create (c) but not write (w) may write new blobs, and the
/// store refuses it an overwrite (Azure's rule, which Azurite follows).
#[tokio::test]
async fn the_store_refuses_an_overwrite_without_write_permission() {
    let emulator = Emulator::shared(Kind::Azurite);
    emulator.container("token-create").await;
    let fs = container_fs(emulator, "token-create", "racl", &in_an_hour());
    write(fs.as_ref(), "/once.txt", b"first", WriteMode::Create)
        .await
        .unwrap();
    refused(
        write(fs.as_ref(), "/once.txt", b"second", WriteMode::Create).await,
        "lacks write (w) permission",
    );
    assert_eq!(read(fs.as_ref(), "/once.txt").await, b"first");
}

/// An append to a blob written in one piece stages its start with Put
/// Block From URL, whose source must carry the token (Azurite reads it
/// back from itself and checks the SAS).
#[tokio::test]
async fn appends_copy_server_side_with_the_token() {
    let emulator = Emulator::shared(Kind::Azurite);
    emulator.container("token-append").await;
    let fs = container_fs(emulator, "token-append", "racwdl", &in_an_hour());
    let first = pattern(9 * 1024 * 1024 + 5, 21);
    // One Put Blob: no committed blocks, so the whole start is staged.
    put_in_one_piece(emulator, "token-append", "big.bin", &first).await;
    write(fs.as_ref(), "/big.bin", b"tail", WriteMode::Append)
        .await
        .unwrap();
    let back = read(fs.as_ref(), "/big.bin").await;
    assert_eq!(back.len(), first.len() + 4);
    assert!(back[..first.len()] == first[..] && back.ends_with(b"tail"));
}
