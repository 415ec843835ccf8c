//! The splice path over real loopback sockets into a real file: when it
//! is taken, that every byte lands in order whatever the reads look like,
//! and that a broken or refused upload is never committed.

use std::fs::File;
use std::io;
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
use crate::data::watchdog::{FloorCheck, RateFloor, Watched};
use crate::quota::{Direction, QuotaExceeded, QuotaHook};

const LIMITS: Limits = Limits {
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
    finished: Arc<AtomicBool>,
}

impl AsyncWrite for FileUpload {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Err(io::Error::other("this upload takes only splices")))
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
        Ok(self.target.wrote.load(Ordering::SeqCst))
    }

    fn local_file(&mut self) -> Option<&mut dyn LocalFile> {
        self.offer.then_some(&mut self.target as &mut dyn LocalFile)
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

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (server, client)
}

struct Outcome {
    result: Result<u64, TransferError>,
    stored: Vec<u8>,
    wrote: u64,
    finished: bool,
    progress: u64,
}

/// Runs the splice path against a client that `send`s over the other
/// end of a loopback connection.
async fn splice_with<F>(budget: Option<u64>, send: impl FnOnce(TcpStream) -> F) -> Outcome
where
    F: Future<Output = ()> + Send + 'static,
{
    let (server, client) = tcp_pair().await;
    let sender = tokio::spawn(send(client));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let finished = Arc::new(AtomicBool::new(false));
    let wrote = Arc::new(AtomicU64::new(0));
    let upload = FileUpload {
        target: Target {
            file: File::create(&path).unwrap(),
            wrote: wrote.clone(),
        },
        offer: true,
        finished: finished.clone(),
    };
    let progress = AtomicU64::new(0);
    let quotas: Vec<Arc<dyn QuotaHook>> = budget
        .map(|b| Arc::new(Budget(Mutex::new(b))) as Arc<dyn QuotaHook>)
        .into_iter()
        .collect();
    let rates = RateLimits::default();
    let meter = Meter::new(&progress, &quotas, &rates, Direction::Upload);
    let mut floor = FloorCheck::new(LIMITS.floor);
    let vpath = VPath::parse("/f").unwrap();
    let result = splice_upload(&server, &mut floor, Box::new(upload), LIMITS, meter, &vpath).await;
    drop(server);
    sender.await.unwrap();
    Outcome {
        result,
        stored: std::fs::read(&path).unwrap(),
        wrote: wrote.load(Ordering::SeqCst),
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
/// back-end offers a local file, with splicing on.
#[tokio::test]
async fn splice_is_chosen_only_for_plain_binary_stream_mode_into_a_file() {
    let (server, _client) = tcp_pair().await;
    let tcp: Box<dyn DataIo> = Box::new(crate::link::tcp(server));
    let mut plain: Stream = Watched::new(tcp, LIMITS.stall, LIMITS.floor);
    let (pipe, _other) = tokio::io::duplex(1024);
    let pipe: Box<dyn DataIo> = Box::new(crate::link::pipe(pipe));
    let mut not_tcp: Stream = Watched::new(pipe, LIMITS.stall, LIMITS.floor);
    let dir = tempfile::tempdir().unwrap();
    let upload = |offer| FileUpload {
        target: Target {
            file: File::create(dir.path().join("f")).unwrap(),
            wrote: Arc::default(),
        },
        offer,
        finished: Arc::new(AtomicBool::new(false)),
    };
    let chosen = |splice, ascii, block, offer, stream: &mut Stream| {
        splice_source(splice, ascii, block, &mut upload(offer), stream).is_some()
    };
    assert!(chosen(true, false, false, true, &mut plain));
    assert!(!chosen(false, false, false, true, &mut plain), "turned off");
    assert!(!chosen(true, true, false, true, &mut plain), "TYPE A");
    assert!(!chosen(true, false, true, true, &mut plain), "MODE B");
    assert!(!chosen(true, false, false, false, &mut plain), "no file");
    assert!(!chosen(true, false, false, true, &mut not_tcp), "not TCP");
}
