//! Checks of the in-place upload modes, `Append` and `Resume`.

use std::sync::Arc;

use tokio::io::AsyncWriteExt;

use super::helpers::{expect_kind, path, read_file, show, upload, write_file};
use crate::error::VfsErrorKind;
use crate::upload::WriteMode;
use crate::vfs::Vfs;
use crate::vpath::VPath;

/// Starts an upload in `mode`, writes `data`, then aborts (or drops) it and
/// checks that the file holds `before` followed by a prefix of `data`.
async fn abandon(vfs: &dyn Vfs, file: &VPath, mode: WriteMode, before: &[u8], data: &[u8]) {
    for abort in [true, false] {
        let check = format!("{mode:?} then {}", if abort { "abort" } else { "drop" });
        let mut handle = vfs
            .create(file, mode)
            .await
            .unwrap_or_else(|err| panic!("{check}: create: {err}"));
        handle
            .write_all(data)
            .await
            .unwrap_or_else(|err| panic!("{check}: write: {err}"));
        if abort {
            handle.abort().await;
        } else {
            drop(handle);
        }
        let now = read_file(vfs, file, 0).await;
        let kept = now.strip_prefix(before).map(|rest| data.starts_with(rest));
        assert_eq!(
            kept,
            Some(true),
            "{check}: file must hold {:?} and a prefix of {:?}, holds {:?}",
            show(before),
            show(data),
            show(&now)
        );
        // Put the file back for the next round.
        write_file(vfs, file, before).await;
    }
}

/// `Append` adds to the end (creating a missing file); an abandoned append
/// keeps the original bytes and at most a prefix of the new ones. Back-ends
/// without append must say `Unsupported`.
pub async fn append(vfs: Arc<dyn Vfs>) {
    let log = path("/log");
    if !vfs.capabilities().append {
        expect_kind(
            vfs.create(&log, WriteMode::Append).await,
            VfsErrorKind::Unsupported,
            "append: not in capabilities",
        );
        return;
    }
    write_file(&*vfs, &log, b"abc").await;
    upload(&*vfs, &log, WriteMode::Append, b"def").await;
    assert_eq!(
        read_file(&*vfs, &log, 0).await,
        b"abcdef",
        "append: content"
    );
    upload(&*vfs, &log, WriteMode::Append, b"").await;
    assert_eq!(
        read_file(&*vfs, &log, 0).await,
        b"abcdef",
        "append: empty append"
    );

    let fresh = path("/fresh");
    upload(&*vfs, &fresh, WriteMode::Append, b"xyz").await;
    assert_eq!(
        read_file(&*vfs, &fresh, 0).await,
        b"xyz",
        "append: to a missing file"
    );

    vfs.mkdir(&path("/dir")).await.expect("append: mkdir");
    expect_kind(
        vfs.create(&path("/dir"), WriteMode::Append).await,
        VfsErrorKind::IsADirectory,
        "append: to a directory",
    );
    abandon(&*vfs, &log, WriteMode::Append, b"abcdef", b"ghijkl").await;
}

/// `Resume(offset)` keeps the first `offset` bytes and writes after them;
/// offsets past the end fail with `InvalidOffset`, a missing file with
/// `NotFound` unless the offset is 0. Back-ends without resume must say
/// `Unsupported`.
pub async fn resume_at_offset(vfs: Arc<dyn Vfs>) {
    let file = path("/partial");
    if !vfs.capabilities().resume {
        expect_kind(
            vfs.create(&file, WriteMode::Resume(0)).await,
            VfsErrorKind::Unsupported,
            "resume_at_offset: not in capabilities",
        );
        return;
    }
    write_file(&*vfs, &file, b"hello world").await;
    upload(&*vfs, &file, WriteMode::Resume(6), b"there").await;
    assert_eq!(
        read_file(&*vfs, &file, 0).await,
        b"hello there",
        "resume_at_offset: middle"
    );
    upload(&*vfs, &file, WriteMode::Resume(11), b"!").await;
    assert_eq!(
        read_file(&*vfs, &file, 0).await,
        b"hello there!",
        "resume_at_offset: at end"
    );
    upload(&*vfs, &file, WriteMode::Resume(3), b"p!").await;
    assert_eq!(
        read_file(&*vfs, &file, 0).await,
        b"help!",
        "resume_at_offset: the old tail must be discarded"
    );
    expect_kind(
        vfs.create(&file, WriteMode::Resume(6)).await,
        VfsErrorKind::InvalidOffset,
        "resume_at_offset: offset past end of file",
    );
    assert_eq!(
        read_file(&*vfs, &file, 0).await,
        b"help!",
        "resume_at_offset: a refused resume must not change the file"
    );
    expect_kind(
        vfs.create(&path("/missing"), WriteMode::Resume(5)).await,
        VfsErrorKind::NotFound,
        "resume_at_offset: missing file with an offset",
    );
    let fresh = path("/fresh");
    upload(&*vfs, &fresh, WriteMode::Resume(0), b"new").await;
    assert_eq!(
        read_file(&*vfs, &fresh, 0).await,
        b"new",
        "resume_at_offset: offset 0 creates"
    );
    abandon(&*vfs, &file, WriteMode::Resume(5), b"help!", b"ing hands").await;
}
