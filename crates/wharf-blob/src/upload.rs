//! Uploads: bytes stream into a block (Azure) or multipart (S3) upload that
//! is committed only by [`Upload::finish`].
//!
//! The writer fills one part at a time (in 256 KiB chunks,
//! `part_buffer.rs`) and hands full parts to a task through a channel of
//! one; the task keeps at most [`IN_FLIGHT`] part uploading. So an upload
//! holds at most 3 parts in memory (the one being filled, one queued, one
//! in flight): while one part travels, the next is ready behind it, so the
//! connection to the store is never idle waiting for the client, and a
//! second part in flight bought no throughput on the emulators but cost
//! a part of memory per upload (`docs/performance/blob-memory.md`). Parts start at [`FIRST_PART`] and
//! double every [`DOUBLE_EVERY`] parts, so an upload of unknown length can
//! reach the store's maximum object size (`parts.rs` holds the sizes and
//! the stores' limits; the crate docs give the figures). An upload that
//! ends before its first part is full is sent as one `PUT`. Dropping or aborting the handle aborts the multipart upload:
//! nothing becomes visible.
//!
//! Every buffered byte is also counted against the server's
//! [`UploadMemory`]: the writer takes room before it buffers (waiting, and
//! so not reading from its client, while there is none), a part carries its
//! room with it, and the room comes back once the store has the part.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};

use async_trait::async_trait;
use bytes::Bytes;
use object_store::path::Path;
use object_store::{MultipartUpload, PutMultipartOptions, PutOptions, PutPayload};
use tokio::io::AsyncWrite;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::PollSender;
use wharf_vfs::{Upload, VPath, VfsError, VfsErrorKind};

use crate::chunk_pool;
use crate::client::Client;
use crate::errors::store_err;
use crate::memory::{Grant, MemoryError, UploadMemory};
use crate::part_buffer::PartBuffer;
use crate::parts::{Limits, part_size};

pub use crate::parts::{DOUBLE_EVERY, FIRST_PART};
/// Parts uploading at once (see the module docs).
pub const IN_FLIGHT: usize = 1;

/// How an upload starts.
pub(crate) enum Start {
    /// With these bytes (empty for a plain upload), and the upload memory
    /// they hold.
    Bytes(Bytes, Grant),
    /// With a multipart upload that already holds the start (Azure blocks
    /// kept from the old blob, S3 parts copied from it), and how many of
    /// the store's parts or blocks that start takes.
    Multipart(Box<dyn MultipartUpload>, usize),
}

/// What the writer tells the upload task.
enum Msg {
    /// A full part and the upload memory it holds.
    Part(PutPayload, Grant),
    /// The last bytes, their memory, and where to answer.
    Finish(PutPayload, Grant, oneshot::Sender<Result<(), VfsError>>),
}

/// Room being waited for.
type Waiting = Pin<Box<dyn Future<Output = Result<Grant, MemoryError>> + Send>>;

/// A failure the task saw, for the writer to report: its kind and
/// reason, so the client hears why (the store refused, stalled, ...).
type Failure = Arc<Mutex<Option<(VfsErrorKind, Option<String>)>>>;

/// An upload in progress (see the module docs).
pub(crate) struct BlobUpload {
    buffer: PartBuffer,
    part_size: usize,
    parts: usize,
    written: u64,
    limits: Limits,
    sender: PollSender<Msg>,
    failure: Failure,
    path: VPath,
    memory: UploadMemory,
    /// The room `buffer` may fill (at least its length).
    held: Grant,
    waiting: Option<Waiting>,
}

impl BlobUpload {
    /// Starts the task that will upload to `object`. The object will begin
    /// with what `start` holds (what `Append` and `Resume` keep of the old
    /// object), which does not count as written through the handle.
    pub(crate) fn start(
        client: Client,
        object: Path,
        path: VPath,
        mut limits: Limits,
        start: Start,
        memory: UploadMemory,
    ) -> Self {
        let (tx, rx) = mpsc::channel(1);
        let failure = Failure::default();
        let (kept, held, multipart) = match start {
            Start::Bytes(bytes, held) => (bytes, held, None),
            Start::Multipart(upload, used) => {
                limits.max_parts = limits.max_parts.saturating_sub(used);
                (Bytes::new(), Grant::default(), Some(upload))
            }
        };
        let task = run(client, object, path.clone(), rx, failure.clone(), multipart);
        tokio::spawn(task);
        Self {
            buffer: PartBuffer::starting_with(kept),
            part_size: part_size(0, limits),
            parts: 0,
            written: 0,
            limits,
            sender: PollSender::new(tx),
            failure,
            path,
            memory,
            held,
            waiting: None,
        }
    }

    /// Waits for room to buffer more of the current part.
    fn poll_room(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let waiting = self.waiting.get_or_insert_with(|| {
            let (memory, held, part) = (self.memory.clone(), self.held.chunks(), self.part_size);
            Box::pin(async move { memory.more(held, part).await })
        });
        let grant = ready!(waiting.as_mut().poll(cx));
        self.waiting = None;
        let grant = grant.map_err(|err| io::Error::new(io::ErrorKind::FileTooLarge, err))?;
        self.held.absorb(grant);
        Poll::Ready(Ok(()))
    }

    fn broken(&self) -> io::Error {
        let why = self
            .failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        match why {
            Some((kind, reason)) => {
                let err = VfsError::new(kind).with_path(&self.path);
                io::Error::other(match reason {
                    Some(reason) => err.with_reason(reason),
                    None => err,
                })
            }
            None => io::Error::other("the upload task stopped"),
        }
    }

    /// Hands the full buffer to the task.
    fn poll_send_part(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.parts + 1 >= self.limits.max_parts {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                "the upload exceeds the store's maximum object size",
            )));
        }
        if ready!(self.sender.poll_reserve(cx)).is_err() {
            return Poll::Ready(Err(self.broken()));
        }
        let part = self.buffer.take();
        let held = std::mem::take(&mut self.held);
        if self.sender.send_item(Msg::Part(part, held)).is_err() {
            return Poll::Ready(Err(self.broken()));
        }
        self.parts += 1;
        self.part_size = part_size(self.parts, self.limits);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for BlobUpload {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if this.buffer.len() >= this.part_size {
            ready!(this.poll_send_part(cx))?;
        }
        while this.buffer.len() >= this.held.bytes() {
            ready!(this.poll_room(cx))?;
        }
        let room = this.part_size.min(this.held.bytes()) - this.buffer.len();
        let n = room.min(buf.len());
        this.buffer.extend_from_slice(&buf[..n]);
        this.written += n as u64;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Nothing becomes visible before `finish`; buffered bytes wait.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[async_trait]
impl Upload for BlobUpload {
    async fn finish(mut self: Box<Self>) -> Result<u64, VfsError> {
        // A wait for room that a cancelled write left behind.
        self.waiting = None;
        let tail = self.buffer.take();
        let held = std::mem::take(&mut self.held);
        let (reply, done) = oneshot::channel();
        let reserved = std::future::poll_fn(|cx| self.sender.poll_reserve(cx)).await;
        if reserved.is_err()
            || self
                .sender
                .send_item(Msg::Finish(tail, held, reply))
                .is_err()
        {
            return Err(VfsError::from_io(self.broken(), &self.path));
        }
        match done.await {
            Ok(Ok(())) => Ok(self.written),
            Ok(Err(err)) => Err(err),
            Err(_) => Err(VfsError::from_io(self.broken(), &self.path)),
        }
    }
}

/// The upload task: starts the multipart upload with the first full part,
/// keeps [`IN_FLIGHT`] part going, commits on `Finish`, aborts when the
/// writer goes away.
async fn run(
    client: Client,
    object: Path,
    path: VPath,
    mut rx: mpsc::Receiver<Msg>,
    failure: Failure,
    mut multipart: Option<Box<dyn MultipartUpload>>,
) {
    let store = client.store();
    let mut in_flight: JoinSet<object_store::Result<()>> = JoinSet::new();
    let fail = |err: &VfsError| {
        *failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((err.kind(), err.reason().map(str::to_owned)));
    };
    loop {
        // Make room before taking the next part, so at most IN_FLIGHT run.
        while in_flight.len() >= IN_FLIGHT {
            if let Err(err) = joined(in_flight.join_next().await, &path) {
                fail(&err);
                abort(multipart, in_flight, &path).await;
                return;
            }
        }
        match rx.recv().await {
            Some(Msg::Part(bytes, held)) => {
                if multipart.is_none() {
                    match store
                        .put_multipart_opts(&object, PutMultipartOptions::default())
                        .await
                    {
                        Ok(upload) => multipart = Some(upload),
                        Err(err) => {
                            fail(&store_err(err, &path));
                            return;
                        }
                    }
                }
                if let Some(upload) = multipart.as_mut() {
                    let chunks: Vec<Bytes> = bytes.iter().cloned().collect();
                    in_flight.spawn(holding(upload.put_part(bytes), held, chunks));
                }
            }
            Some(Msg::Finish(tail, held, reply)) => {
                let result = commit(&client, &object, &path, multipart, in_flight, tail).await;
                drop(held);
                if let Err(err) = &result {
                    fail(err);
                }
                let _ = reply.send(result);
                return;
            }
            None => {
                abort(multipart, in_flight, &path).await;
                return;
            }
        }
    }
}

/// `part`, giving its upload memory back once the store has it (or the
/// upload is aborted), and its chunks to the pool once it is stored.
async fn holding(
    part: object_store::UploadPart,
    held: Grant,
    chunks: Vec<Bytes>,
) -> object_store::Result<()> {
    let result = part.await;
    drop(held);
    chunk_pool::give_back(chunks);
    result
}

/// The result of one finished part.
fn joined(
    result: Option<Result<object_store::Result<()>, tokio::task::JoinError>>,
    path: &VPath,
) -> Result<(), VfsError> {
    match result {
        None | Some(Ok(Ok(()))) => Ok(()),
        Some(Ok(Err(err))) => Err(store_err(err, path)),
        Some(Err(err)) => Err(VfsError::other(err).with_path(path)),
    }
}

/// Uploads the tail and commits, or aborts on failure.
async fn commit(
    client: &Client,
    object: &Path,
    path: &VPath,
    multipart: Option<Box<dyn MultipartUpload>>,
    mut in_flight: JoinSet<object_store::Result<()>>,
    tail: PutPayload,
) -> Result<(), VfsError> {
    let Some(mut upload) = multipart else {
        // Small: one PUT.
        return client
            .store()
            .put_opts(object, tail, PutOptions::default())
            .await
            .map(drop)
            .map_err(|err| store_err(err, path));
    };
    if tail.content_length() > 0 {
        in_flight.spawn(upload.put_part(tail));
    }
    while !in_flight.is_empty() {
        if let Err(err) = joined(in_flight.join_next().await, path) {
            abort(Some(upload), in_flight, path).await;
            return Err(err);
        }
    }
    match upload.complete().await {
        Ok(_) => Ok(()),
        Err(err) => {
            let err = store_err(err, path);
            abort(Some(upload), in_flight, path).await;
            Err(err)
        }
    }
}

/// Stops the parts in flight and aborts the multipart upload, so that no
/// orphaned parts stay behind (Azure discards uncommitted blocks itself).
async fn abort(
    multipart: Option<Box<dyn MultipartUpload>>,
    mut in_flight: JoinSet<object_store::Result<()>>,
    path: &VPath,
) {
    in_flight.abort_all();
    while in_flight.join_next().await.is_some() {}
    if let Some(mut upload) = multipart
        && let Err(err) = upload.abort().await
    {
        tracing::warn!(%path, %err, "could not abort a multipart upload");
    }
}
