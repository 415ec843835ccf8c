//! The socket half of a spliced upload: from the data socket into the
//! pipe, on the runtime thread, where a socket without bytes is a wait
//! for readiness and never a blocked thread.

use std::io;
use std::os::fd::OwnedFd;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::Errno;
use rustix::pipe::{SpliceFlags, splice};
use tokio::io::Interest;
use tokio::net::TcpStream;

use crate::data::meter::{Limits, Meter};
use crate::data::outcome::TransferError;
use crate::data::watchdog::FloorCheck;

/// What one fill of the pipe ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Batch {
    /// Bytes now in the pipe, each admitted by the meter.
    pub(super) held: usize,
    /// Whether the client closed the connection (the end of the file).
    pub(super) end: bool,
}

/// What one splice from the socket did.
enum Filled {
    Bytes(usize),
    /// The client closed the connection.
    End,
    /// The pipe has no free slot: its bytes must go to the file first.
    Full,
}

/// Fills the empty pipe (`capacity` bytes) from the socket until it holds
/// a pipeful, has no free slot, or the client closed the connection.
///
/// Each piece passes the rate floor and the meter (quota, rate limits,
/// STAT progress) as it arrives, before any of it can reach the file; the
/// time the meter holds it back is the server's, not the client's. A
/// partial pipeful waits for more as the copy loop's partial chunk does:
/// every wait for the socket is bounded by the stall limit.
pub(super) async fn fill(
    tcp: &TcpStream,
    pipe_in: &OwnedFd,
    capacity: usize,
    floor: &mut FloorCheck,
    meter: &mut Meter<'_>,
    limits: Limits,
) -> Result<Batch, TransferError> {
    let mut held = 0;
    while held < capacity {
        match splice_some(tcp, pipe_in, capacity - held, held > 0, limits).await? {
            Filled::End => return Ok(Batch { held, end: true }),
            Filled::Full => break,
            Filled::Bytes(n) => {
                floor.moved(n)?;
                let paced = tokio::time::Instant::now();
                let admitted = meter.admit_all(n).await;
                floor.excuse(paced.elapsed());
                admitted?;
                held += n;
            }
        }
    }
    Ok(Batch { held, end: false })
}

/// Moves what the socket holds (at most `room`) into the pipe, waiting
/// for the socket at most the stall limit.
///
/// A splice into a pipe without a free slot fails with `EAGAIN` just as
/// one from a socket without bytes does; a pipe that holds bytes
/// (`filled`) is asked (`poll`) which one it was, so that a full pipe is
/// never mistaken for an idle socket, whose readiness tokio would then
/// clear and wait for until the stall limit.
async fn splice_some(
    tcp: &TcpStream,
    pipe_in: &OwnedFd,
    room: usize,
    filled: bool,
    limits: Limits,
) -> Result<Filled, TransferError> {
    loop {
        tokio::time::timeout(limits.stall, tcp.readable())
            .await
            .map_err(|_| TransferError::Stalled)?
            .map_err(TransferError::Broken)?;
        let moved = tcp.try_io(Interest::READABLE, || {
            let flags = SpliceFlags::MOVE | SpliceFlags::NONBLOCK;
            match splice(tcp, None, pipe_in, None, room, flags) {
                Ok(0) => Ok(Filled::End),
                Ok(n) => Ok(Filled::Bytes(n)),
                Err(Errno::AGAIN) if filled && !has_room(pipe_in) => Ok(Filled::Full),
                Err(e) => Err(io::Error::from(e)),
            }
        });
        match moved {
            Ok(filled) => return Ok(filled),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(TransferError::data(e)),
        }
    }
}

/// Whether the pipe has a free slot (`POLLOUT`), asked without waiting.
fn has_room(pipe_in: &OwnedFd) -> bool {
    let mut fds = [PollFd::new(pipe_in, PollFlags::OUT)];
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // If poll itself fails, "no room" has the pipe drained, which is
    // always right; "room" could wait on a socket that already told.
    poll(&mut fds, Some(&now)).is_ok_and(|ready| ready > 0)
}
