//! One data transfer: open the connection, move the bytes, report.

use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use wharf_vfs::{FileReader, Upload, VPath, VfsError};

use bytes::BytesMut;
use wharf_proto::block::{self, BlockDecoder, BlockEvent};
use wharf_proto::error::BlockError;

use super::ascii::{FromCrlf, ToCrlf};
use super::downloads::Running;
use super::listing::{ListError, Listing};
use super::meter::{Limits, Meter, Pacing, storage_wait};
use super::outcome::{Finished, TransferError};
use super::plan::{DataIo, DataPlan, OpenContext};
#[cfg(target_os = "linux")]
use super::sendfile::send_file;
use super::watchdog::Watched;
use crate::quota::{Direction, QuotaHook};

/// What a transfer does once its data connection is open.
pub(crate) enum Work {
    /// RETR: file to client.
    Send { reader: FileReader, ascii: bool },
    /// RETR of a local file, binary, MODE S, plain: `sendfile`.
    #[cfg(target_os = "linux")]
    SendFile { file: std::fs::File, offset: u64 },
    /// STOR, APPE, STOU: client to file; committed at end of data.
    Receive {
        upload: Box<dyn Upload>,
        ascii: bool,
    },
    /// LIST, NLST, MLSD.
    List(Listing),
}

/// A transfer ready to run.
pub(crate) struct TransferJob {
    pub(crate) plan: DataPlan,
    pub(crate) work: Work,
    /// MODE B: blocks on the wire, EOF by block, connection kept open.
    pub(crate) block: bool,
    /// The file or directory, for replies and logs.
    pub(crate) path: VPath,
    /// The login's quotas, told of every chunk of file data (and of the
    /// size of listings).
    pub(crate) quotas: Vec<Arc<dyn QuotaHook>>,
    /// Bandwidth limits of the session and of the account.
    pub(crate) pacing: Pacing,
    /// A download, counted among the server's downloads in flight until
    /// the job ends.
    pub(crate) running: Option<Running>,
}

/// Runs `job`; `progress` counts file bytes moved so far (for STAT).
pub(crate) async fn run(
    job: TransferJob,
    cx: OpenContext,
    limits: Limits,
    progress: Arc<AtomicU64>,
) -> Finished {
    match move_data(job, cx, limits, progress).await {
        Ok((bytes, keep)) => Finished {
            result: Ok(bytes),
            keep,
        },
        Err(error) => Finished {
            result: Err(error),
            keep: None,
        },
    }
}

async fn move_data(
    job: TransferJob,
    cx: OpenContext,
    limits: Limits,
    progress: Arc<AtomicU64>,
) -> Result<(u64, Option<Box<dyn DataIo>>), TransferError> {
    let block = job.block;
    // Counted until the bytes are moved, whichever way this returns.
    let _running = job.running;
    let opened = job.plan.open(&cx).await.map_err(TransferError::Connect)?;
    let mut stream = Watched::new(opened, limits.stall, limits.floor);
    let moved = match job.work {
        Work::Send { reader, ascii } => {
            let meter = Meter::new(&progress, &job.quotas, &job.pacing, Direction::Download);
            send(reader, &mut stream, ascii, block, limits, meter, &job.path).await?
        }
        #[cfg(target_os = "linux")]
        Work::SendFile { file, offset } => {
            let meter = Meter::new(&progress, &job.quotas, &job.pacing, Direction::Download);
            match stream.plain_tcp() {
                Some((tcp, floor)) => {
                    send_file(file, offset, tcp, floor, limits, meter, &job.path).await?
                }
                // Only plain connections get SendFile work, but a copy is
                // always correct (the file is positioned at `offset`).
                None => {
                    let file = tokio::fs::File::from_std(file);
                    let reader: FileReader =
                        Box::new(tokio::io::BufReader::with_capacity(limits.buffer, file));
                    send(reader, &mut stream, false, block, limits, meter, &job.path).await?
                }
            }
        }
        Work::Receive { upload, ascii } => {
            let meter = Meter::new(&progress, &job.quotas, &job.pacing, Direction::Upload);
            if block {
                receive_blocks(&mut stream, upload, ascii, limits, meter, &job.path).await?
            } else {
                receive(&mut stream, upload, ascii, limits, meter, &job.path).await?
            }
        }
        Work::List(listing) => match listing.write_to(&mut stream, block).await {
            Ok(n) => {
                for quota in &job.quotas {
                    quota.record(n);
                }
                n
            }
            Err(ListError::Storage(e)) => return Err(TransferError::Storage(e)),
            Err(ListError::Data(e)) => return Err(TransferError::data(e)),
        },
    };
    if block {
        // MODE B: the EOF block ended the file; the connection stays.
        stream.flush().await.map_err(TransferError::data)?;
        return Ok((moved, Some(stream.into_inner())));
    }
    // MODE S: closing the connection (with close_notify under TLS) is the
    // end of file.
    stream.shutdown().await.map_err(TransferError::data)?;
    Ok((moved, None))
}

/// The data connection of a transfer.
type Stream = Watched<Box<dyn DataIo>>;

/// Awaits a wait on the server's side (storage, upload memory, a
/// bandwidth limit), which the rate floor does not hold against the client.
async fn excused<T>(stream: &mut Stream, wait: impl Future<Output = T>) -> T {
    let started = tokio::time::Instant::now();
    let out = wait.await;
    stream.excuse(started.elapsed());
    out
}

async fn send(
    mut reader: FileReader,
    dst: &mut Stream,
    ascii: bool,
    block: bool,
    limits: Limits,
    mut meter: Meter<'_>,
    path: &VPath,
) -> Result<u64, TransferError> {
    let mut converted = Vec::new();
    let mut crlf = ToCrlf::default();
    let mut framed = BytesMut::new();
    loop {
        // Straight from the reader's buffer; at most `limits.buffer` per
        // step, so quotas, throttles and STAT see the bytes in pieces.
        let ready = excused(dst, storage_wait(limits, reader.fill_buf()))
            .await?
            .map_err(|e| TransferError::Storage(VfsError::from_io(e, path)))?;
        if ready.is_empty() {
            if block {
                framed.clear();
                block::encode_eof(&mut framed);
                dst.write_all(&framed).await.map_err(TransferError::data)?;
            }
            return Ok(meter.total());
        }
        let take = ready.len().min(limits.buffer);
        let wire = if ascii {
            converted.clear();
            crlf.convert(&ready[..take], &mut converted);
            &converted[..]
        } else {
            &ready[..take]
        };
        // The quota decides before the bytes leave, and counts them as they
        // go on the wire (TYPE A's CRLFs included): a download stops
        // exactly at the limit.
        let (n, stop) = excused(dst, meter.admit(wire.len())).await;
        if n == 0
            && let Some(stop) = stop
        {
            return Err(stop);
        }
        let out = if block {
            framed.clear();
            block::encode_data(&wire[..n], &mut framed);
            &framed[..]
        } else {
            &wire[..n]
        };
        dst.write_all(out).await.map_err(TransferError::data)?;
        reader.consume(take);
        if let Some(stop) = stop {
            return Err(stop);
        }
    }
}

async fn receive(
    src: &mut Stream,
    mut upload: Box<dyn Upload>,
    ascii: bool,
    limits: Limits,
    mut meter: Meter<'_>,
    path: &VPath,
) -> Result<u64, TransferError> {
    // Read into spare capacity: no zeroing of a buffer a small upload
    // mostly leaves unused.
    let mut buf = BytesMut::with_capacity(limits.buffer);
    let mut converted = Vec::new();
    let mut crlf = FromCrlf::default();
    let storage = |e: io::Error| TransferError::Storage(VfsError::from_io(e, path));
    loop {
        // An error here drops `upload`, which discards it: a broken
        // connection never commits a partial file under its final name. A
        // TLS peer that closes TCP without close_notify ends the file as
        // plain FTP's close does.
        buf.clear();
        let n = match src.read_buf(&mut buf).await {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(TransferError::data(e)),
        };
        converted.clear();
        if n == 0 {
            let tail = ascii.then_some(&mut crlf);
            commit(src, upload, tail, limits, path).await?;
            return Ok(meter.total());
        }
        // Over quota: return before writing, which drops (discards) the upload.
        excused(src, meter.admit_all(n)).await?;
        let data = if ascii {
            crlf.convert(&buf[..n], &mut converted);
            &converted[..]
        } else {
            &buf[..n]
        };
        excused(src, storage_wait(limits, upload.write_all(data)))
            .await?
            .map_err(storage)?;
    }
}

/// The end of an upload's data: TYPE A's held-back CR (if any) written,
/// the upload flushed and committed under its final name.
async fn commit(
    src: &mut Stream,
    mut upload: Box<dyn Upload>,
    crlf: Option<&mut FromCrlf>,
    limits: Limits,
    path: &VPath,
) -> Result<(), TransferError> {
    let storage = |e: io::Error| TransferError::Storage(VfsError::from_io(e, path));
    if let Some(crlf) = crlf {
        let mut tail = Vec::new();
        crlf.finish(&mut tail);
        excused(src, storage_wait(limits, upload.write_all(&tail)))
            .await?
            .map_err(storage)?;
    }
    excused(src, storage_wait(limits, upload.flush()))
        .await?
        .map_err(storage)?;
    excused(src, upload.finish())
        .await
        .map_err(TransferError::Storage)?;
    Ok(())
}

/// MODE B upload: blocks until the EOF block; the connection closing
/// before it is a broken transfer. Restart markers are accepted and not
/// needed (REST offsets are byte counts).
async fn receive_blocks(
    src: &mut Stream,
    mut upload: Box<dyn Upload>,
    ascii: bool,
    limits: Limits,
    mut meter: Meter<'_>,
    path: &VPath,
) -> Result<u64, TransferError> {
    let mut pending = BytesMut::with_capacity(limits.buffer);
    let mut decoder = BlockDecoder::new();
    let mut converted = Vec::new();
    let mut crlf = FromCrlf::default();
    let storage = |e: io::Error| TransferError::Storage(VfsError::from_io(e, path));
    let malformed =
        |e: BlockError| TransferError::Broken(io::Error::new(io::ErrorKind::InvalidData, e));
    loop {
        while let Some(event) = decoder.decode(&mut pending).map_err(malformed)? {
            match event {
                BlockEvent::Data(bytes) => {
                    excused(src, meter.admit_all(bytes.len())).await?;
                    let data = if ascii {
                        converted.clear();
                        crlf.convert(&bytes, &mut converted);
                        &converted[..]
                    } else {
                        &bytes[..]
                    };
                    excused(src, storage_wait(limits, upload.write_all(data)))
                        .await?
                        .map_err(storage)?;
                }
                BlockEvent::EndOfFile => {
                    let tail = ascii.then_some(&mut crlf);
                    commit(src, upload, tail, limits, path).await?;
                    return Ok(meter.total());
                }
                BlockEvent::RestartMarker(_)
                | BlockEvent::SuspectedErrors
                | BlockEvent::EndOfRecord => {}
            }
        }
        pending.reserve(limits.buffer.min(64 * 1024));
        let n = src
            .read_buf(&mut pending)
            .await
            .map_err(TransferError::data)?;
        if n == 0 {
            return Err(TransferError::Broken(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the data connection closed before the MODE B end-of-file block",
            )));
        }
    }
}
