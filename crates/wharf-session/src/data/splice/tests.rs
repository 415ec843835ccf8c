//! The splice path over real loopback sockets into a real file: when it
//! is taken, that every byte lands in order whatever the reads look like,
//! and that a broken or refused upload is never committed.

use std::fs::File;
use std::io::{self, Write};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wharf_vfs::{LocalFile, Upload, VPath, VfsError};

use super::{splice_source, splice_upload};
use crate::data::meter::{Limits, Meter, RateLimits};
use crate::data::outcome::TransferError;
use crate::data::plan::DataIo;
use crate::data::pump::Stream;
use crate::data::watchdog::{RateFloor, Watched};
use crate::options::SpliceUploads;
use crate::quota::{Direction, QuotaExceeded, QuotaHook};

pub(super) const LIMITS: Limits = Limits {
    buffer: 64 * 1024,
    stall: Duration::from_secs(10),
    floor: RateFloor {
        rate: 0,
        window: Duration::ZERO,
    },
};

/// The file side of [`FileUpload`].
struct Target {
    file: File,
    /// What the caller reported with [`LocalFile::wrote`].
    wrote: Arc<AtomicU64>,
}

impl LocalFile for Target {
    fn file(&self) -> &File {
        &self.file
    }

    fn wrote(&mut self, bytes: u64) {
        self.wrote.fetch_add(bytes, Ordering::SeqCst);
    }
}

/// An upload into a temporary file that offers it (or not) for splicing,
/// and records whether it was committed.
struct FileUpload {
    target: Target,
    offer: bool,
    /// What [`Upload::bypasses_page_cache`] answers.
    direct: bool,
    finished: Arc<AtomicBool>,
    /// Bytes written through `AsyncWrite` (the small-upload path).
    buffered: Arc<AtomicU64>,
}

impl AsyncWrite for FileUpload {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.buffered.fetch_add(data.len() as u64, Ordering::SeqCst);
        Poll::Ready((&self.target.file).write(data))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[async_trait]
impl Upload for FileUpload {
    async fn finish(self: Box<Self>) -> Result<u64, VfsError> {
        self.finished.store(true, Ordering::SeqCst);
        Ok(self.target.wrote.load(Ordering::SeqCst) + self.buffered.load(Ordering::SeqCst))
    }

    fn local_file(&mut self) -> Option<&mut dyn LocalFile> {
        self.offer.then_some(&mut self.target as &mut dyn LocalFile)
    }

    fn bypasses_page_cache(&self) -> bool {
        self.direct
    }
}

/// A quota of so many bytes in all.
struct Budget(Mutex<u64>);

impl QuotaHook for Budget {
    fn check(&self, _: Direction) -> Result<(), QuotaExceeded> {
        Ok(())
    }

    fn consume(&self, _: Direction, bytes: u64) -> Result<(), QuotaExceeded> {
        let mut left = self.0.lock().unwrap();
        if bytes <= *left {
            *left -= bytes;
            return Ok(());
        }
        Err(QuotaExceeded {
            message: "over quota".into(),
            allowed: std::mem::take(&mut *left),
        })
    }
}

pub(super) fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

pub(super) async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (server, client)
}

pub(super) struct Outcome {
    pub(super) result: Result<u64, TransferError>,
    stored: Vec<u8>,
    /// Bytes spliced into the file.
    wrote: u64,
    /// Bytes written through the upload's buffer.
    buffered: u64,
    finished: bool,
    progress: u64,
}

/// Runs the splice path against a client that `send`s over the other
/// end of a loopback connection.
async fn splice_with<F>(budget: Option<u64>, send: impl FnOnce(TcpStream) -> F) -> Outcome
where
    F: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let file = File::create(&path).unwrap();
    let mut out = splice_into(file, LIMITS, budget, send).await;
    out.stored = std::fs::read(&path).unwrap();
    out
}

/// Runs the splice path into `file` under `limits`.
async fn splice_into<F>(
    file: File,
    limits: Limits,
    budget: Option<u64>,
    send: impl FnOnce(TcpStream) -> F,
) -> Outcome
where
    F: Future<Output = ()> + Send + 'static,
{
    let quotas: Vec<Arc<dyn QuotaHook>> = budget
        .map(|b| Arc::new(Budget(Mutex::new(b))) as Arc<dyn QuotaHook>)
        .into_iter()
        .collect();
    splice_with_quotas(file, limits, quotas, send).await
}

/// Runs the splice path into `file` under `limits`, told to `quotas`.
pub(super) async fn splice_with_quotas<F>(
    file: File,
    limits: Limits,
    quotas: Vec<Arc<dyn QuotaHook>>,
    send: impl FnOnce(TcpStream) -> F,
) -> Outcome
where
    F: Future<Output = ()> + Send + 'static,
{
    let (server, client) = tcp_pair().await;
    let sender = tokio::spawn(send(client));
    let finished = Arc::new(AtomicBool::new(false));
    let wrote = Arc::new(AtomicU64::new(0));
    let buffered = Arc::new(AtomicU64::new(0));
    let mut upload = FileUpload {
        target: Target {
            file,
            wrote: wrote.clone(),
        },
        offer: true,
        direct: false,
        finished: finished.clone(),
        buffered: buffered.clone(),
    };
    let progress = AtomicU64::new(0);
    let rates = RateLimits::default();
    let meter = Meter::new(&progress, &quotas, &rates, Direction::Upload);
    let tcp: Box<dyn DataIo> = Box::new(crate::link::tcp(server));
    let mut stream: Stream = Watched::new(tcp, limits.stall, limits.floor);
    let source = splice_source(SpliceUploads::Auto, false, false, &mut upload, &mut stream)
        .expect("spliced");
    let vpath = VPath::parse("/f").unwrap();
    let result = splice_upload(source, Box::new(upload), limits, meter, &vpath).await;
    drop(stream);
    sender.await.unwrap();
    Outcome {
        result,
        stored: Vec::new(),
        wrote: wrote.load(Ordering::SeqCst),
        buffered: buffered.load(Ordering::SeqCst),
        finished: finished.load(Ordering::SeqCst),
        progress: progress.load(Ordering::Relaxed),
    }
}

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
