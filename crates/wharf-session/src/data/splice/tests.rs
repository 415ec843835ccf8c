//! The splice path over real loopback sockets into a real file: when it
//! is taken, that every byte lands in order whatever the reads look like,
//! and that a broken or refused upload is never committed.

use std::fs::File;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use super::splice_source;
use super::test_support::{
    FileUpload, LIMITS, Target, pattern, splice_into, splice_with, tcp_pair,
};
use crate::data::meter::Limits;
use crate::data::outcome::TransferError;
use crate::data::plan::DataIo;
use crate::data::pump::Stream;
use crate::data::watchdog::Watched;
use crate::options::SpliceUploads;

#[tokio::test]
async fn every_byte_lands_in_order_through_short_reads() {
    let data = pattern(3 * 1024 * 1024 + 4321);
    let sent = data.clone();
    let out = splice_with(None, move |mut client| async move {
        // Pieces from one byte to more than a pipeful, with pauses, so the
        // server's splices take whatever partial reads the socket gives.
        let sizes = [1, 7, 4096, 65_536 + 3, 100, 1024 * 1024 + 1, 13];
        let mut at = 0;
        let mut step = 0;
        while at < sent.len() {
            let n = sizes[step % sizes.len()].min(sent.len() - at);
            client.write_all(&sent[at..at + n]).await.unwrap();
            if step % 3 == 0 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            at += n;
            step += 1;
        }
        client.shutdown().await.unwrap();
    })
    .await;
    assert_eq!(out.result.unwrap(), data.len() as u64);
    assert_eq!(out.progress, data.len() as u64);
    assert!(out.finished, "committed at the end of the stream");
    assert_eq!(out.wrote, data.len() as u64);
    assert!(out.stored == data, "the file differs from what was sent");
}

#[tokio::test]
async fn an_empty_upload_is_committed_empty() {
    let out = splice_with(None, |mut client| async move {
        client.shutdown().await.unwrap();
    })
    .await;
    assert_eq!(out.result.unwrap(), 0);
    assert!(out.finished);
    assert!(out.stored.is_empty());
}

#[tokio::test]
async fn a_reset_connection_is_an_error_and_nothing_is_committed() {
    let out = splice_with(None, |client| async move {
        let mut client = client;
        client.write_all(&pattern(200 * 1024)).await.unwrap();
        // Linger zero: close sends RST, the way a client dies mid-upload.
        client.set_zero_linger().unwrap();
        drop(client);
    })
    .await;
    assert!(
        matches!(out.result, Err(TransferError::Broken(_))),
        "{:?}",
        out.result.map(|_| ())
    );
    assert!(!out.finished, "a broken upload must not be committed");
}

#[tokio::test]
async fn over_quota_stops_before_the_bytes_reach_the_file() {
    let budget = 10_000;
    let out = splice_with(Some(budget), |mut client| async move {
        // The server may stop reading before all of it is sent.
        let _ = client.write_all(&pattern(512 * 1024)).await;
        let _ = client.shutdown().await;
    })
    .await;
    assert!(
        matches!(out.result, Err(TransferError::Quota(..))),
        "{:?}",
        out.result.map(|_| ())
    );
    assert!(!out.finished);
    assert!(
        out.stored.len() as u64 <= budget,
        "{} bytes stored past a quota of {budget}",
        out.stored.len()
    );
}

/// The splice path is taken only for plain binary MODE S uploads whose
/// back-end offers a local file, with splicing on, or on `Auto` when the
/// back-end's own writes would not go around the page cache.
#[tokio::test]
async fn splice_is_chosen_only_for_plain_binary_stream_mode_into_a_file() {
    let (server, _client) = tcp_pair().await;
    let tcp: Box<dyn DataIo> = Box::new(crate::link::tcp(server));
    let mut plain: Stream = Watched::new(tcp, LIMITS.stall, LIMITS.floor);
    let (pipe, _other) = tokio::io::duplex(1024);
    let pipe: Box<dyn DataIo> = Box::new(crate::link::pipe(pipe));
    let mut not_tcp: Stream = Watched::new(pipe, LIMITS.stall, LIMITS.floor);
    let dir = tempfile::tempdir().unwrap();
    let upload = |offer, direct| FileUpload {
        target: Target {
            file: File::create(dir.path().join("f")).unwrap(),
            wrote: Arc::default(),
        },
        offer,
        direct,
        finished: Arc::new(AtomicBool::new(false)),
        buffered: Arc::default(),
    };
    let chosen = |splice, ascii, block, offer, stream: &mut Stream| {
        splice_source(splice, ascii, block, &mut upload(offer, false), stream).is_some()
    };
    let (on, off, auto) = (SpliceUploads::On, SpliceUploads::Off, SpliceUploads::Auto);
    assert!(chosen(on, false, false, true, &mut plain));
    assert!(chosen(auto, false, false, true, &mut plain), "auto, cached");
    assert!(!chosen(off, false, false, true, &mut plain), "turned off");
    assert!(!chosen(on, true, false, true, &mut plain), "TYPE A");
    assert!(!chosen(auto, false, true, true, &mut plain), "MODE B");
    assert!(!chosen(on, false, false, false, &mut plain), "no file");
    assert!(!chosen(on, false, false, true, &mut not_tcp), "not TCP");
    let direct = |splice, stream: &mut Stream| {
        splice_source(splice, false, false, &mut upload(true, true), stream).is_some()
    };
    assert!(
        !direct(auto, &mut plain),
        "auto: the back-end writes direct"
    );
    assert!(direct(on, &mut plain), "on: spliced all the same");
}

/// An upload that ends within its first 64 KiB goes through the upload's
/// own buffer (one pool hop, `finish`'s), byte for byte.
#[tokio::test]
async fn a_small_upload_goes_through_the_uploads_buffer() {
    let data = pattern(10_000);
    let sent = data.clone();
    let out = splice_with(None, move |mut client| async move {
        client.write_all(&sent).await.unwrap();
        client.shutdown().await.unwrap();
    })
    .await;
    assert_eq!(out.result.unwrap(), data.len() as u64);
    assert_eq!(out.buffered, data.len() as u64);
    assert_eq!(out.wrote, 0, "nothing spliced into the file");
    assert!(out.finished);
    assert!(out.stored == data, "the file differs from what was sent");
}

/// A client that sends part of the file and then nothing, with the
/// connection open, is given up after the stall limit (the copy loop's
/// `426`), and nothing is committed.
#[tokio::test]
async fn a_stalled_client_is_given_up_after_the_stall_limit() {
    let limits = Limits {
        stall: Duration::from_millis(300),
        ..LIMITS
    };
    let dir = tempfile::tempdir().unwrap();
    let file = File::create(dir.path().join("f")).unwrap();
    let started = tokio::time::Instant::now();
    let out = splice_into(file, limits, None, |mut client| async move {
        client.write_all(&pattern(200 * 1024)).await.unwrap();
        // Hold the connection open until the server closes it.
        let mut rest = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut client, &mut rest).await;
    })
    .await;
    assert!(
        matches!(out.result, Err(TransferError::Stalled)),
        "{:?}",
        out.result.map(|_| ())
    );
    assert!(started.elapsed() >= limits.stall);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(!out.finished);
}

/// Many tiny segments fill the pipe's slots long before its bytes: a full
/// pipe is drained, not taken for an idle socket (which would wait until
/// the stall limit at the end of the file).
#[tokio::test]
async fn a_pipe_full_of_tiny_segments_is_drained_not_waited_on() {
    let data = pattern(600 * 10);
    let sent = data.clone();
    let out = splice_with(None, move |mut client| async move {
        client.set_nodelay(true).unwrap();
        for piece in sent.chunks(10) {
            client.write_all(piece).await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        client.shutdown().await.unwrap();
    })
    .await;
    assert_eq!(out.result.unwrap(), data.len() as u64);
    assert!(out.stored == data, "the file differs from what was sent");
}

/// The pipe-to-file half never runs on the runtime's thread: with the
/// file a FIFO nobody reads (a write that blocks, as a stuck disk's
/// does), this single-threaded runtime keeps running other tasks, and the
/// upload ends at the storage bound (`451`) instead of hanging.
#[tokio::test]
async fn a_file_write_that_blocks_leaves_the_runtime_running() {
    let limits = Limits {
        stall: Duration::from_millis(500),
        ..LIMITS
    };
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        0,
    )
    .unwrap();
    // Read and write: opening does not wait for a reader.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = tokio::spawn({
        let ticks = ticks.clone();
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                ticks.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let out = splice_into(file, limits, None, |mut client| async move {
        let _ = client.write_all(&pattern(4 * 1024 * 1024)).await;
        let _ = client.shutdown().await;
    })
    .await;
    ticker.abort();
    assert!(
        matches!(out.result, Err(TransferError::StorageStalled(_))),
        "{:?}",
        out.result.map(|_| ())
    );
    assert!(
        ticks.load(Ordering::SeqCst) >= 10,
        "the runtime stood still: {} ticks",
        ticks.load(Ordering::SeqCst)
    );
    // Let the blocked hop finish (and the runtime shut down): read the
    // FIFO until its last writer is gone.
    let reader = std::thread::spawn(move || {
        let mut fifo = File::open(&fifo).unwrap();
        let _ = io::copy(&mut fifo, &mut io::sink());
    });
    reader.join().unwrap();
    assert!(!out.finished);
}
