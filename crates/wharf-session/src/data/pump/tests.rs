//! The pumps over an in-memory connection: what reaches the wire or the
//! file, what the meter counts, and where a transfer stops.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use wharf_proto::block::{self, Descriptor};
use wharf_vfs::{FileReader, MemoryFs, VPath, Vfs, WriteMode};

use super::{Stages, Stream, download, upload};
use crate::data::meter::{Limits, Meter, RateLimits};
use crate::data::outcome::TransferError;
use crate::data::pipeline::{BlockDecode, BlockEncode, FromCrlf, ToCrlf};
use crate::data::plan::DataIo;
use crate::data::watchdog::{RateFloor, Watched};
use crate::quota::Direction;
use crate::testkit::ByteQuota;

impl DataIo for DuplexStream {}

/// Four bytes per step, so every test file takes several.
const LIMITS: Limits = Limits {
    buffer: 4,
    stall: Duration::from_secs(5),
    floor: RateFloor {
        rate: 0,
        window: Duration::ZERO,
    },
};

fn connection() -> (Stream, DuplexStream) {
    let (server, client) = tokio::io::duplex(1 << 16);
    let server: Box<dyn DataIo> = Box::new(server);
    (Watched::new(server, LIMITS.stall, LIMITS.floor), client)
}

fn path() -> VPath {
    VPath::parse("/f").unwrap()
}

/// What a download of `file` put on the wire, its result, and the STAT
/// progress.
async fn download_of(
    file: &[u8],
    stages: Stages,
    budget: Option<u64>,
) -> (Result<u64, TransferError>, Vec<u8>, u64) {
    let reader: FileReader = Box::new(io::Cursor::new(file.to_vec()));
    let (mut server, mut client) = connection();
    let progress = AtomicU64::new(0);
    let quotas = ByteQuota::hooks(budget);
    let rate_limits = RateLimits::default();
    let meter = Meter::new(&progress, &quotas, &rate_limits, Direction::Download);
    let result = download(reader, &mut server, stages, LIMITS, meter, &path()).await;
    drop(server);
    let mut wire = Vec::new();
    client.read_to_end(&mut wire).await.unwrap();
    (result, wire, progress.load(Ordering::Relaxed))
}

/// An upload of `wire` (then the client closes, if `close`): its result,
/// what was stored, and the connection (for what follows the file).
async fn upload_of(
    wire: &[u8],
    close: bool,
    stages: Stages,
    budget: Option<u64>,
) -> (
    Result<u64, TransferError>,
    Option<Vec<u8>>,
    Stream,
    DuplexStream,
) {
    let fs = MemoryFs::new();
    let file = fs.create(&path(), WriteMode::Create).await.unwrap();
    let (mut server, mut client) = connection();
    client.write_all(wire).await.unwrap();
    if close {
        client.shutdown().await.unwrap();
    }
    let progress = AtomicU64::new(0);
    let quotas = ByteQuota::hooks(budget);
    let rate_limits = RateLimits::default();
    let meter = Meter::new(&progress, &quotas, &rate_limits, Direction::Upload);
    let result = upload(&mut server, file, stages, LIMITS, meter, &path()).await;
    if let Ok(total) = result {
        assert_eq!(progress.load(Ordering::Relaxed), total);
    }
    let stored = match fs.open_read(&path(), 0).await {
        Ok(mut reader) => {
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes).await.unwrap();
            Some(bytes)
        }
        Err(_) => None,
    };
    (result, stored, server, client)
}

fn blocks(build: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
    let mut out = BytesMut::new();
    build(&mut out);
    out.to_vec()
}

#[tokio::test]
async fn a_binary_download_goes_unchanged_in_steps() {
    let file = b"0123456789";
    let (result, wire, progress) = download_of(file, Stages::default(), None).await;
    assert_eq!(result.unwrap(), 10);
    assert_eq!(wire, file);
    assert_eq!(progress, 10);
}

#[tokio::test]
async fn a_type_a_mode_b_download_counts_crlfs_but_not_headers() {
    let stages = Stages::default()
        .before_meter(ToCrlf::default())
        .after_meter(BlockEncode);
    let (result, wire, progress) = download_of(b"a\nb\nc", stages, None).await;
    // Steps of four file bytes, each converted, then framed.
    assert_eq!(wire, b"\0\0\x06a\r\nb\r\n\0\0\x01c\x40\0\0");
    assert_eq!(result.unwrap(), 7);
    assert_eq!(progress, 7);
}

#[tokio::test]
async fn a_download_stops_exactly_at_the_quota_without_an_eof_block() {
    let stages = Stages::default()
        .before_meter(ToCrlf::default())
        .after_meter(BlockEncode);
    let (result, wire, progress) = download_of(b"a\nb\nc\n", stages, Some(5)).await;
    assert!(
        matches!(result, Err(TransferError::Quota(_, Direction::Download))),
        "{result:?}"
    );
    assert_eq!(wire, b"\0\0\x05a\r\nb\r");
    assert_eq!(progress, 5);
}

#[tokio::test]
async fn a_binary_upload_is_stored_when_the_connection_closes() {
    let (result, stored, _, _) = upload_of(b"0123456789", true, Stages::default(), None).await;
    assert_eq!(result.unwrap(), 10);
    assert_eq!(stored.unwrap(), b"0123456789");
}

#[tokio::test(start_paused = true)]
async fn a_mode_b_upload_ends_at_its_eof_block_and_leaves_the_connection() {
    let wire = blocks(|w| {
        block::encode_data(b"a\r\nb\r", w);
        block::encode_block(Descriptor::RESTART_MARKER, b"5", w);
        block::encode_block(Descriptor::EOF, b"\nc\r", w);
    });
    let stages = Stages::default()
        .before_meter(BlockDecode::default())
        .after_meter(FromCrlf::default());
    // The client keeps the connection open: the EOF block alone ends it.
    let (result, stored, mut server, mut client) = upload_of(&wire, false, stages, None).await;
    // The meter counts the file as sent, CRLFs included, headers not.
    assert_eq!(result.unwrap(), 8);
    assert_eq!(stored.unwrap(), b"a\nb\nc\r");
    client.write_all(b"next").await.unwrap();
    let mut next = [0; 4];
    server.read_exact(&mut next).await.unwrap();
    assert_eq!(&next, b"next");
}

#[tokio::test]
async fn a_mode_b_upload_closed_before_its_eof_block_stores_nothing() {
    let wire = blocks(|w| block::encode_data(b"hello", w));
    let stages = Stages::default().before_meter(BlockDecode::default());
    let (result, stored, _, _) = upload_of(&wire, true, stages, None).await;
    match result {
        Err(TransferError::Broken(e)) => assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof),
        other => panic!("{other:?}"),
    }
    assert_eq!(stored, None);
}

#[tokio::test]
async fn a_malformed_block_stream_stores_nothing() {
    let stages = Stages::default().before_meter(BlockDecode::default());
    let (result, stored, _, _) = upload_of(b"\0\0\x02ab\x01\0\0", true, stages, None).await;
    match result {
        Err(TransferError::Broken(e)) => assert_eq!(e.kind(), io::ErrorKind::InvalidData),
        other => panic!("{other:?}"),
    }
    assert_eq!(stored, None);
}

#[tokio::test]
async fn an_upload_over_its_quota_stores_nothing() {
    let (result, stored, _, _) = upload_of(b"0123456789", true, Stages::default(), Some(6)).await;
    assert!(
        matches!(result, Err(TransferError::Quota(_, Direction::Upload))),
        "{result:?}"
    );
    assert_eq!(stored, None);
}
