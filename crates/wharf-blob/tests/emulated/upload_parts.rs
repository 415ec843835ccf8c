//! The shapes of an upload's parts, on each emulator (Azurite, moto,
//! fake-gcs-server), read back byte for byte: no bytes, one byte, one
//! byte short of a part, exactly one part (a multipart upload of one
//! part, not a single `PUT`), one byte past it, and two parts and a bit,
//! each written in slices that do not line up with the 256 KiB chunks the
//! parts are kept in, so part and chunk boundaries fall inside a write.
//! And an `APPE` to a small object, whose kept start puts every later
//! part boundary inside a chunk.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tokio::io::AsyncWriteExt;
use wharf_blob::upload::FIRST_PART;
use wharf_vfs::testing::{pattern, read_file, write_file};
use wharf_vfs::{Vfs, WriteMode};

use crate::support::{Emulator, Kind, path};

/// Sizes around the part size.
const SIZES: [usize; 6] = [
    0,
    1,
    FIRST_PART - 1,
    FIRST_PART,
    FIRST_PART + 1,
    2 * FIRST_PART + 123_457,
];

/// A write size that is no divisor of a chunk or a part.
const WRITE: usize = 100_003;

async fn shapes_read_back_exactly(kind: Kind, container: &str) {
    let fs = Emulator::shared(kind).container(container).await;
    for (i, size) in SIZES.into_iter().enumerate() {
        let name = path(&format!("/size-{size}"));
        let data = pattern(size, i as u64 + 1);
        let mut upload = fs.create(&name, WriteMode::Create).await.unwrap();
        for slice in data.chunks(WRITE) {
            upload.write_all(slice).await.unwrap();
        }
        assert_eq!(
            upload.finish().await.unwrap(),
            size as u64,
            "{kind:?} {size}"
        );
        assert_eq!(
            fs.metadata(&name).await.unwrap().size,
            size as u64,
            "{kind:?} {size}: size"
        );
        assert!(
            read_file(&fs, &name, 0).await == data,
            "{kind:?} {size}: content differs"
        );
    }
    // An append to a 1000-byte object: the first part starts with those
    // bytes, so it ends part-way into a chunk.
    let name = path("/appended");
    let start = pattern(1000, 77);
    write_file(&fs, &name, &start).await;
    let more = pattern(FIRST_PART + 5, 78);
    let mut upload = fs.create(&name, WriteMode::Append).await.unwrap();
    for slice in more.chunks(WRITE) {
        upload.write_all(slice).await.unwrap();
    }
    upload.finish().await.unwrap();
    let mut want = start;
    want.extend(&more);
    assert!(
        read_file(&fs, &name, 0).await == want,
        "{kind:?}: appended content differs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azurite_part_shapes_read_back_exactly() {
    shapes_read_back_exactly(Kind::Azurite, "shapes").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_part_shapes_read_back_exactly() {
    shapes_read_back_exactly(Kind::Moto, "shapes").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_gcs_part_shapes_read_back_exactly() {
    shapes_read_back_exactly(Kind::FakeGcs, "shapes").await;
}
