//! Checks of plain uploads and downloads (`WriteMode::Create`).

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::helpers::{expect_kind, list_names, path, pattern, read_file, write_file};
use crate::error::VfsErrorKind;
use crate::metadata::FileKind;
use crate::upload::WriteMode;
use crate::vfs::Vfs;

/// A small file reads back byte for byte, and its metadata says so.
pub async fn create_and_read_back(vfs: Arc<dyn Vfs>) {
    let file = path("/hello.txt");
    write_file(&*vfs, &file, b"hello, world\r\n\0\xff").await;
    assert_eq!(
        read_file(&*vfs, &file, 0).await,
        b"hello, world\r\n\0\xff",
        "create_and_read_back: content"
    );
    let meta = vfs
        .metadata(&file)
        .await
        .expect("create_and_read_back: metadata");
    assert_eq!(meta.kind, FileKind::File, "create_and_read_back: kind");
    assert_eq!(meta.size, 16, "create_and_read_back: size");
    let empty = path("/empty");
    write_file(&*vfs, &empty, b"").await;
    assert_eq!(
        read_file(&*vfs, &empty, 0).await,
        b"",
        "create_and_read_back: empty file"
    );
    // Create replaces an existing file entirely.
    write_file(&*vfs, &file, b"short").await;
    assert_eq!(
        read_file(&*vfs, &file, 0).await,
        b"short",
        "create_and_read_back: replaced"
    );
}

/// A multi-MiB file written in odd-sized chunks reads back exactly, also
/// from an offset; reading at the end gives nothing, past it fails.
pub async fn large_file_and_offsets(vfs: Arc<dyn Vfs>) {
    let file = path("/big.bin");
    let data = pattern(3 * 1024 * 1024 + 12_345, 7);
    let mut upload = vfs
        .create(&file, WriteMode::Create)
        .await
        .expect("large_file_and_offsets: create");
    for chunk in data.chunks(65_537) {
        upload
            .write_all(chunk)
            .await
            .expect("large_file_and_offsets: write");
    }
    let written = upload
        .finish()
        .await
        .expect("large_file_and_offsets: finish");
    assert_eq!(
        written,
        data.len() as u64,
        "large_file_and_offsets: finish count"
    );
    let meta = vfs
        .metadata(&file)
        .await
        .expect("large_file_and_offsets: metadata");
    assert_eq!(meta.size, data.len() as u64, "large_file_and_offsets: size");
    assert!(
        read_file(&*vfs, &file, 0).await == data,
        "large_file_and_offsets: content differs"
    );
    let offset = 1_048_579;
    assert!(
        read_file(&*vfs, &file, offset).await == data[offset as usize..],
        "large_file_and_offsets: content from offset {offset} differs"
    );
    let end = data.len() as u64;
    assert!(
        read_file(&*vfs, &file, end).await.is_empty(),
        "large_file_and_offsets: read at end of file must be empty"
    );
    expect_kind(
        vfs.open_read(&file, end + 1).await,
        VfsErrorKind::InvalidOffset,
        "large_file_and_offsets: open_read past end of file",
    );
    // open_read_sized reads the same bytes, and a size it gives is the
    // whole file's, whatever the offset.
    for at in [0, offset, end] {
        let mut opened = vfs
            .open_read_sized(&file, at)
            .await
            .unwrap_or_else(|err| panic!("large_file_and_offsets: open_read_sized at {at}: {err}"));
        let mut read = Vec::new();
        opened
            .reader
            .read_to_end(&mut read)
            .await
            .expect("large_file_and_offsets: read the sized reader");
        assert!(
            read == data[at as usize..],
            "large_file_and_offsets: open_read_sized from {at} differs"
        );
        assert!(
            opened.size.is_none_or(|size| size == end),
            "large_file_and_offsets: open_read_sized at {at} said {:?}, the file has {end}",
            opened.size
        );
    }
    expect_kind(
        vfs.open_read_sized(&file, end + 1).await.map(|o| o.reader),
        VfsErrorKind::InvalidOffset,
        "large_file_and_offsets: open_read_sized past end of file",
    );
}

/// An upload is invisible until `finish`: no new name appears, and the file
/// it replaces keeps its old content meanwhile.
pub async fn upload_invisible_until_finish(vfs: Arc<dyn Vfs>) {
    let fresh = path("/fresh");
    let mut upload = vfs
        .create(&fresh, WriteMode::Create)
        .await
        .expect("upload_invisible_until_finish: create");
    upload
        .write_all(&pattern(300_000, 1))
        .await
        .expect("upload_invisible_until_finish: write");
    upload
        .flush()
        .await
        .expect("upload_invisible_until_finish: flush");
    expect_kind(
        vfs.metadata(&fresh).await,
        VfsErrorKind::NotFound,
        "upload_invisible_until_finish: metadata before finish",
    );
    assert!(
        list_names(&*vfs, &path("/")).await.is_empty(),
        "upload_invisible_until_finish: listing before finish must be empty"
    );
    upload
        .finish()
        .await
        .expect("upload_invisible_until_finish: finish");
    assert_eq!(
        list_names(&*vfs, &path("/")).await,
        [b"fresh".to_vec()],
        "upload_invisible_until_finish: listing after finish"
    );

    let old = path("/old");
    write_file(&*vfs, &old, b"old content").await;
    let mut upload = vfs
        .create(&old, WriteMode::Create)
        .await
        .expect("upload_invisible_until_finish: create over existing");
    upload
        .write_all(b"new content, longer")
        .await
        .expect("upload_invisible_until_finish: write");
    upload
        .flush()
        .await
        .expect("upload_invisible_until_finish: flush");
    assert_eq!(
        read_file(&*vfs, &old, 0).await,
        b"old content",
        "upload_invisible_until_finish: old content while replacing"
    );
    upload
        .finish()
        .await
        .expect("upload_invisible_until_finish: finish");
    assert_eq!(
        read_file(&*vfs, &old, 0).await,
        b"new content, longer",
        "upload_invisible_until_finish: content after finish"
    );
}

/// An aborted or dropped upload leaves nothing: no new file, no listing
/// entry, an existing file untouched.
pub async fn abort_and_drop_leave_nothing(vfs: Arc<dyn Vfs>) {
    let root = path("/");
    let aborted = path("/aborted");
    let mut upload = vfs
        .create(&aborted, WriteMode::Create)
        .await
        .expect("abort_and_drop_leave_nothing: create");
    upload
        .write_all(&pattern(100_000, 2))
        .await
        .expect("abort_and_drop_leave_nothing: write");
    upload.abort().await;
    expect_kind(
        vfs.metadata(&aborted).await,
        VfsErrorKind::NotFound,
        "abort_and_drop_leave_nothing: metadata after abort",
    );

    let dropped = path("/dropped");
    let mut upload = vfs
        .create(&dropped, WriteMode::Create)
        .await
        .expect("abort_and_drop_leave_nothing: create");
    upload
        .write_all(&pattern(100_000, 3))
        .await
        .expect("abort_and_drop_leave_nothing: write");
    drop(upload);
    expect_kind(
        vfs.metadata(&dropped).await,
        VfsErrorKind::NotFound,
        "abort_and_drop_leave_nothing: metadata after drop",
    );
    assert!(
        list_names(&*vfs, &root).await.is_empty(),
        "abort_and_drop_leave_nothing: listing must be empty"
    );

    let kept = path("/kept");
    write_file(&*vfs, &kept, b"precious").await;
    for abort in [true, false] {
        let mut upload = vfs
            .create(&kept, WriteMode::Create)
            .await
            .expect("abort_and_drop_leave_nothing: create over existing");
        upload
            .write_all(b"garbage")
            .await
            .expect("abort_and_drop_leave_nothing: write");
        if abort {
            upload.abort().await;
        } else {
            drop(upload);
        }
        assert_eq!(
            read_file(&*vfs, &kept, 0).await,
            b"precious",
            "abort_and_drop_leave_nothing: existing file after {}",
            if abort { "abort" } else { "drop" }
        );
    }
    assert_eq!(
        list_names(&*vfs, &root).await,
        [b"kept".to_vec()],
        "abort_and_drop_leave_nothing: listing"
    );
}
