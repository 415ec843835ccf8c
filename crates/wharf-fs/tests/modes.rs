//! Modes on the disk: no setuid, setgid or sticky bit ever gets there
//! through `LocalFs`, new files and directories follow the configured
//! umask whatever the process umask, and crash-orphaned upload temporary
//! files are swept.

#![cfg(unix)]
#![allow(clippy::unwrap_used)] // Test helpers panic on purpose.

use std::fs::{self, File, FileTimes};
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::io::AsyncWriteExt;
use wharf_fs::{LocalFs, Swept};
use wharf_vfs::testing::{expect_kind, path, write_file};
use wharf_vfs::{Vfs, VfsErrorKind, WriteMode};

fn served(umask: Option<u32>) -> (tempfile::TempDir, Arc<dyn Vfs>) {
    let dir = tempfile::tempdir().unwrap();
    let mut fs = LocalFs::new(dir.path()).unwrap();
    if let Some(umask) = umask {
        fs = fs.with_umask(umask);
    }
    (dir, Arc::new(fs))
}

/// The mode bits on the disk, special bits included.
fn disk_mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[tokio::test]
async fn set_permissions_refuses_setuid_setgid_and_sticky() {
    let (dir, vfs) = served(None);
    write_file(&*vfs, &path("/f"), b"#!/bin/sh\n").await;
    vfs.mkdir(&path("/d")).await.unwrap();
    vfs.set_permissions(&path("/f"), 0o755).await.unwrap();
    vfs.set_permissions(&path("/d"), 0o755).await.unwrap();
    for mode in [0o4755, 0o2755, 0o1755, 0o6777, 0o4000, 0o10_755] {
        for (name, what) in [("f", "file"), ("d", "directory")] {
            expect_kind(
                vfs.set_permissions(&path(format!("/{name}")), mode).await,
                VfsErrorKind::PermissionDenied,
                &format!("{what} mode {mode:o}"),
            );
            assert_eq!(
                disk_mode(&dir.path().join(name)),
                0o755,
                "{what} unchanged after {mode:o}"
            );
        }
    }
    vfs.set_permissions(&path("/f"), 0o700).await.unwrap();
    assert_eq!(disk_mode(&dir.path().join("f")), 0o700);
}

#[tokio::test]
async fn replacing_a_setuid_file_drops_the_special_bits_and_keeps_the_rest() {
    let (dir, vfs) = served(None);
    for (old, kept) in [
        (0o4755, 0o755),
        (0o6750, 0o750),
        (0o2711, 0o711),
        (0o1600, 0o600),
    ] {
        let target = dir.path().join("tool");
        fs::write(&target, b"vetted program").unwrap();
        chmod(&target, old);
        assert_eq!(disk_mode(&target), old, "the test planted {old:o}");
        write_file(&*vfs, &path("/tool"), b"anybody's program").await;
        assert_eq!(fs::read(&target).unwrap(), b"anybody's program");
        assert_eq!(disk_mode(&target), kept, "replacing a {old:o} file");
    }
}

#[tokio::test]
async fn writing_in_place_clears_the_special_bits() {
    let (dir, vfs) = served(None);
    let target = dir.path().join("tool");
    for mode in [WriteMode::Append, WriteMode::Resume(3)] {
        fs::write(&target, b"abcdef").unwrap();
        chmod(&target, 0o6755);
        let mut upload = vfs.create(&path("/tool"), mode).await.unwrap();
        // The new bytes go to a copy (written by this process as root, so
        // the kernel would not clear the bits itself); the target keeps its
        // old bytes and bits until the copy replaces it.
        assert_eq!(disk_mode(&target), 0o6755, "{mode:?} at open");
        upload.write_all(b"xyz").await.unwrap();
        upload.finish().await.unwrap();
        assert_eq!(disk_mode(&target), 0o755, "{mode:?}");
    }
}

#[tokio::test]
async fn new_files_and_directories_get_the_default_umask() {
    let (dir, vfs) = served(None);
    write_file(&*vfs, &path("/stored"), b"x").await;
    vfs.mkdir(&path("/made")).await.unwrap();
    let mut appended = vfs
        .create(&path("/appended"), WriteMode::Append)
        .await
        .unwrap();
    appended.write_all(b"x").await.unwrap();
    appended.finish().await.unwrap();
    let mut resumed = vfs
        .create(&path("/resumed"), WriteMode::Resume(0))
        .await
        .unwrap();
    resumed.write_all(b"x").await.unwrap();
    resumed.finish().await.unwrap();
    for name in ["stored", "appended", "resumed"] {
        assert_eq!(disk_mode(&dir.path().join(name)), 0o644, "{name}");
    }
    assert_eq!(disk_mode(&dir.path().join("made")), 0o755);
}

/// The process umask here is whatever the test runner has (typically
/// 022); a mode that differs from what it would give shows the mode was
/// set explicitly. 0 widens past it and 077 narrows below it.
#[tokio::test]
async fn the_configured_umask_wins_over_the_process_umask() {
    for (umask, file, dir_mode) in [
        (0o077, 0o600, 0o700),
        (0, 0o666, 0o777),
        (0o027, 0o640, 0o750),
    ] {
        let (dir, vfs) = served(Some(umask));
        write_file(&*vfs, &path("/stored"), b"x").await;
        vfs.mkdir(&path("/made")).await.unwrap();
        let mut appended = vfs
            .create(&path("/appended"), WriteMode::Append)
            .await
            .unwrap();
        appended.write_all(b"x").await.unwrap();
        appended.finish().await.unwrap();
        assert_eq!(
            disk_mode(&dir.path().join("stored")),
            file,
            "umask {umask:o}"
        );
        assert_eq!(
            disk_mode(&dir.path().join("appended")),
            file,
            "umask {umask:o}"
        );
        assert_eq!(
            disk_mode(&dir.path().join("made")),
            dir_mode,
            "umask {umask:o}"
        );
    }
}

#[tokio::test]
async fn an_upload_in_progress_already_has_the_umask_mode() {
    let (dir, vfs) = served(Some(0o077));
    let mut upload = vfs.create(&path("/f"), WriteMode::Create).await.unwrap();
    upload.write_all(b"secret").await.unwrap();
    let temp = fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|p| p.to_string_lossy().contains(".wharf-upload-"))
        .unwrap();
    assert_eq!(disk_mode(&temp), 0o600, "the temporary file is private too");
    upload.finish().await.unwrap();
}

/// Sets a file's modification time `age` into the past.
fn age(path: &Path, age: Duration) {
    let when = SystemTime::now() - age;
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_times(FileTimes::new().set_modified(when).set_accessed(when))
        .unwrap();
}

#[test]
fn sweep_removes_old_orphans_only_and_never_leaves_the_root() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("root");
    let outside = base.path().join("outside");
    fs::create_dir_all(root.join("sub/deeper")).unwrap();
    fs::create_dir(&outside).unwrap();
    let hour = Duration::from_secs(3600);
    let orphan = |dir: &Path, name: &str, old: bool| {
        let p = dir.join(format!(".wharf-upload-{name}"));
        fs::write(&p, b"partial").unwrap();
        if old {
            age(&p, 2 * hour);
        }
        p
    };
    let removed = [
        orphan(&root, "top", true),
        orphan(&root.join("sub/deeper"), "deep", true),
    ];
    let kept = [
        orphan(&root, "young", false),
        orphan(&outside, "outside", true),
    ];
    // Not orphans: an old ordinary file, a directory and a symlink that
    // carry the prefix, and symlinks leading out of the root.
    let ordinary = root.join("ordinary");
    fs::write(&ordinary, b"keep").unwrap();
    age(&ordinary, 2 * hour);
    let prefixed_dir = root.join(".wharf-upload-dir");
    fs::create_dir(&prefixed_dir).unwrap();
    let prefixed_link = root.join(".wharf-upload-link");
    symlink(&kept[1], &prefixed_link).unwrap();
    symlink(&outside, root.join("escape")).unwrap();
    symlink(&outside, root.join("sub/escape-rel")).unwrap();

    let fs = LocalFs::new(&root).unwrap();
    let swept = fs.sweep_orphaned_uploads(hour);
    assert_eq!(
        swept,
        Swept {
            removed: 2,
            kept_young: 1,
            kept_live: 0,
            errors: 0
        }
    );
    for p in &removed {
        assert!(!p.exists(), "{} removed", p.display());
    }
    for p in kept.iter().chain([&ordinary, &prefixed_dir]) {
        assert!(p.exists(), "{} kept", p.display());
    }
    assert!(fs::symlink_metadata(&prefixed_link).is_ok(), "symlink kept");
    // A second pass finds nothing more to do.
    assert_eq!(fs.sweep_orphaned_uploads(hour).removed, 0);
}

/// A live upload's temporary file is locked, so a sweep from another
/// server on the same root keeps it however old it looks; the upload then
/// commits normally. Once it is gone (a crash drops the lock), an old
/// unlocked one is removed.
#[tokio::test]
async fn sweep_never_removes_a_live_upload_however_old() {
    let dir = tempfile::tempdir().unwrap();
    let serving = LocalFs::new(dir.path()).unwrap();
    let mut upload = serving
        .create(&path("/f"), WriteMode::Append)
        .await
        .unwrap();
    upload.write_all(b"live").await.unwrap();
    let temp = fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|p| p.to_string_lossy().contains(".wharf-upload-"))
        .unwrap();
    age(&temp, Duration::from_secs(7200));
    let other = LocalFs::new(dir.path()).unwrap();
    let swept = other.sweep_orphaned_uploads(Duration::from_secs(60));
    assert_eq!(
        swept,
        Swept {
            removed: 0,
            kept_young: 0,
            kept_live: 1,
            errors: 0
        }
    );
    assert!(temp.exists(), "a live upload's file is kept");
    upload.finish().await.unwrap();
    assert_eq!(fs::read(dir.path().join("f")).unwrap(), b"live");

    // What a killed writer leaves: the same name, unlocked, old.
    let orphan = dir.path().join(".wharf-upload-00000000000000ff");
    fs::write(&orphan, b"half").unwrap();
    age(&orphan, Duration::from_secs(7200));
    assert_eq!(
        other
            .sweep_orphaned_uploads(Duration::from_secs(60))
            .removed,
        1
    );
    assert!(!orphan.exists());
}
