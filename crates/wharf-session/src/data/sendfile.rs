//! Plain binary MODE S downloads from a local file: `sendfile(2)` moves
//! the bytes from the page cache to the socket in the kernel, with no copy
//! through user space and no blocking-pool round trip per chunk.
//!
//! rustix's safe wrapper makes the call, so no `unsafe` is needed here.
//! The file is read inside the call on the runtime thread; for files in the
//! page cache (the common case on a busy server) that costs no more than
//! the copy it replaces. Quotas and throttles see the bytes in chunks, as
//! in the copy loop.

use std::fs::File;
use std::io;

use tokio::io::Interest;
use tokio::net::TcpStream;
use wharf_vfs::{VPath, VfsError};

use super::meter::{Limits, Meter};
use super::outcome::TransferError;
use super::watchdog::FloorCheck;

/// Bytes handed to the kernel per quota check and throttle step.
const CHUNK: usize = 1024 * 1024;

/// Sends `file` from `offset` to its end (its length when the download
/// starts) over `tcp`; returns the bytes sent. Each wait for the socket
/// is bounded by the stall limit and the bytes count towards the rate
/// floor, as the watchdog does for the other paths.
pub(crate) async fn send_file(
    file: File,
    offset: u64,
    tcp: &TcpStream,
    floor: &mut FloorCheck,
    limits: Limits,
    mut meter: Meter<'_>,
    path: &VPath,
) -> Result<u64, TransferError> {
    let end = file
        .metadata()
        .map_err(|e| TransferError::Storage(VfsError::from_io(e, path)))?
        .len();
    let mut position = offset;
    while position < end {
        let want = usize::try_from(end - position).map_or(CHUNK, |left| left.min(CHUNK));
        let paced = tokio::time::Instant::now();
        let (allowed, stop) = meter.admit(want).await;
        floor.excuse(paced.elapsed());
        let mut left = allowed;
        while left > 0 {
            tokio::time::timeout(limits.stall, tcp.writable())
                .await
                .map_err(|_| TransferError::Stalled)?
                .map_err(TransferError::Broken)?;
            let sent = tcp.try_io(Interest::WRITABLE, || {
                rustix::fs::sendfile(tcp, &file, Some(&mut position), left).map_err(io::Error::from)
            });
            match sent {
                // The file got shorter since the download started.
                Ok(0) => return Ok(meter.total()),
                Ok(n) => {
                    left -= n;
                    floor.moved(n)?;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(TransferError::Broken(e)),
            }
        }
        if let Some(stop) = stop {
            return Err(stop);
        }
    }
    Ok(meter.total())
}
