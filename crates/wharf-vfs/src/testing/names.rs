//! Checks of names beyond plain ASCII.

use std::sync::Arc;

use super::helpers::{expect_kind, list_names, path, read_file, show, write_file};
use crate::error::VfsErrorKind;
use crate::metadata::FileKind;
use crate::upload::WriteMode;
use crate::vfs::Vfs;
use crate::vpath::VPath;

/// Names that are valid UTF-8 but unusual.
const UTF8_NAMES: &[&str] = &[
    "with space",
    " leading and trailing ",
    "ünïcødé 文件 ファイル",
    "emoji 🚀",
    "semi;colon,comma=equals",
    "quotes ' and \"",
    "back\\slash",
    "#hash %percent &amp",
    "-dash",
    ".hidden",
    "...",
    "tab\there",
    "brackets [1] {2} (3) *?",
];

/// Names that are not UTF-8 (Latin-1, stray bytes).
const RAW_NAMES: &[&[u8]] = &[b"latin1 caf\xe9", b"\xff\xfe raw \x80"];

/// Files and directories with spaces, unicode, punctuation and, where the
/// back-end claims [`non_utf8_names`](crate::Capabilities::non_utf8_names),
/// non-UTF-8 bytes are created, listed under their exact bytes, read back
/// and renamed.
pub async fn odd_names(vfs: Arc<dyn Vfs>) {
    let raw_ok = vfs.capabilities().non_utf8_names;
    let mut names: Vec<&[u8]> = UTF8_NAMES.iter().map(|name| name.as_bytes()).collect();
    if raw_ok {
        names.extend_from_slice(RAW_NAMES);
    } else {
        for raw in RAW_NAMES {
            let file = VPath::root().join(raw).expect("odd_names: join");
            expect_kind(
                vfs.create(&file, WriteMode::Create).await,
                VfsErrorKind::InvalidName,
                &format!(
                    "odd_names: non-UTF-8 name {} without the capability",
                    show(raw)
                ),
            );
        }
    }
    vfs.mkdir(&path("/files")).await.expect("odd_names: mkdir");
    let dir = path("/files");
    for name in &names {
        let file = dir.join(name).expect("odd_names: join");
        write_file(&*vfs, &file, name).await;
    }
    let mut expected: Vec<Vec<u8>> = names.iter().map(|name| name.to_vec()).collect();
    expected.sort();
    assert_eq!(
        list_names(&*vfs, &dir).await,
        expected,
        "odd_names: the listing must show every name byte for byte"
    );
    for name in &names {
        let file = dir.join(name).expect("odd_names: join");
        assert_eq!(
            read_file(&*vfs, &file, 0).await,
            *name,
            "odd_names: content of {}",
            show(name)
        );
        let mut renamed = name.to_vec();
        renamed.extend_from_slice(" (renamed) ✓".as_bytes());
        let target = dir.join(&renamed).expect("odd_names: join");
        vfs.rename(&file, &target)
            .await
            .unwrap_or_else(|err| panic!("odd_names: rename {}: {err}", show(name)));
        assert_eq!(
            read_file(&*vfs, &target, 0).await,
            *name,
            "odd_names: after rename"
        );

        let mut dir_name = name.to_vec();
        dir_name.extend_from_slice(b" dir");
        let sub = VPath::root().join(&dir_name).expect("odd_names: join");
        vfs.mkdir(&sub)
            .await
            .unwrap_or_else(|err| panic!("odd_names: mkdir {}: {err}", show(&dir_name)));
        let meta = vfs.metadata(&sub).await.expect("odd_names: metadata");
        assert_eq!(
            meta.kind,
            FileKind::Dir,
            "odd_names: {} is a directory",
            show(&dir_name)
        );
    }
}
