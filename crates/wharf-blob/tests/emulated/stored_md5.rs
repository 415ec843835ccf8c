//! The MD5 a store keeps of an object (`Vfs::stored_md5`), which spares a
//! checksum command the read: it is the content's MD5 or nothing, never a
//! wrong one. Known answers: the MD5 of "abc" (RFC 1321).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{Emulator, path};
use wharf_vfs::Vfs;
use wharf_vfs::testing::{pattern, write_file};

const MD5_ABC: [u8; 16] = [
    0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0, 0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72,
];

/// A small file, written in one request, has its MD5 kept; a missing
/// file, a folder and the account's root have none.
async fn small_files_have_their_md5(fs: &dyn Vfs) {
    fs.mkdir(&path("/box")).await.unwrap();
    write_file(fs, &path("/box/abc"), b"abc").await;
    assert_eq!(
        fs.stored_md5(&path("/box/abc")).await.unwrap(),
        Some(MD5_ABC)
    );
    assert_eq!(fs.stored_md5(&path("/box/missing")).await.unwrap(), None);
    assert_eq!(fs.stored_md5(&path("/box")).await.unwrap(), None);
    assert_eq!(fs.stored_md5(&path("/")).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azurite_keeps_content_md5_of_small_blobs() {
    let azurite = Emulator::azurite();
    let fs = azurite.account();
    small_files_have_their_md5(&fs).await;
    // Committed from blocks: whatever Azurite keeps must be the content's.
    let big = pattern(12 * 1024 * 1024, 3);
    write_file(&fs, &path("/box/big"), &big).await;
    if let Some(kept) = fs.stored_md5(&path("/box/big")).await.unwrap() {
        use md5::Digest;
        assert_eq!(kept.as_slice(), md5::Md5::digest(&big).as_slice());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_etags_of_single_part_objects_are_md5s() {
    let moto = Emulator::moto();
    let fs = moto.account();
    small_files_have_their_md5(&fs).await;
    // Written in parts: the ETag is no MD5, so there is none to trust.
    let big = pattern(12 * 1024 * 1024, 3);
    write_file(&fs, &path("/box/big"), &big).await;
    assert_eq!(fs.stored_md5(&path("/box/big")).await.unwrap(), None);
}
