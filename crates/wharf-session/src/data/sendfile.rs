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
use std::ops::Range;

use tokio::io::Interest;
use tokio::net::TcpStream;

use super::meter::{Limits, Meter};
use super::outcome::TransferError;
use super::watchdog::FloorCheck;

/// Bytes handed to the kernel per quota check and throttle step.
const CHUNK: usize = 1024 * 1024;

/// Sends the bytes of `file` in `span` (from the offset asked for to the
/// file's size when it was opened) over `tcp`; returns the bytes sent.
/// Each wait for the socket is bounded by the stall limit and the bytes
/// count towards the rate floor, as the watchdog does for the other paths.
pub(crate) async fn send_file(
    file: File,
    span: Range<u64>,
    tcp: &TcpStream,
    floor: &mut FloorCheck,
    limits: Limits,
    mut meter: Meter<'_>,
) -> Result<u64, TransferError> {
    let Range {
        start: mut position,
        end,
    } = span;
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::atomic::AtomicU64;
    use std::time::Duration;

    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    use super::*;
    use crate::data::meter::RateLimits;
    use crate::data::watchdog::RateFloor;
    use crate::quota::Direction;

    /// The span is what goes out: a file longer than its end (one that grew
    /// after the open told its size) is sent only up to the end.
    #[tokio::test]
    async fn sends_the_span_and_nothing_past_its_end() {
        let content: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&content).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        let (mut client, (server, _)) = (client.unwrap(), accepted.unwrap());
        let floor = RateFloor {
            rate: 0,
            window: Duration::ZERO,
        };
        let limits = Limits {
            buffer: 64 * 1024,
            stall: Duration::from_secs(10),
            floor,
        };
        let (progress, rate_limits) = (AtomicU64::new(0), RateLimits::default());
        let meter = Meter::new(&progress, &[], &rate_limits, Direction::Download);
        let mut check = FloorCheck::new(floor);
        let sent = send_file(file, 100..4_196, &server, &mut check, limits, meter)
            .await
            .unwrap();
        drop(server);
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        assert_eq!(sent, 4_096);
        assert_eq!(got, content[100..4_196]);
    }
}
