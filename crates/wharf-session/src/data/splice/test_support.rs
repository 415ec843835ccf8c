//! The rig the splice tests share: an upload into a real file that counts
//! how its bytes arrived, a quota budget, and runners of the splice path
//! over a real loopback connection.

use std::fs::File;
use std::io::{self, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncWrite;
use tokio::net::{TcpListener, TcpStream};
use wharf_vfs::{LocalFile, Upload, VPath, VfsError};

use super::{splice_source, splice_upload};
use crate::data::meter::{Limits, Meter, RateLimits};
use crate::data::outcome::TransferError;
use crate::data::plan::DataIo;
use crate::data::pump::Stream;
use crate::data::watchdog::{RateFloor, Watched};
use crate::options::SpliceUploads;
use crate::quota::{Direction, QuotaHook};
use crate::testkit::ByteQuota;

pub(super) const LIMITS: Limits = Limits {
    buffer: 64 * 1024,
    stall: Duration::from_secs(10),
    floor: RateFloor {
        rate: 0,
        window: Duration::ZERO,
    },
};

/// The file side of [`FileUpload`].
pub(super) struct Target {
    pub(super) file: File,
    /// What the caller reported with [`LocalFile::wrote`].
    pub(super) wrote: Arc<AtomicU64>,
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
pub(super) struct FileUpload {
    pub(super) target: Target,
    pub(super) offer: bool,
    /// What [`Upload::bypasses_page_cache`] answers.
    pub(super) direct: bool,
    pub(super) finished: Arc<AtomicBool>,
    /// Bytes written through `AsyncWrite` (the small-upload path).
    pub(super) buffered: Arc<AtomicU64>,
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
    pub(super) stored: Vec<u8>,
    /// Bytes spliced into the file.
    pub(super) wrote: u64,
    /// Bytes written through the upload's buffer.
    pub(super) buffered: u64,
    pub(super) finished: bool,
    pub(super) progress: u64,
}

/// Runs the splice path against a client that `send`s over the other
/// end of a loopback connection.
pub(super) async fn splice_with<F>(
    budget: Option<u64>,
    send: impl FnOnce(TcpStream) -> F,
) -> Outcome
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
pub(super) async fn splice_into<F>(
    file: File,
    limits: Limits,
    budget: Option<u64>,
    send: impl FnOnce(TcpStream) -> F,
) -> Outcome
where
    F: Future<Output = ()> + Send + 'static,
{
    splice_with_quotas(file, limits, ByteQuota::hooks(budget), send).await
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
