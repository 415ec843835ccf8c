//! One data transfer: open the connection, pick the stages from TYPE and
//! MODE, run the pump of its direction (or `sendfile`, or a listing), and
//! report a typed outcome.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wharf_vfs::{FileReader, Upload, VPath};

use super::downloads::Running;
use super::listing::{ListError, Listing};
use super::meter::{Limits, Meter, RateLimits};
use super::outcome::{Finished, TransferError};
use super::pipeline::{BlockDecode, BlockEncode, FromCrlf, Skip, ToCrlf};
use super::plan::{DataIo, DataPlan, OpenContext};
use super::pump::{self, Stages, Stream};
#[cfg(target_os = "linux")]
use super::sendfile::send_file;
#[cfg(target_os = "linux")]
use super::splice::{splice_source, splice_upload};
use super::watchdog::Watched;
use crate::options::SpliceUploads;
use crate::quota::{Direction, QuotaHook};

/// What a transfer does once its data connection is open.
pub(crate) enum Work {
    /// RETR: file to client; in TYPE A, `skip` octets of the converted
    /// stream are dropped first (REST counts octets on the wire).
    Send {
        reader: FileReader,
        ascii: bool,
        skip: u64,
    },
    /// RETR of a local file, binary, MODE S, plain: `sendfile` from
    /// `offset` up to `end`, the file's size when it was opened.
    #[cfg(target_os = "linux")]
    SendFile {
        file: std::fs::File,
        offset: u64,
        end: u64,
    },
    /// STOR, APPE, STOU: client to file; committed at end of data. A
    /// plain binary MODE S upload into a local file may take `splice(2)`
    /// (Linux), as `splice` says.
    Receive {
        upload: Box<dyn Upload>,
        ascii: bool,
        splice: SpliceUploads,
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
    pub(crate) rate_limits: RateLimits,
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
    // TLS tickets only on a connection the server sends on (see
    // `TlsConfig::accept_data`): the session does not know the direction.
    let mut cx = cx;
    if let Some(tls) = &mut cx.tls {
        tls.tickets = !matches!(job.work, Work::Receive { .. });
    }
    let opened = job.plan.open(&cx).await.map_err(TransferError::Connect)?;
    let mut stream = Watched::new(opened, limits.stall, limits.floor);
    let moved = match job.work {
        Work::Send {
            reader,
            ascii,
            skip,
        } => {
            let meter = Meter::new(
                &progress,
                &job.quotas,
                &job.rate_limits,
                Direction::Download,
            );
            let stages = download_stages(ascii, skip, block);
            pump::download(reader, &mut stream, stages, limits, meter, &job.path).await?
        }
        #[cfg(target_os = "linux")]
        Work::SendFile { file, offset, end } => {
            let meter = Meter::new(
                &progress,
                &job.quotas,
                &job.rate_limits,
                Direction::Download,
            );
            match stream.plain_tcp() {
                Some((tcp, floor)) => {
                    send_file(file, offset..end, tcp, floor, limits, meter).await?
                }
                // Only plain connections get SendFile work, but a copy is
                // always correct (the file is positioned at `offset`, and
                // stops where sendfile would).
                None => {
                    let file = tokio::fs::File::from_std(file).take(end.saturating_sub(offset));
                    let reader: FileReader =
                        Box::new(tokio::io::BufReader::with_capacity(limits.buffer, file));
                    let stages = download_stages(false, 0, block);
                    pump::download(reader, &mut stream, stages, limits, meter, &job.path).await?
                }
            }
        }
        Work::Receive {
            mut upload,
            ascii,
            splice,
        } => 'receive: {
            let meter = Meter::new(&progress, &job.quotas, &job.rate_limits, Direction::Upload);
            #[cfg(target_os = "linux")]
            if let Some(source) = splice_source(splice, ascii, block, upload.as_mut(), &mut stream)
            {
                let received = splice_upload(source, upload, limits, meter, &job.path).await;
                break 'receive refused_upload_read_out(received, &mut stream, block).await?;
            }
            #[cfg(not(target_os = "linux"))]
            let _ = splice;
            let stages = upload_stages(ascii, block);
            let received =
                pump::upload(&mut stream, upload, stages, limits, meter, &job.path).await;
            refused_upload_read_out(received, &mut stream, block).await?
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
            Err(ListError::Limit(limit)) => return Err(TransferError::ListLimit(limit)),
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

/// The stages of a download: TYPE A's line ends (and a restart's skip)
/// before the meter, MODE B's blocks after it.
fn download_stages(ascii: bool, skip: u64, block: bool) -> Stages {
    let mut stages = Stages::default();
    if ascii {
        stages = stages.before_meter(ToCrlf::default());
    }
    if skip > 0 {
        stages = stages.before_meter(Skip::new(skip));
    }
    if block {
        stages = stages.after_meter(BlockEncode);
    }
    stages
}

/// The stages of an upload: MODE B's blocks before the meter, TYPE A's
/// line ends after it.
fn upload_stages(ascii: bool, block: bool) -> Stages {
    let mut stages = Stages::default();
    if block {
        stages = stages.before_meter(BlockDecode::default());
    }
    if ascii {
        stages = stages.after_meter(FromCrlf::default());
    }
    stages
}

/// How long, and how many bytes at most, the rest of a refused upload is
/// read and dropped before its data connection closes.
pub(crate) const READ_OUT_TIME: std::time::Duration = std::time::Duration::from_secs(2);
const READ_OUT_BYTES: u64 = 64 * 1024 * 1024;

/// After the server refused an upload mid-way (storage full or failing, a
/// quota), reads what the client still sends, for a bounded time, before
/// the connection closes: closing it with bytes unread sends a reset, and
/// a client that gets one while it sends (curl) gives up without reading
/// the control connection's 5xx. MODE B keeps its connection, so it is
/// left alone; so are errors of the connection itself.
async fn refused_upload_read_out(
    received: Result<u64, TransferError>,
    stream: &mut Stream,
    block: bool,
) -> Result<u64, TransferError> {
    let refused = matches!(
        received,
        Err(TransferError::Storage(_)
            | TransferError::StorageStalled(_)
            | TransferError::Quota(..))
    );
    if refused && !block {
        let mut scratch = vec![0u8; 64 * 1024];
        let mut left = READ_OUT_BYTES;
        let _ = tokio::time::timeout(READ_OUT_TIME, async {
            while left > 0 {
                match stream.read(&mut scratch).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => left = left.saturating_sub(n as u64),
                }
            }
        })
        .await;
    }
    received
}
