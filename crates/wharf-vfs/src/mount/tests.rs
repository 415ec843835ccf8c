//! The mount table's own rules; `tests/mount_conformance.rs` runs the
//! conformance suite through it.

use std::sync::Arc;
use std::time::SystemTime;

use super::*;
use crate::memory::MemoryFs;
use crate::testing::{expect_kind, list_entries, list_names, path, read_file, write_file};

/// A root and a writable mount at `/m` and a read-only one at `/ro`, each
/// back-end also returned for checking behind the table's back.
async fn tree() -> (MountFs, MemoryFs, MemoryFs, MemoryFs) {
    let (root, m, ro) = (MemoryFs::new(), MemoryFs::new(), MemoryFs::new());
    write_file(&ro, &path("/kept"), b"old").await;
    ro.mkdir(&path("/dir")).await.unwrap();
    let fs = MountFs::new(Arc::new(root.clone()))
        .mount(path("/m"), Arc::new(m.clone()), false)
        .unwrap()
        .mount(path("/ro"), Arc::new(ro.clone()), true)
        .unwrap();
    (fs, root, m, ro)
}

#[tokio::test]
async fn paths_under_a_mount_go_to_its_back_end_without_the_prefix() {
    let (fs, root, m, _) = tree().await;
    write_file(&fs, &path("/m/a"), b"in m").await;
    write_file(&fs, &path("/a"), b"in root").await;
    assert_eq!(read_file(&m, &path("/a"), 0).await, b"in m");
    assert_eq!(read_file(&root, &path("/a"), 0).await, b"in root");
    fs.mkdir(&path("/m/d")).await.unwrap();
    fs.rename(&path("/m/a"), &path("/m/d/b")).await.unwrap();
    assert_eq!(read_file(&m, &path("/d/b"), 0).await, b"in m");
    assert_eq!(list_names(&fs, &path("/m/d")).await, [b"b".to_vec()]);
    assert_eq!(read_file(&fs, &path("/ro/kept"), 1).await, b"ld");
}

#[tokio::test]
async fn mount_points_are_listed_as_directories_over_what_the_parent_holds() {
    let (fs, root, _, _) = tree().await;
    // A file of the root back-end under a mount point's name is hidden.
    write_file(&root, &path("/m"), b"hidden").await;
    write_file(&root, &path("/f"), b"x").await;
    let entries = list_entries(&fs, &path("/")).await;
    let names: Vec<&[u8]> = entries.iter().map(|e| e.name.as_slice()).collect();
    assert_eq!(names, [&b"f"[..], b"m", b"ro"]);
    assert!(entries[1].metadata.is_dir() && entries[2].metadata.is_dir());
    assert!(fs.metadata(&path("/m")).await.unwrap().is_dir());
    assert_eq!(
        list_names(&fs, &path("/ro")).await,
        [b"dir".to_vec(), b"kept".to_vec()]
    );
}

#[tokio::test]
async fn ancestors_of_a_deep_mount_are_directories() {
    let deep = MemoryFs::new();
    write_file(&deep, &path("/x"), b"deep").await;
    let fs = MountFs::new(Arc::new(MemoryFs::new()))
        .mount(path("/a/b/c"), Arc::new(deep), false)
        .unwrap();
    assert_eq!(list_names(&fs, &path("/")).await, [b"a".to_vec()]);
    assert_eq!(list_names(&fs, &path("/a")).await, [b"b".to_vec()]);
    assert_eq!(list_names(&fs, &path("/a/b")).await, [b"c".to_vec()]);
    assert!(fs.metadata(&path("/a/b")).await.unwrap().is_dir());
    assert_eq!(read_file(&fs, &path("/a/b/c/x"), 0).await, b"deep");
    expect_kind(
        fs.rmdir(&path("/a")).await,
        VfsErrorKind::DirectoryNotEmpty,
        "rmdir /a",
    );
    expect_kind(
        fs.mkdir(&path("/a")).await,
        VfsErrorKind::AlreadyExists,
        "mkdir /a",
    );
    expect_kind(
        fs.open_read(&path("/a"), 0).await,
        VfsErrorKind::IsADirectory,
        "read /a",
    );
    expect_kind(
        fs.rename(&path("/a/b"), &path("/z")).await,
        VfsErrorKind::PermissionDenied,
        "rename /a/b",
    );
    expect_kind(
        fs.metadata(&path("/q")).await,
        VfsErrorKind::NotFound,
        "metadata /q",
    );
}

#[tokio::test]
async fn mount_points_cannot_be_removed_renamed_or_replaced() {
    let (fs, root, _, _) = tree().await;
    write_file(&fs, &path("/f"), b"x").await;
    let m = path("/m");
    expect_kind(fs.rmdir(&m).await, VfsErrorKind::PermissionDenied, "rmdir");
    expect_kind(
        fs.remove_file(&m).await,
        VfsErrorKind::IsADirectory,
        "remove_file",
    );
    expect_kind(
        fs.create(&m, WriteMode::Create).await,
        VfsErrorKind::IsADirectory,
        "create",
    );
    expect_kind(fs.mkdir(&m).await, VfsErrorKind::AlreadyExists, "mkdir");
    expect_kind(
        fs.rename(&m, &path("/n")).await,
        VfsErrorKind::PermissionDenied,
        "rename from",
    );
    expect_kind(
        fs.rename(&path("/f"), &m).await,
        VfsErrorKind::PermissionDenied,
        "rename onto",
    );
    expect_kind(
        fs.rmdir(&path("/")).await,
        VfsErrorKind::DirectoryNotEmpty,
        "rmdir /",
    );
    assert_eq!(list_names(&root, &path("/")).await, [b"f".to_vec()]);
    assert!(fs.metadata(&m).await.unwrap().is_dir());
}

#[tokio::test]
async fn read_only_mounts_refuse_every_change() {
    let (fs, _, _, ro) = tree().await;
    let kept = path("/ro/kept");
    let denied = VfsErrorKind::PermissionDenied;
    for mode in [WriteMode::Create, WriteMode::Append, WriteMode::Resume(0)] {
        expect_kind(fs.create(&kept, mode).await, denied, "create");
    }
    expect_kind(
        fs.create(&path("/ro/new"), WriteMode::Create).await,
        denied,
        "create new",
    );
    expect_kind(fs.mkdir(&path("/ro/new")).await, denied, "mkdir");
    expect_kind(fs.rmdir(&path("/ro/dir")).await, denied, "rmdir");
    expect_kind(fs.remove_file(&kept).await, denied, "remove_file");
    expect_kind(fs.rename(&kept, &path("/ro/other")).await, denied, "rename");
    expect_kind(
        fs.set_mtime(&kept, SystemTime::UNIX_EPOCH).await,
        denied,
        "set_mtime",
    );
    expect_kind(
        fs.set_permissions(&kept, 0o600).await,
        denied,
        "set_permissions",
    );
    match fs.remove_file(&kept).await {
        Err(err) => assert_eq!(err.path(), Some(&kept), "the refusal names the path"),
        Ok(()) => panic!("removed from a read-only mount"),
    }
    assert_eq!(read_file(&fs, &kept, 0).await, b"old");
    assert_eq!(
        list_names(&ro, &path("/")).await,
        [b"dir".to_vec(), b"kept".to_vec()]
    );
}

#[tokio::test]
async fn renames_across_mounts_are_refused_and_change_nothing() {
    let (fs, root, m, _) = tree().await;
    write_file(&fs, &path("/a"), b"root").await;
    write_file(&fs, &path("/m/b"), b"m").await;
    let crosses = VfsErrorKind::CrossesMount;
    expect_kind(
        fs.rename(&path("/a"), &path("/m/a")).await,
        crosses,
        "root to mount",
    );
    expect_kind(
        fs.rename(&path("/m/b"), &path("/b")).await,
        crosses,
        "mount to root",
    );
    expect_kind(
        fs.rename(&path("/m/b"), &path("/ro/b")).await,
        crosses,
        "mount to mount",
    );
    expect_kind(
        fs.rename(&path("/ro/kept"), &path("/k")).await,
        crosses,
        "read-only out",
    );
    assert_eq!(list_names(&root, &path("/")).await, [b"a".to_vec()]);
    assert_eq!(list_names(&m, &path("/")).await, [b"b".to_vec()]);
    let err = fs.rename(&path("/a"), &path("/m/a")).await.unwrap_err();
    assert_eq!(err.to_string(), "cannot rename across mounts: /m/a");
}

#[tokio::test]
async fn errors_name_the_path_of_the_whole_tree() {
    let (fs, _, _, _) = tree().await;
    let missing = path("/m/no/such");
    let err = fs.metadata(&missing).await.unwrap_err();
    assert_eq!(err.kind(), VfsErrorKind::NotFound);
    assert_eq!(err.path(), Some(&missing));
    let Err(err) = fs.open_read(&path("/m/gone"), 0).await else {
        panic!("read a missing file");
    };
    assert_eq!(err.path(), Some(&path("/m/gone")));
}

#[tokio::test]
async fn unique_ids_differ_between_back_ends() {
    let (fs, _, _, _) = tree().await;
    // Both MemoryFs number their first file alike.
    write_file(&fs, &path("/x"), b"1").await;
    write_file(&fs, &path("/m/x"), b"2").await;
    let id = |meta: Metadata| meta.unique_id.unwrap();
    let root_id = id(fs.metadata(&path("/x")).await.unwrap());
    let mount_id = id(fs.metadata(&path("/m/x")).await.unwrap());
    assert_ne!(root_id, mount_id);
    let listed = list_entries(&fs, &path("/m")).await;
    assert_eq!(
        listed[0].metadata.unique_id.as_deref(),
        Some(mount_id.as_str())
    );
}

/// MemoryFs with only the required operations, so no optional capability.
struct Plain(MemoryFs);

#[async_trait]
impl Vfs for Plain {
    async fn metadata(&self, path: &VPath) -> Result<Metadata, VfsError> {
        self.0.metadata(path).await
    }
    async fn list(&self, path: &VPath) -> Result<DirStream, VfsError> {
        self.0.list(path).await
    }
    async fn open_read(&self, path: &VPath, offset: u64) -> Result<FileReader, VfsError> {
        self.0.open_read(path, offset).await
    }
    async fn create(&self, path: &VPath, mode: WriteMode) -> Result<Box<dyn Upload>, VfsError> {
        self.0.create(path, mode).await
    }
    async fn mkdir(&self, path: &VPath) -> Result<(), VfsError> {
        self.0.mkdir(path).await
    }
    async fn rmdir(&self, path: &VPath) -> Result<(), VfsError> {
        self.0.rmdir(path).await
    }
    async fn remove_file(&self, path: &VPath) -> Result<(), VfsError> {
        self.0.remove_file(path).await
    }
    async fn rename(&self, from: &VPath, to: &VPath) -> Result<(), VfsError> {
        self.0.rename(from, to).await
    }
}

#[tokio::test]
async fn capabilities_follow_the_back_ends() {
    let full = || Arc::new(MemoryFs::new()) as Arc<dyn Vfs>;
    let plain = || Arc::new(Plain(MemoryFs::new())) as Arc<dyn Vfs>;
    let all = MemoryFs::new().capabilities();
    assert_eq!(MountFs::new(full()).capabilities(), all);

    // A plain root with a full writable mount: operations work somewhere,
    // facts are not everywhere.
    let mixed = MountFs::new(plain())
        .mount(path("/m"), full(), false)
        .unwrap();
    let caps = mixed.capabilities();
    assert!(caps.set_mtime && caps.set_permissions && caps.append && caps.resume);
    assert!(!caps.unique_ids && !caps.modes);
    write_file(&mixed, &path("/f"), b"x").await;
    write_file(&mixed, &path("/m/f"), b"x").await;
    let when = SystemTime::UNIX_EPOCH;
    expect_kind(
        mixed.set_mtime(&path("/f"), when).await,
        VfsErrorKind::Unsupported,
        "root",
    );
    mixed.set_mtime(&path("/m/f"), when).await.unwrap();

    // A read-only mount claims no operation.
    let read_only = MountFs::new(plain())
        .mount(path("/m"), full(), true)
        .unwrap();
    let caps = read_only.capabilities();
    assert!(!caps.set_mtime && !caps.set_permissions && !caps.append && !caps.resume);
}

#[test]
fn refuses_a_mount_at_the_root_or_twice() {
    let memory = || Arc::new(MemoryFs::new()) as Arc<dyn Vfs>;
    let err = MountFs::new(memory())
        .mount(VPath::root(), memory(), false)
        .unwrap_err();
    assert_eq!(err, MountError::AtRoot);
    let err = MountFs::new(memory())
        .mount(path("/a"), memory(), false)
        .and_then(|fs| fs.mount(path("/a"), memory(), true))
        .unwrap_err();
    assert_eq!(err, MountError::Duplicate(path("/a")));
}
