//! Plain binary MODE S uploads into a local file: `splice(2)` moves the
//! bytes from the data socket into a pipe and from the pipe into the
//! file, in the kernel, the receive-side twin of `sendfile`.
//!
//! The copy loop reads each byte into user space, copies it into the
//! upload's chunk and writes the chunk from the blocking pool: two copies
//! through user space and one system call per socket read. Here the
//! socket's pages go into the pipe and the file system copies them once
//! into the page cache. rustix's safe wrappers make the calls, so no
//! `unsafe` is needed.
//!
//! Decisions:
//! - The two halves run where their waits belong. Socket → pipe runs on
//!   the runtime thread ([`fill`]): a socket without bytes is a readiness
//!   wait, so a slow client holds no thread. Pipe → file blocks on the
//!   disk (dirty-page throttling, a full request queue), so it runs on
//!   the blocking pool, a pipeful (1 MiB) per hop, as the copy loop writes
//!   its 1 MiB chunks; the socket's receive buffer keeps taking bytes
//!   meanwhile. No runtime thread ever writes the file.
//! - Not one blocking thread per upload doing both halves: a client that
//!   stalls would hold a pool thread for the whole stall limit, and a few
//!   hundred of them would starve every other file operation.
//! - But a hop does not stop at its pipeful while the socket already
//!   holds more ([`BURST`], `drain::to_file`): it splices what
//!   is there through the emptied pipe into the file, never waiting for
//!   the socket, and returns at the first `EAGAIN`, after 64 MiB or after
//!   100 ms (a quarter of the storage bound if that is less: the bound
//!   covers the whole hop). A client sending at
//!   full speed then costs one hop per burst instead of one per MiB, and
//!   each piece is written while it is fresh: a hop and its wake-ups cost
//!   about as much as writing a MiB (docs/performance/splice-uploads.md).
//!   Only an upload without quotas or rate limits goes on so, since those
//!   bytes reach the file before the meter sees them; the others keep
//!   one pipeful per hop.
//! - Everything else stays as in the copy loop: each piece passes the
//!   meter (quota, rate limits, STAT progress) before any of it reaches
//!   the file, so an upload over quota writes nothing more; each wait for
//!   the socket is bounded by the stall limit and each pool hop by the
//!   storage bound, whose time the rate floor excuses; an error, a reset
//!   connection or ABOR returns early (or drops this future) and drops the
//!   upload, which discards its temporary file at once. A pool hop still
//!   running then finishes the piece it is writing into the unlinked file
//!   and closes the pipe; one stuck in that write has its second handle
//!   on the socket shut down once the refused upload's read-out is over
//!   (`drain::HopGuard`).
//! - An upload that ends within its first [`SMALL`] bytes goes through
//!   the upload's own buffer, which `finish` writes in the hop that syncs
//!   and renames: one pool hop for a small file, as on the copy path,
//!   where a pipeful of its own would cost a second.

use std::io;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use wharf_vfs::{Upload, VPath, VfsError};

use super::meter::{Limits, Meter, storage_wait};
use super::outcome::TransferError;
use super::pump::Stream;
use super::watchdog::FloorCheck;
use crate::options::SpliceUploads;
use drain::{HopError, HopGuard};
use fill::{Batch, fill};
use pipes::Pipe;

mod drain;
mod fill;
mod pipes;

/// The pipe's capacity: the most bytes one hop to the blocking pool
/// writes at once, as the copy loop's chunk (a hop that goes on while the
/// socket holds bytes writes several).
const PIPE: usize = 1024 * 1024;

/// The most bytes one hop takes from a socket that keeps them coming,
/// after its first pipeful: an upload still yields its pool thread and
/// passes the rate floor this often.
const BURST: usize = 64 * 1024 * 1024;

/// How long a hop may go on taking pieces after its first pipeful: a
/// quarter of the storage bound, at most 100 ms, so the bound, which
/// covers the whole hop, still ends a hung write about as soon as it
/// would for a single pipeful, and a slow disk is not taken for a hung
/// one.
fn burst_time(limits: Limits) -> Duration {
    (limits.stall / 4).min(Duration::from_millis(100))
}

/// An upload that ends within this many bytes is written through the
/// upload's own buffer.
const SMALL: usize = 64 * 1024;

/// The socket a plain binary MODE S upload is spliced from, its rate
/// check, and the pipe.
pub(crate) struct Source<'s> {
    tcp: &'s TcpStream,
    floor: &'s mut FloorCheck,
    pipe: Pipe,
}

/// The splice source of an upload, or `None` to send it through the copy
/// loop: TYPE A and MODE B change the bytes on their way, TLS must decrypt
/// them, a back-end without a local file has nowhere to splice to, one
/// that writes around the page cache is cheaper copied (unless `splice`
/// is [`SpliceUploads::On`]), and a server at its pipe budget (or refused
/// a pipe as large as asked: the per-user pipe limit) copies rather than
/// splice through a small pipe.
pub(crate) fn splice_source<'s>(
    splice: SpliceUploads,
    ascii: bool,
    block: bool,
    upload: &mut dyn Upload,
    stream: &'s mut Stream,
) -> Option<Source<'s>> {
    let wanted = match splice {
        SpliceUploads::Off => false,
        SpliceUploads::On => true,
        SpliceUploads::Auto => !upload.bypasses_page_cache(),
    };
    if !wanted || ascii || block {
        return None;
    }
    let (tcp, floor) = stream.plain_tcp()?;
    // The pipe before the file: asking for the file prepares it for
    // outside writes (no direct I/O), which a copied upload should not get.
    let pipe = Pipe::take(PIPE)?;
    if upload.local_file().is_none() {
        pipe.give_back();
        return None;
    }
    Some(Source { tcp, floor, pipe })
}

/// Receives the file from the source's socket into `upload`'s local file
/// until the client closes the connection, then commits it; returns the
/// bytes counted by the meter. `upload` must offer its file
/// ([`Upload::local_file`]); one that does not fails as storage.
pub(crate) async fn splice_upload(
    source: Source<'_>,
    mut upload: Box<dyn Upload>,
    limits: Limits,
    mut meter: Meter<'_>,
    path: &VPath,
) -> Result<u64, TransferError> {
    let storage = |e: io::Error| TransferError::Storage(VfsError::from_io(e, path));
    let Source {
        tcp,
        floor,
        mut pipe,
    } = source;
    tracing::debug!(%path, "upload received by splice");
    // The file for the blocking pool, shared by its hops: made at the
    // first one (a small upload needs none).
    let mut target: Option<Arc<std::fs::File>> = None;
    // The socket for hops that go on while it holds bytes: only when
    // nothing must be admitted first (see `drain::to_file`).
    let unmetered = meter.unmetered();
    let mut ready_socket: Option<Arc<std::net::TcpStream>> = None;
    // Any early return drops the pipe, which may hold bytes: closed, not
    // kept.
    loop {
        let Batch { held, end } =
            fill(tcp, &pipe.write_end, PIPE, floor, &mut meter, limits).await?;
        if end && target.is_none() && held <= SMALL {
            let bytes = drain::read_small(&pipe.read_end, held).map_err(storage)?;
            pipe.give_back();
            return finish_small(upload, &bytes, floor, limits, meter, path).await;
        }
        if held > 0 {
            let no_file = || storage(io::Error::other("the upload has no local file"));
            let file = match &target {
                Some(file) => file.clone(),
                None => {
                    let local = upload.local_file().ok_or_else(no_file)?;
                    let file = Arc::new(local.file().try_clone().map_err(storage)?);
                    target.insert(file).clone()
                }
            };
            if unmetered && ready_socket.is_none() {
                // Without a second handle on the socket, this hop is one
                // pipeful.
                ready_socket = tcp
                    .as_fd()
                    .try_clone_to_owned()
                    .ok()
                    .map(|fd| Arc::new(std::net::TcpStream::from(fd)));
            }
            // After the end of the file the socket has nothing more.
            let burst = if end { 0 } else { BURST };
            let (guard, onward) = ready_socket
                .as_ref()
                .map(|socket| {
                    let guard = HopGuard::new(socket.clone());
                    let onward = drain::Onward {
                        socket: socket.clone(),
                        burst,
                        time: burst_time(limits),
                        stop: guard.stop.clone(),
                    };
                    (guard, onward)
                })
                .unzip();
            let waited = tokio::time::Instant::now();
            let drained = storage_wait(limits, drain::to_file(pipe, file, held, onward)).await;
            floor.excuse(waited.elapsed());
            if let (Ok(_), Some(guard)) = (&drained, guard) {
                guard.finished();
            }
            let hop = drained?.map_err(|e| match e {
                HopError::Storage(e) => storage(e),
                HopError::Socket(e) => TransferError::data(e),
            })?;
            let (more, closed) = (hop.more, hop.end);
            pipe = hop.pipe;
            if more > 0 {
                // Unmetered: admitted at once, and counted for STAT.
                floor.moved(more)?;
                meter.admit_all(more).await?;
            }
            let written = (held + more) as u64;
            upload.local_file().ok_or_else(no_file)?.wrote(written);
            if closed {
                break;
            }
        }
        if end {
            break;
        }
    }
    pipe.give_back();
    let waited = tokio::time::Instant::now();
    let finished = upload.finish().await;
    floor.excuse(waited.elapsed());
    finished.map_err(TransferError::Storage)?;
    Ok(meter.total())
}

/// Commits a small upload whose `bytes` were read back from the pipe,
/// through the upload's own buffer.
async fn finish_small(
    mut upload: Box<dyn Upload>,
    bytes: &[u8],
    floor: &mut FloorCheck,
    limits: Limits,
    meter: Meter<'_>,
    path: &VPath,
) -> Result<u64, TransferError> {
    let storage = |e: io::Error| TransferError::Storage(VfsError::from_io(e, path));
    let waited = tokio::time::Instant::now();
    let written = storage_wait(limits, async {
        upload.write_all(bytes).await?;
        upload.flush().await
    })
    .await;
    floor.excuse(waited.elapsed());
    written?.map_err(storage)?;
    let waited = tokio::time::Instant::now();
    let finished = upload.finish().await;
    floor.excuse(waited.elapsed());
    finished.map_err(TransferError::Storage)?;
    Ok(meter.total())
}

#[cfg(test)]
mod burst_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
