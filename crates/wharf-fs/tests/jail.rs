//! Nothing outside the served directory is reachable: not through `..`,
//! absolute paths, or symlinks planted inside that point out.

#![cfg(unix)]
#![allow(clippy::unwrap_used)] // Test helpers panic on purpose.

use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::io::AsyncWriteExt;
use wharf_fs::LocalFs;
use wharf_vfs::testing::{list_names, path, read_file, write_file};
use wharf_vfs::{FileKind, VPath, Vfs, VfsError, VfsErrorKind, WriteMode};

/// A served root with escaping symlinks planted in it, next to an outside
/// directory holding a secret.
struct Setup {
    _base: tempfile::TempDir,
    outside: PathBuf,
    vfs: Arc<dyn Vfs>,
    /// Size, mtime and mode of the secret before the test.
    before: (u64, i64, u32),
}

const SECRET: &[u8] = b"the outside secret";

fn stat(path: &Path) -> (u64, i64, u32) {
    let meta = std::fs::metadata(path).unwrap();
    (meta.len(), meta.mtime(), meta.mode())
}

fn setup() -> Setup {
    let base = tempfile::tempdir().unwrap();
    let outside = base.path().join("outside");
    let root = base.path().join("root");
    std::fs::create_dir(&outside).unwrap();
    std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
    std::fs::write(outside.join("secret.txt"), SECRET).unwrap();
    let secret = outside.join("secret.txt");
    // An absolute target outside the root.
    symlink(&secret, root.join("abs_link")).unwrap();
    // Relative targets climbing out with `..`.
    symlink("../outside/secret.txt", root.join("rel_link")).unwrap();
    let climb = format!("../../../../../../../../../..{}", secret.display());
    symlink(&climb, root.join("sub/deeper/climb_link")).unwrap();
    // Directories pointing out, absolute and relative.
    symlink(&outside, root.join("dir_link")).unwrap();
    symlink("../../outside", root.join("sub/rel_dir_link")).unwrap();
    // Links that stay inside keep working.
    std::fs::write(root.join("sub/inside.txt"), b"inside").unwrap();
    symlink("sub/inside.txt", root.join("inner_link")).unwrap();
    symlink("sub", root.join("inner_dir_link")).unwrap();
    let before = stat(&secret);
    Setup {
        vfs: Arc::new(LocalFs::new(&root).unwrap()),
        outside,
        before,
        _base: base,
    }
}

impl Setup {
    /// The outside directory holds exactly the untouched secret.
    fn assert_outside_untouched(&self) {
        let names: Vec<_> = std::fs::read_dir(&self.outside)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            ["secret.txt"],
            "something was created outside the root"
        );
        let secret = self.outside.join("secret.txt");
        assert_eq!(
            std::fs::read(&secret).unwrap(),
            SECRET,
            "the secret was modified"
        );
        assert_eq!(
            stat(&secret),
            self.before,
            "the secret's metadata was modified"
        );
    }
}

/// The escaping links to files.
const FILE_LINKS: [&str; 3] = ["/abs_link", "/rel_link", "/sub/deeper/climb_link"];
/// Paths through the escaping directory links.
const THROUGH_DIRS: [&str; 2] = ["/dir_link/secret.txt", "/sub/rel_dir_link/secret.txt"];

#[track_caller]
fn assert_denied<T>(result: Result<T, VfsError>, what: &str) {
    match result {
        Err(err) => assert!(
            matches!(
                err.kind(),
                VfsErrorKind::PermissionDenied | VfsErrorKind::NotFound
            ),
            "{what}: expected PermissionDenied or NotFound, got {err:?}"
        ),
        Ok(_) => panic!("{what}: succeeded through an escaping symlink"),
    }
}

#[tokio::test]
async fn reads_through_escaping_symlinks_fail() {
    let s = setup();
    for link in FILE_LINKS.iter().chain(&THROUGH_DIRS) {
        let p = path(link);
        assert_denied(s.vfs.open_read(&p, 0).await, &format!("open_read {link}"));
        assert_denied(s.vfs.open_local(&p, 0).await, &format!("open_local {link}"));
        // Metadata never describes the outside file: an error, or a symlink.
        if let Ok(meta) = s.vfs.metadata(&p).await {
            assert_eq!(
                meta.kind,
                FileKind::Symlink,
                "metadata {link} followed the link"
            );
        }
    }
    s.assert_outside_untouched();
}

#[tokio::test]
async fn listings_through_escaping_symlinks_fail() {
    let s = setup();
    for dir in ["/dir_link", "/sub/rel_dir_link"] {
        assert_denied(s.vfs.list(&path(dir)).await, &format!("list {dir}"));
    }
    // The links themselves are listed as symlinks, without following them.
    let entries = wharf_vfs::testing::list_entries(&*s.vfs, &path("/")).await;
    for entry in &entries {
        let expected = match entry.name.as_slice() {
            b"abs_link" | b"rel_link" | b"dir_link" => FileKind::Symlink,
            b"inner_link" => FileKind::File,
            _ => FileKind::Dir,
        };
        assert_eq!(
            entry.metadata.kind,
            expected,
            "kind of {}",
            entry.name_lossy()
        );
    }
    s.assert_outside_untouched();
}

#[tokio::test]
async fn writes_through_escaping_symlinks_fail() {
    let s = setup();
    for target in THROUGH_DIRS.iter().chain(&["/dir_link/new.txt"]) {
        let p = path(target);
        for mode in [WriteMode::Create, WriteMode::Append, WriteMode::Resume(0)] {
            assert_denied(
                s.vfs.create(&p, mode).await,
                &format!("create {target} {mode:?}"),
            );
        }
        assert_denied(
            s.vfs.remove_file(&p).await,
            &format!("remove_file {target}"),
        );
        assert_denied(
            s.vfs.set_mtime(&p, SystemTime::UNIX_EPOCH).await,
            "set_mtime",
        );
        assert_denied(s.vfs.set_permissions(&p, 0o777).await, "set_permissions");
    }
    for link in FILE_LINKS {
        let p = path(link);
        for mode in [
            WriteMode::Append,
            WriteMode::Resume(0),
            WriteMode::Resume(3),
        ] {
            assert_denied(
                s.vfs.create(&p, mode).await,
                &format!("create {link} {mode:?}"),
            );
        }
        let when = SystemTime::UNIX_EPOCH + Duration::from_secs(86_400);
        assert_denied(
            s.vfs.set_mtime(&p, when).await,
            &format!("set_mtime {link}"),
        );
        assert_denied(
            s.vfs.set_permissions(&p, 0o777).await,
            &format!("chmod {link}"),
        );
    }
    assert_denied(
        s.vfs.mkdir(&path("/dir_link/made")).await,
        "mkdir through a link",
    );
    assert_denied(
        s.vfs.rmdir(&path("/dir_link/made")).await,
        "rmdir through a link",
    );
    s.assert_outside_untouched();
}

#[tokio::test]
async fn create_over_a_link_replaces_the_link_not_its_target() {
    let s = setup();
    let link = path("/abs_link");
    let mut upload = s.vfs.create(&link, WriteMode::Create).await.unwrap();
    upload.write_all(b"mine").await.unwrap();
    upload.finish().await.unwrap();
    assert_eq!(read_file(&*s.vfs, &link, 0).await, b"mine");
    assert_eq!(s.vfs.metadata(&link).await.unwrap().kind, FileKind::File);
    s.assert_outside_untouched();
}

#[tokio::test]
async fn renames_through_escaping_symlinks_fail() {
    let s = setup();
    write_file(&*s.vfs, &path("/mine.txt"), b"mine").await;
    for source in THROUGH_DIRS {
        assert_denied(
            s.vfs.rename(&path(source), &path("/stolen")).await,
            &format!("rename {source} in"),
        );
    }
    for target in ["/dir_link/planted", "/sub/rel_dir_link/secret.txt"] {
        assert_denied(
            s.vfs.rename(&path("/mine.txt"), &path(target)).await,
            &format!("rename out to {target}"),
        );
    }
    // Renaming a link moves the link; it still leads nowhere.
    s.vfs
        .rename(&path("/rel_link"), &path("/sub/moved"))
        .await
        .unwrap();
    assert_denied(
        s.vfs.open_read(&path("/sub/moved"), 0).await,
        "open_read moved link",
    );
    assert_eq!(read_file(&*s.vfs, &path("/mine.txt"), 0).await, b"mine");
    s.assert_outside_untouched();
}

#[tokio::test]
async fn dot_dot_and_absolute_paths_stay_inside() {
    let s = setup();
    let outside = s.outside.join("secret.txt");
    // However the client spells it, the path is resolved inside the root.
    for pathname in [
        "../outside/secret.txt",
        "/../../outside/secret.txt",
        "sub/../../x",
    ] {
        let p = VPath::parse(pathname).unwrap();
        assert_denied(s.vfs.open_read(&p, 0).await, pathname);
    }
    let absolute = VPath::parse(outside.as_os_str().as_encoded_bytes()).unwrap();
    assert_denied(
        s.vfs.open_read(&absolute, 0).await,
        "the absolute outside path",
    );
    s.assert_outside_untouched();
}

#[tokio::test]
async fn symlinks_inside_the_root_work() {
    let s = setup();
    assert_eq!(read_file(&*s.vfs, &path("/inner_link"), 0).await, b"inside");
    let names = list_names(&*s.vfs, &path("/inner_dir_link")).await;
    assert!(
        names.contains(&b"inside.txt".to_vec()),
        "listing through an inner link: {names:?}"
    );
    assert_eq!(
        read_file(&*s.vfs, &path("/inner_dir_link/inside.txt"), 0).await,
        b"inside"
    );
}
