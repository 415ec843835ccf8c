//! Behaviour specific to the local disk: permissions, times, temporary
//! upload files and the zero-copy seam.

#![cfg(unix)]
#![allow(clippy::unwrap_used)] // Test helpers panic on purpose.

use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::io::AsyncWriteExt;
use wharf_fs::LocalFs;
use wharf_vfs::testing::{expect_kind, list_names, path, pattern, read_file, write_file};
use wharf_vfs::{Vfs, VfsErrorKind, WriteMode};

fn served() -> (tempfile::TempDir, Arc<dyn Vfs>) {
    let dir = tempfile::tempdir().unwrap();
    let vfs = Arc::new(LocalFs::new(dir.path()).unwrap());
    (dir, vfs)
}

/// Names in `dir` on the disk itself, sorted.
fn disk_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Undoes `chattr +i` and restores write permission when dropped, so the
/// temporary directory can be removed.
struct Unfreeze(PathBuf, bool);

impl Drop for Unfreeze {
    fn drop(&mut self) {
        if self.1 {
            let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        }
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
    }
}

#[tokio::test]
async fn read_only_directory_gives_permission_denied() {
    let (dir, vfs) = served();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::write(ro.join("existing"), b"x").unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut guard = Unfreeze(ro.clone(), false);
    // Root (or CAP_DAC_OVERRIDE) ignores permission bits; find out by trying.
    let probe = ro.join("probe");
    if std::fs::write(&probe, b"").is_ok() {
        std::fs::remove_file(&probe).unwrap();
        // The immutable attribute binds root too.
        let frozen = Command::new("chattr").arg("+i").arg(&ro).status();
        assert!(
            frozen.is_ok_and(|status| status.success()),
            "running privileged, where permission bits do not apply, this test makes the \
             directory read-only with `chattr +i` (e2fsprogs), which failed: install it, or \
             run the test on a file system that has the immutable attribute"
        );
        eprintln!("running privileged: made the directory read-only with `chattr +i`");
        guard.1 = true;
    }
    let denied = VfsErrorKind::PermissionDenied;
    expect_kind(
        vfs.create(&path("/ro/new"), WriteMode::Create).await,
        denied,
        "create",
    );
    expect_kind(vfs.mkdir(&path("/ro/sub")).await, denied, "mkdir");
    expect_kind(
        vfs.remove_file(&path("/ro/existing")).await,
        denied,
        "remove_file",
    );
    expect_kind(
        vfs.rename(&path("/ro/existing"), &path("/moved")).await,
        denied,
        "rename",
    );
    assert_eq!(
        read_file(&*vfs, &path("/ro/existing"), 0).await,
        b"x",
        "still readable"
    );
    assert_eq!(disk_names(&ro), ["existing"]);
    drop(guard);
}

#[tokio::test]
async fn set_mtime_sets_the_disk_mtime() {
    let (dir, vfs) = served();
    write_file(&*vfs, &path("/f"), b"x").await;
    vfs.mkdir(&path("/d")).await.unwrap();
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_234_567_890);
    for name in ["f", "d"] {
        vfs.set_mtime(&path(format!("/{name}")), when)
            .await
            .unwrap();
        let meta = std::fs::metadata(dir.path().join(name)).unwrap();
        assert_eq!(meta.modified().unwrap(), when, "mtime of {name} on disk");
        assert_eq!(
            vfs.metadata(&path(format!("/{name}")))
                .await
                .unwrap()
                .modified,
            Some(when)
        );
    }
}

#[tokio::test]
async fn set_permissions_sets_the_disk_mode() {
    let (dir, vfs) = served();
    write_file(&*vfs, &path("/f"), b"x").await;
    for mode in [0o600, 0o751, 0o644] {
        vfs.set_permissions(&path("/f"), mode).await.unwrap();
        let disk = std::fs::metadata(dir.path().join("f")).unwrap().mode() & 0o7777;
        assert_eq!(disk, mode, "mode on disk");
    }
}

#[tokio::test]
async fn uploads_use_hidden_temporary_files() {
    let (dir, vfs) = served();
    write_file(&*vfs, &path("/target"), b"old").await;
    let mut upload = vfs
        .create(&path("/target"), WriteMode::Create)
        .await
        .unwrap();
    upload.write_all(b"new").await.unwrap();
    upload.flush().await.unwrap();
    let on_disk = disk_names(dir.path());
    assert_eq!(
        on_disk.len(),
        2,
        "target and one temporary file: {on_disk:?}"
    );
    let temp = on_disk
        .iter()
        .find(|name| *name != "target")
        .unwrap()
        .clone();
    assert!(temp.starts_with(".wharf-upload-"), "temporary name {temp}");
    assert_eq!(
        list_names(&*vfs, &path("/")).await,
        [b"target".to_vec()],
        "hidden from lists"
    );
    expect_kind(
        vfs.metadata(&path(format!("/{temp}"))).await,
        VfsErrorKind::InvalidName,
        "clients cannot name temporary files",
    );
    assert_eq!(std::fs::read(dir.path().join("target")).unwrap(), b"old");
    upload.finish().await.unwrap();
    assert_eq!(disk_names(dir.path()), ["target"]);
    assert_eq!(std::fs::read(dir.path().join("target")).unwrap(), b"new");

    for abort in [true, false] {
        let mut upload = vfs
            .create(&path("/target"), WriteMode::Create)
            .await
            .unwrap();
        upload.write_all(b"junk").await.unwrap();
        upload.flush().await.unwrap();
        if abort {
            upload.abort().await;
        } else {
            drop(upload);
        }
        assert_eq!(disk_names(dir.path()), ["target"], "temporary file removed");
    }
}

#[tokio::test]
async fn a_crash_leaves_the_target_whole() {
    let (dir, vfs) = served();
    write_file(&*vfs, &path("/target"), b"complete").await;
    let mut upload = vfs
        .create(&path("/target"), WriteMode::Create)
        .await
        .unwrap();
    upload.write_all(b"half").await.unwrap();
    upload.flush().await.unwrap();
    // A crash runs no destructor.
    std::mem::forget(upload);
    assert_eq!(
        std::fs::read(dir.path().join("target")).unwrap(),
        b"complete"
    );
    assert_eq!(disk_names(dir.path()).len(), 2, "the orphan stays on disk");
    assert_eq!(
        list_names(&*vfs, &path("/")).await,
        [b"target".to_vec()],
        "but not listed"
    );
}

#[tokio::test]
async fn replacing_keeps_the_permission_bits() {
    let (dir, vfs) = served();
    write_file(&*vfs, &path("/f"), b"old").await;
    vfs.set_permissions(&path("/f"), 0o600).await.unwrap();
    write_file(&*vfs, &path("/f"), b"new").await;
    let mode = std::fs::metadata(dir.path().join("f")).unwrap().mode() & 0o7777;
    assert_eq!(mode, 0o600);
}

/// `APPE` and `REST`+`STOR` are all or nothing, as `STOR` is: while they
/// run the target holds its old bytes (they go to a copy), and an aborted
/// or dropped one leaves the target as it was and no temporary file.
#[tokio::test]
async fn append_and_resume_leave_the_target_untouched_until_finish() {
    let (dir, vfs) = served();
    let target = dir.path().join("log");
    write_file(&*vfs, &path("/log"), b"abc").await;
    for mode in [
        WriteMode::Append,
        WriteMode::Resume(2),
        WriteMode::Resume(0),
    ] {
        for how in ["abort", "drop"] {
            let mut upload = vfs.create(&path("/log"), mode).await.unwrap();
            upload.write_all(b"XY").await.unwrap();
            upload.flush().await.unwrap();
            assert_eq!(std::fs::read(&target).unwrap(), b"abc", "{mode:?} running");
            if how == "abort" {
                upload.abort().await;
            } else {
                drop(upload);
            }
            assert_eq!(
                std::fs::read(&target).unwrap(),
                b"abc",
                "{mode:?} then {how}"
            );
            assert_eq!(disk_names(dir.path()), ["log"], "{mode:?} then {how}");
        }
    }
    let mut upload = vfs
        .create(&path("/log"), WriteMode::Resume(2))
        .await
        .unwrap();
    upload.write_all(b"XY").await.unwrap();
    upload.finish().await.unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"abXY");
    assert_eq!(disk_names(dir.path()), ["log"]);
}

/// A symlink target (inside the jail) is appended to through the link:
/// renaming a copy over it would replace the link itself.
#[tokio::test]
async fn appending_to_a_symlink_writes_its_target() {
    let (dir, vfs) = served();
    write_file(&*vfs, &path("/real"), b"abc").await;
    std::os::unix::fs::symlink("real", dir.path().join("link")).unwrap();
    let mut upload = vfs.create(&path("/link"), WriteMode::Append).await.unwrap();
    upload.write_all(b"def").await.unwrap();
    upload.finish().await.unwrap();
    assert_eq!(std::fs::read(dir.path().join("real")).unwrap(), b"abcdef");
    assert!(
        std::fs::symlink_metadata(dir.path().join("link"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[tokio::test]
async fn open_local_hands_out_the_open_file_at_the_offset() {
    let (_dir, vfs) = served();
    write_file(&*vfs, &path("/f"), b"not zero copy").await;
    let mut local = vfs
        .open_local(&path("/f"), 4)
        .await
        .unwrap()
        .expect("a local file");
    assert_eq!(local.size, 13, "the whole file's size, not what follows 4");
    let mut text = String::new();
    local.file.read_to_string(&mut text).unwrap();
    assert_eq!(text, "zero copy");
    vfs.mkdir(&path("/d")).await.unwrap();
    expect_kind(
        vfs.open_local(&path("/d"), 0).await,
        VfsErrorKind::IsADirectory,
        "directory",
    );
    expect_kind(
        vfs.open_local(&path("/nope"), 0).await,
        VfsErrorKind::NotFound,
        "missing",
    );
}

#[tokio::test]
async fn names_on_disk_are_listed_byte_for_byte() {
    use std::os::unix::ffi::OsStrExt;
    let (dir, vfs) = served();
    let raw = std::ffi::OsStr::from_bytes(b"caf\xe9 \\ \xff");
    std::fs::write(dir.path().join(raw), b"latin-1").unwrap();
    assert_eq!(
        list_names(&*vfs, &path("/")).await,
        [b"caf\xe9 \\ \xff".to_vec()]
    );
    let p = wharf_vfs::VPath::root().join(b"caf\xe9 \\ \xff").unwrap();
    assert_eq!(read_file(&*vfs, &p, 0).await, b"latin-1");
}

#[tokio::test]
async fn uploads_without_sync_still_commit_whole_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let vfs: Arc<dyn Vfs> = Arc::new(LocalFs::new(dir.path()).unwrap().with_sync(false));
    write_file(vfs.as_ref(), &path("/a.bin"), b"complete").await;
    assert_eq!(
        read_file(vfs.as_ref(), &path("/a.bin"), 0).await,
        b"complete"
    );
    // An unfinished upload is still invisible and leaves nothing behind.
    let mut upload = vfs
        .create(&path("/b.bin"), WriteMode::Create)
        .await
        .unwrap();
    upload.write_all(b"partial").await.unwrap();
    upload.flush().await.unwrap();
    drop(upload);
    assert_eq!(disk_names(dir.path()), vec!["a.bin".to_owned()]);
}

/// Writes `data` in pieces of awkward sizes, as socket reads arrive.
async fn write_in_pieces(upload: &mut Box<dyn wharf_vfs::Upload>, data: &[u8]) {
    let mut rest = data;
    let mut size = 1;
    while !rest.is_empty() {
        let n = size.min(rest.len());
        upload.write_all(&rest[..n]).await.unwrap();
        rest = &rest[n..];
        size = (size * 7 + 4093) % 300_000 + 1;
    }
}

#[tokio::test]
async fn uploads_of_many_chunks_arrive_whole_in_every_mode() {
    let (dir, vfs) = served();
    let first = pattern(3 * 1024 * 1024 + 12_345, 0);
    let mut upload = vfs.create(&path("/big"), WriteMode::Create).await.unwrap();
    write_in_pieces(&mut upload, &first).await;
    assert_eq!(upload.finish().await.unwrap(), first.len() as u64);
    assert!(std::fs::read(dir.path().join("big")).unwrap() == first);

    let more = pattern(2 * 1024 * 1024 + 1, 0x55);
    let mut upload = vfs.create(&path("/big"), WriteMode::Append).await.unwrap();
    write_in_pieces(&mut upload, &more).await;
    assert_eq!(upload.finish().await.unwrap(), more.len() as u64);
    let mut expected = first.clone();
    expected.extend_from_slice(&more);
    assert!(std::fs::read(dir.path().join("big")).unwrap() == expected);

    let offset = 1024 * 1024 + 3;
    let tail = pattern(1024 * 1024 + 77, 0xaa);
    let mut upload = vfs
        .create(&path("/big"), WriteMode::Resume(offset as u64))
        .await
        .unwrap();
    write_in_pieces(&mut upload, &tail).await;
    upload.finish().await.unwrap();
    let mut expected = first[..offset].to_vec();
    expected.extend_from_slice(&tail);
    assert!(std::fs::read(dir.path().join("big")).unwrap() == expected);
    assert_eq!(disk_names(dir.path()), ["big"], "no temporary file left");
}

#[tokio::test]
async fn an_aborted_big_append_leaves_the_old_file() {
    let (dir, vfs) = served();
    let start = pattern(3 * 1024 * 1024 + 5, 3);
    write_file(&*vfs, &path("/log"), &start).await;
    let data = pattern(2 * 1024 * 1024 + 999, 7);
    let mut upload = vfs.create(&path("/log"), WriteMode::Append).await.unwrap();
    write_in_pieces(&mut upload, &data).await;
    upload.abort().await;
    assert!(std::fs::read(dir.path().join("log")).unwrap() == start);
    assert_eq!(disk_names(dir.path()), ["log"]);
}

#[tokio::test]
async fn a_dropped_big_upload_leaves_nothing_behind() {
    let (dir, vfs) = served();
    let mut upload = vfs.create(&path("/big"), WriteMode::Create).await.unwrap();
    write_in_pieces(&mut upload, &pattern(5 * 1024 * 1024, 1)).await;
    drop(upload);
    // A chunk may still be in flight to the unlinked file; the name is gone.
    assert!(disk_names(dir.path()).is_empty());
}

/// A `Create` upload offers its file for direct writes (the session's
/// splice path): bytes written there and reported are committed by
/// `finish` and counted; an abandoned one leaves nothing. `APPE` does not
/// offer its file (the kernel refuses to splice into `O_APPEND`), nor does
/// an upload that already buffered bytes through `AsyncWrite`.
#[tokio::test]
async fn create_uploads_offer_their_file_for_direct_writes() {
    use std::io::Write;
    let (dir, vfs) = served();
    let data = pattern(3 * 1024 * 1024 + 5, 11);
    let mut upload = vfs
        .create(&path("/d.bin"), WriteMode::Create)
        .await
        .unwrap();
    let file = upload
        .local_file()
        .expect("a Create upload offers its file");
    for piece in data.chunks(100_000) {
        file.file().write_all(piece).unwrap();
        file.wrote(piece.len() as u64);
    }
    assert_eq!(upload.finish().await.unwrap(), data.len() as u64);
    assert!(std::fs::read(dir.path().join("d.bin")).unwrap() == data);
    assert_eq!(disk_names(dir.path()), ["d.bin"]);

    let mut dropped = vfs
        .create(&path("/e.bin"), WriteMode::Create)
        .await
        .unwrap();
    let file = dropped.local_file().unwrap();
    file.file().write_all(b"partial").unwrap();
    file.wrote(7);
    drop(dropped);
    assert_eq!(disk_names(dir.path()), ["d.bin"], "nothing of e.bin");

    let mut append = vfs
        .create(&path("/d.bin"), WriteMode::Append)
        .await
        .unwrap();
    assert!(
        append.local_file().is_none(),
        "APPE copies, then writes by chunks"
    );
    drop(append);
    let mut buffered = vfs
        .create(&path("/f.bin"), WriteMode::Create)
        .await
        .unwrap();
    buffered.write_all(b"first").await.unwrap();
    assert!(buffered.local_file().is_none(), "bytes wait in the buffer");
}
