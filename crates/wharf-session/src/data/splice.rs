//! Plain binary MODE S uploads into a local file: `splice(2)` moves the
//! bytes from the data socket into a pipe and from the pipe into the
//! file, in the kernel, the receive-side twin of `sendfile`.
//!
//! The copy loop reads each byte into user space, copies it into the
//! upload's chunk and writes the chunk from the blocking pool: two copies
//! through user space, one system call per socket read and a pool round
//! trip per mebibyte. Here the socket's pages go into the pipe and the
//! file system copies them once into the page cache, with two system calls
//! per pipeful and no pool hop. rustix's safe wrappers make the calls, so
//! no `unsafe` is needed.
//!
//! Everything else stays as in the copy loop: each pipeful passes the
//! meter (quota, rate limits, STAT progress) before any of it reaches the
//! file, so an upload over quota writes nothing more; each wait for the
//! socket is bounded by the stall limit and the bytes count towards the
//! rate floor; an error or a reset connection returns early and drops the
//! upload, which discards it. The file is written on the runtime thread,
//! as `sendfile` reads it there: into the page cache that costs no more
//! than the copy it replaces.

use std::io;
use std::os::fd::OwnedFd;

use rustix::pipe::{SpliceFlags, splice};
use tokio::io::Interest;
use tokio::net::TcpStream;
use wharf_vfs::{Upload, VPath, VfsError};

use super::meter::{Limits, Meter};
use super::outcome::TransferError;
use super::pump::Stream;
use super::watchdog::FloorCheck;
use pipes::Pipe;

mod pipes;

/// The pipe's capacity: bytes moved per pair of calls at most.
const PIPE: usize = 1024 * 1024;

/// The socket a plain binary MODE S upload into a local file is spliced
/// from, and its rate check; `None` sends the upload through the copy
/// loop: TYPE A and MODE B change the bytes on their way, TLS must decrypt
/// them, and a back-end without a local file has nowhere to splice to.
pub(crate) fn splice_source<'s>(
    splice: bool,
    ascii: bool,
    block: bool,
    upload: &mut dyn Upload,
    stream: &'s mut Stream,
) -> Option<(&'s TcpStream, &'s mut FloorCheck)> {
    if !splice || ascii || block || upload.local_file().is_none() {
        return None;
    }
    stream.plain_tcp()
}

/// Receives the file from `tcp` into `upload`'s local file until the
/// client closes the connection, then commits it; returns the bytes
/// counted by the meter. `upload` must offer its file
/// ([`Upload::local_file`]); one that does not fails as storage.
pub(crate) async fn splice_upload(
    tcp: &TcpStream,
    floor: &mut FloorCheck,
    mut upload: Box<dyn Upload>,
    limits: Limits,
    mut meter: Meter<'_>,
    path: &VPath,
) -> Result<u64, TransferError> {
    let storage = |e: io::Error| TransferError::Storage(VfsError::from_io(e, path));
    let Some(file) = upload.local_file() else {
        return Err(storage(io::Error::other("the upload has no local file")));
    };
    // The default 64 KiB pipe would cost a pair of calls per 64 KiB.
    let pipe = Pipe::take(PIPE).map_err(storage)?;
    // Any early return drops the pipe, which may hold bytes: closed, not
    // kept.
    loop {
        let filled = fill(tcp, &pipe.write_end, limits).await?;
        if filled == 0 {
            break;
        }
        floor.moved(filled)?;
        let paced = tokio::time::Instant::now();
        let admitted = meter.admit_all(filled).await;
        floor.excuse(paced.elapsed());
        admitted?;
        drain(&pipe.read_end, file.file(), filled).map_err(storage)?;
        file.wrote(filled as u64);
    }
    pipe.give_back();
    upload.finish().await.map_err(TransferError::Storage)?;
    Ok(meter.total())
}

/// Moves what the socket holds (at most a pipeful) into the empty pipe,
/// waiting for the socket at most the stall limit; 0 at the end of the
/// stream.
async fn fill(tcp: &TcpStream, pipe_in: &OwnedFd, limits: Limits) -> Result<usize, TransferError> {
    loop {
        tokio::time::timeout(limits.stall, tcp.readable())
            .await
            .map_err(|_| TransferError::Stalled)?
            .map_err(TransferError::Broken)?;
        let moved = tcp.try_io(Interest::READABLE, || {
            splice(
                tcp,
                None,
                pipe_in,
                None,
                PIPE,
                SpliceFlags::MOVE | SpliceFlags::NONBLOCK,
            )
            .map_err(io::Error::from)
        });
        match moved {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(TransferError::data(e)),
        }
    }
}

/// Moves exactly `len` bytes from the pipe into `file` at its position;
/// the file system may take them in several calls.
fn drain(pipe_out: &OwnedFd, file: &std::fs::File, mut len: usize) -> io::Result<()> {
    while len > 0 {
        match splice(pipe_out, None, file, None, len, SpliceFlags::MOVE) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => len -= n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
