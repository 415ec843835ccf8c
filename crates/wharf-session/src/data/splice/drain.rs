//! The file half of a spliced upload: from the pipe into the file, on the
//! blocking pool, since a write into a file may block on the disk; and,
//! for an unmetered upload, what the socket already holds after that.

use std::fs::File;
use std::io;
use std::net::{Shutdown, TcpStream};
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rustix::io::{Errno, read};
use rustix::pipe::{SpliceFlags, splice};

use super::pipes::Pipe;
use crate::data::transfer::READ_OUT_TIME;

/// What a hop did: the pipe it emptied, and what it took past its
/// pipeful.
#[derive(Debug)]
pub(super) struct Burst {
    /// The emptied pipe.
    pub(super) pipe: Pipe,
    /// Bytes it took from the socket into the file after the first
    /// pipeful.
    pub(super) more: usize,
    /// Whether it saw the client close the connection.
    pub(super) end: bool,
}

/// Why a hop failed: the file or the socket.
#[derive(Debug)]
pub(super) enum HopError {
    Storage(io::Error),
    Socket(io::Error),
}

/// A hop of [`to_file`] that goes on ([`Onward`]) being waited for. Dropped before
/// [`HopGuard::finished`] (ABOR, the storage bound), it tells the hop to
/// stop, which it does after the piece it is writing. A hop stuck in
/// that write (a hung disk) keeps its handle on the socket, which would
/// keep the data connection open after the session closes its own: once
/// the session has had [`READ_OUT_TIME`] and a second to read the
/// refused upload out and close, such a connection is shut down. Not
/// before: shut down, the socket would answer a client still sending with
/// a reset, which may reach it before the reply on the control
/// connection.
pub(super) struct HopGuard {
    pub(super) stop: Arc<AtomicBool>,
    socket: Option<Arc<TcpStream>>,
}

impl HopGuard {
    pub(super) fn new(socket: Arc<TcpStream>) -> Self {
        Self {
            stop: Arc::new(AtomicBool::new(false)),
            socket: Some(socket),
        }
    }

    /// The hop returned: nothing to stop.
    pub(super) fn finished(mut self) {
        self.socket = None;
    }
}

impl Drop for HopGuard {
    fn drop(&mut self) {
        let Some(socket) = self.socket.take() else {
            return;
        };
        self.stop.store(true, Ordering::Relaxed);
        // Only the hop's own handle may keep it alive meanwhile.
        let socket = Arc::downgrade(&socket);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                tokio::time::sleep(READ_OUT_TIME + Duration::from_secs(1)).await;
                if let Some(socket) = socket.upgrade() {
                    let _ = socket.shutdown(Shutdown::Both);
                }
            });
        }
    }
}

/// How a hop goes on after its pipeful: while the socket already holds
/// bytes, it splices them through the emptied pipe into the file too, up
/// to `burst` bytes more and for at most `time` (a new piece is not
/// started after it), and it stops between pieces once `stop` is set.
pub(super) struct Onward {
    /// A second handle on the upload's data connection.
    pub(super) socket: Arc<TcpStream>,
    pub(super) burst: usize,
    pub(super) time: Duration,
    pub(super) stop: Arc<AtomicBool>,
}

/// Moves the `len` bytes the pipe holds into `file` at its position, on
/// the blocking pool, and with `onward` goes on with what the socket holds
/// (see [`Onward`]), all on the same pool thread: a client sending at full
/// speed costs one hop per burst instead of one per pipeful, and each
/// piece is written while it is fresh. `onward.time` keeps the storage
/// bound, which the caller puts on the whole hop, about what it is for
/// one pipeful.
///
/// The hop never waits for the socket (`SPLICE_F_NONBLOCK`: an empty
/// socket ends the hop with `EAGAIN`), so a slow client holds no pool
/// thread. The caller admits the extra bytes afterwards, so only an
/// upload without quotas or rate limits may go on; the socket is the
/// upload's data connection, whose readiness tokio learns again at the
/// next `EAGAIN`.
///
/// If the caller stops waiting (ABOR, the storage bound), the hop still
/// finishes the piece it is writing and then closes the pipe: the pipe is
/// never handed back half full.
pub(super) async fn to_file(
    pipe: Pipe,
    file: Arc<File>,
    len: usize,
    onward: Option<Onward>,
) -> Result<Burst, HopError> {
    let hop = tokio::task::spawn_blocking(move || {
        drain(&pipe.read_end, &file, len).map_err(HopError::Storage)?;
        let mut burst = Burst {
            pipe,
            more: 0,
            end: false,
        };
        if let Some(onward) = onward {
            go_on(&mut burst, &file, &onward)?;
        }
        Ok(burst)
    });
    hop.await
        .map_err(|e| HopError::Storage(io::Error::other(e)))?
}

/// [`to_file`]'s part after the pipeful.
fn go_on(burst: &mut Burst, file: &File, onward: &Onward) -> Result<(), HopError> {
    let started = Instant::now();
    let Onward {
        socket,
        burst: most,
        time,
        stop,
    } = onward;
    while burst.more < *most && started.elapsed() < *time && !stop.load(Ordering::Relaxed) {
        let flags = SpliceFlags::MOVE | SpliceFlags::NONBLOCK;
        let pipe_in = &burst.pipe.write_end;
        match splice(&**socket, None, pipe_in, None, most - burst.more, flags) {
            Ok(0) => {
                burst.end = true;
                return Ok(());
            }
            Ok(n) => {
                drain(&burst.pipe.read_end, file, n).map_err(HopError::Storage)?;
                burst.more += n;
            }
            Err(Errno::AGAIN) => return Ok(()),
            Err(Errno::INTR) => {}
            Err(e) => return Err(HopError::Socket(e.into())),
        }
    }
    Ok(())
}

/// Moves exactly `len` bytes from the pipe into `file` at its position;
/// the file system may take them in several calls.
fn drain(pipe_out: &OwnedFd, file: &File, mut len: usize) -> io::Result<()> {
    while len > 0 {
        match splice(pipe_out, None, file, None, len, SpliceFlags::MOVE) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => len -= n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Reads the `len` bytes the pipe holds back into memory. They are in the
/// pipe already, so no read waits (a pipe is memory, not a disk).
pub(super) fn read_small(pipe_out: &OwnedFd, len: usize) -> io::Result<Vec<u8>> {
    let mut bytes = vec![0; len];
    let mut at = 0;
    while at < len {
        match read(pipe_out, &mut bytes[at..]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => at += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(bytes)
}
