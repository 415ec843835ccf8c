//! Checks of the optional operations, against [`Vfs::capabilities`].

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::helpers::{expect_kind, list_entries, path, write_file};
use crate::error::VfsErrorKind;
use crate::vfs::Vfs;

/// `set_mtime` sets the modification time (to the second) where claimed,
/// and fails with `Unsupported` otherwise.
pub async fn set_mtime(vfs: Arc<dyn Vfs>) {
    let file = path("/f");
    write_file(&*vfs, &file, b"x").await;
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    if !vfs.capabilities().set_mtime {
        expect_kind(
            vfs.set_mtime(&file, when).await,
            VfsErrorKind::Unsupported,
            "set_mtime: not in capabilities",
        );
        return;
    }
    vfs.set_mtime(&file, when).await.expect("set_mtime: set");
    let meta = vfs.metadata(&file).await.expect("set_mtime: metadata");
    let secs = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .ok()
    };
    assert_eq!(
        meta.modified.and_then(secs),
        Some(1_000_000_000),
        "set_mtime: metadata must report the time set"
    );
    expect_kind(
        vfs.set_mtime(&path("/missing"), when).await,
        VfsErrorKind::NotFound,
        "set_mtime: missing file",
    );
}

/// `set_permissions` sets the mode bits where claimed (reported back where
/// modes are), and fails with `Unsupported` otherwise.
pub async fn set_permissions(vfs: Arc<dyn Vfs>) {
    let file = path("/f");
    write_file(&*vfs, &file, b"x").await;
    let caps = vfs.capabilities();
    if !caps.set_permissions {
        expect_kind(
            vfs.set_permissions(&file, 0o600).await,
            VfsErrorKind::Unsupported,
            "set_permissions: not in capabilities",
        );
        return;
    }
    for mode in [0o600, 0o754] {
        vfs.set_permissions(&file, mode)
            .await
            .expect("set_permissions: set");
        let meta = vfs
            .metadata(&file)
            .await
            .expect("set_permissions: metadata");
        if caps.modes {
            assert_eq!(
                meta.mode,
                Some(mode),
                "set_permissions: metadata must report {mode:o}"
            );
        }
    }
    expect_kind(
        vfs.set_permissions(&path("/missing"), 0o600).await,
        VfsErrorKind::NotFound,
        "set_permissions: missing file",
    );
}

/// Where claimed, unique ids are present, stable, the same in listings and
/// different between objects.
pub async fn unique_ids(vfs: Arc<dyn Vfs>) {
    if !vfs.capabilities().unique_ids {
        return;
    }
    let (a, b) = (path("/a"), path("/b"));
    write_file(&*vfs, &a, b"1").await;
    write_file(&*vfs, &b, b"2").await;
    let id = |meta: crate::Metadata| meta.unique_id.expect("unique_ids: id missing");
    let id_a = id(vfs.metadata(&a).await.expect("unique_ids: metadata"));
    let id_b = id(vfs.metadata(&b).await.expect("unique_ids: metadata"));
    assert_ne!(id_a, id_b, "unique_ids: two files share an id");
    assert_eq!(
        id(vfs.metadata(&a).await.expect("unique_ids: metadata")),
        id_a,
        "unique_ids: the id must be stable"
    );
    let listed = list_entries(&*vfs, &path("/")).await;
    assert_eq!(
        listed[0].metadata.unique_id.as_deref(),
        Some(id_a.as_str()),
        "unique_ids: listing and metadata must agree"
    );
    assert!(
        id_a.bytes().all(|b| b.is_ascii_graphic() && b != b';'),
        "unique_ids: id {id_a:?} must be printable ASCII without spaces or semicolons"
    );
}
