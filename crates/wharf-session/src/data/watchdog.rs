//! Bounds on every byte a data connection moves: a stall timeout on each
//! read and write, and a minimum average rate.
//!
//! Decisions:
//! - The bounds live in a wrapper around the data stream, so every path
//!   that touches the connection (file sends and receives, listings, the
//!   MODE B end-of-file block, the final flush and shutdown) is bounded by
//!   construction instead of by remembering a `timeout` at each call.
//! - The stall clock runs only while an operation is waiting on the
//!   socket. Time spent reading storage or waiting for a bandwidth limit
//!   between two socket operations is not the client's stall.
//! - The rate floor is checked in windows: when a window ends, the bytes
//!   moved in it must reach `rate × window`. With the stall bound below the
//!   window (120 s and 300 s by default), a client that trickles one byte
//!   per stall period keeps the stall clock happy and is stopped by the
//!   floor at the window's end.
//!   Time the server spends waiting on its own side (storage, upload
//!   memory, a bandwidth limit) is taken out of the window
//!   ([`FloorCheck::excuse`]): a floor judges the client, never the
//!   server's own back-pressure.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use super::plan::DataIo;

/// Why a data connection was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DataTimeout {
    /// No byte moved for the stall timeout.
    #[error("no byte moved for {0:?}")]
    Stalled(Duration),
    /// Fewer bytes than the floor allows moved in one window.
    #[error("{moved} bytes in {window:?}, below the minimum of {rate} bytes/s")]
    TooSlow {
        moved: u64,
        window: Duration,
        rate: u64,
    },
}

impl DataTimeout {
    /// The typed reason inside an I/O error from a watched stream, if any.
    pub(crate) fn of(error: &io::Error) -> Option<Self> {
        error.get_ref()?.downcast_ref::<Self>().copied()
    }

    fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, self)
    }
}

/// The minimum average rate of a transfer: `rate` bytes per second,
/// checked over each `window`. A zero rate or window turns it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateFloor {
    pub(crate) rate: u64,
    pub(crate) window: Duration,
}

/// The running check of a [`RateFloor`].
#[derive(Debug)]
pub(crate) struct FloorCheck {
    floor: RateFloor,
    started: Instant,
    moved: u64,
    /// Time of the current window the server spent waiting on its own
    /// side (storage, upload memory, a bandwidth limit): not the client's.
    excused: Duration,
}

impl FloorCheck {
    pub(crate) fn new(floor: RateFloor) -> Self {
        Self {
            floor,
            started: Instant::now(),
            moved: 0,
            excused: Duration::ZERO,
        }
    }

    /// Takes `waited` out of the current window: the server was waiting on
    /// its own side meanwhile.
    pub(crate) fn excuse(&mut self, waited: Duration) {
        self.excused += waited;
    }

    /// Counts `bytes` more; fails when a window has ended below the floor.
    pub(crate) fn moved(&mut self, bytes: usize) -> Result<(), DataTimeout> {
        let RateFloor { rate, window } = self.floor;
        if rate == 0 || window.is_zero() {
            return Ok(());
        }
        self.moved = self.moved.saturating_add(bytes as u64);
        let now = Instant::now();
        let elapsed = now
            .duration_since(self.started)
            .saturating_sub(self.excused);
        if elapsed < window {
            return Ok(());
        }
        let needed = u128::from(rate) * elapsed.as_millis() / 1000;
        if u128::from(self.moved) < needed {
            return Err(DataTimeout::TooSlow {
                moved: self.moved,
                window: elapsed,
                rate,
            });
        }
        self.started = now;
        self.moved = 0;
        self.excused = Duration::ZERO;
        Ok(())
    }
}

/// One direction's stall clock: armed when an operation starts waiting,
/// disarmed when it completes.
struct StallClock {
    limit: Duration,
    timer: Pin<Box<Sleep>>,
    armed: bool,
}

impl StallClock {
    fn new(limit: Duration) -> Self {
        Self {
            limit,
            timer: Box::pin(tokio::time::sleep(limit)),
            armed: false,
        }
    }

    /// Called when the wrapped operation returned `Pending`.
    fn waiting(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        if !self.armed {
            self.armed = true;
            self.timer.as_mut().reset(Instant::now() + self.limit);
        }
        ready!(self.timer.as_mut().poll(cx));
        self.armed = false;
        Poll::Ready(DataTimeout::Stalled(self.limit).into_io())
    }

    fn done(&mut self) {
        self.armed = false;
    }

    /// The outcome of an operation that moves no counted bytes (a flush,
    /// the shutdown): done when ready, else under the stall clock.
    fn settle(
        &mut self,
        polled: Poll<io::Result<()>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        match polled {
            Poll::Pending => self.waiting(cx).map(Err),
            Poll::Ready(result) => {
                self.done();
                Poll::Ready(result)
            }
        }
    }
}

/// A data stream under a stall bound and a rate floor.
///
/// A floor failure found while counting bytes that did move is reported by
/// the next operation: those bytes are the caller's (a read filled its
/// buffer, a write took them), and an error must not claim otherwise.
pub(crate) struct Watched<S> {
    inner: S,
    read: StallClock,
    write: StallClock,
    floor: FloorCheck,
    failed: Option<DataTimeout>,
}

impl<S> Watched<S> {
    pub(crate) fn new(inner: S, stall: Duration, floor: RateFloor) -> Self {
        Self {
            inner,
            read: StallClock::new(stall),
            write: StallClock::new(stall),
            floor: FloorCheck::new(floor),
            failed: None,
        }
    }

    /// Counts `bytes` that moved; a floor failure is kept for later.
    fn count(&mut self, bytes: usize) {
        if let Err(slow) = self.floor.moved(bytes) {
            self.failed = Some(slow);
        }
    }

    /// The failure kept from an earlier operation, if any.
    fn failure(&self) -> io::Result<()> {
        self.failed.map_or(Ok(()), |slow| Err(slow.into_io()))
    }

    /// The stream, for the next transfer (MODE B keeps it).
    pub(crate) fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> Watched<S> {
    /// Takes `waited` out of the rate floor's window: the server was
    /// waiting on its own side.
    pub(crate) fn excuse(&mut self, waited: Duration) {
        self.floor.excuse(waited);
    }
}

impl Watched<Box<dyn DataIo>> {
    /// The plain socket and the rate check, for `sendfile`, which writes
    /// the socket itself (and bounds its own waits); `None` under TLS.
    pub(crate) fn plain_tcp(&mut self) -> Option<(&TcpStream, &mut FloorCheck)> {
        let tcp = self.inner.plain_tcp()?;
        Some((tcp, &mut self.floor))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.failure()?;
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Pending => this.read.waiting(cx).map(Err),
            Poll::Ready(result) => {
                this.read.done();
                result?;
                this.count(buf.filled().len() - before);
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.failure()?;
        match Pin::new(&mut this.inner).poll_write(cx, data) {
            Poll::Pending => this.write.waiting(cx).map(Err),
            Poll::Ready(result) => {
                this.write.done();
                let n = result?;
                this.count(n);
                Poll::Ready(Ok(n))
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.write.settle(polled, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.write.settle(polled, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const NO_FLOOR: RateFloor = RateFloor {
        rate: 0,
        window: Duration::ZERO,
    };

    #[tokio::test(start_paused = true)]
    async fn a_write_nobody_reads_fails_after_the_stall_limit() {
        let (a, _b) = tokio::io::duplex(16);
        let mut watched = Watched::new(a, Duration::from_secs(5), NO_FLOOR);
        let started = Instant::now();
        let error = watched.write_all(&[0; 1024]).await.unwrap_err();
        assert_eq!(
            DataTimeout::of(&error),
            Some(DataTimeout::Stalled(Duration::from_secs(5)))
        );
        assert_eq!(started.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn time_between_operations_is_not_a_stall() {
        let (a, mut b) = tokio::io::duplex(1024);
        let mut watched = Watched::new(a, Duration::from_secs(5), NO_FLOOR);
        watched.write_all(b"one").await.unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        watched.write_all(b"two").await.unwrap();
        let mut got = [0; 6];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"onetwo");
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_under_the_stall_limit_is_stopped_by_the_floor() {
        let (a, mut b) = tokio::io::duplex(1024);
        let floor = RateFloor {
            rate: 100,
            window: Duration::from_secs(10),
        };
        let mut watched = Watched::new(a, Duration::from_secs(5), floor);
        let trickle = tokio::spawn(async move {
            for _ in 0..100 {
                tokio::time::sleep(Duration::from_secs(4)).await;
                if b.write_all(b"x").await.is_err() {
                    break;
                }
            }
        });
        let mut sink = Vec::new();
        let error = watched.read_to_end(&mut sink).await.unwrap_err();
        assert!(
            matches!(
                DataTimeout::of(&error),
                Some(DataTimeout::TooSlow { moved: 3, .. })
            ),
            "{error:?}"
        );
        trickle.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_window_or_rate_is_off() {
        // Ten seconds without a byte would fail any real window at 10 B/s.
        let mut check = FloorCheck::new(RateFloor {
            rate: 10,
            window: Duration::ZERO,
        });
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(check.moved(0).is_ok());
        let mut check = FloorCheck::new(RateFloor {
            rate: 0,
            window: Duration::from_secs(1),
        });
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(check.moved(0).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn time_the_server_waited_is_not_the_clients() {
        let mut check = FloorCheck::new(RateFloor {
            rate: 10,
            window: Duration::from_secs(10),
        });
        tokio::time::advance(Duration::from_secs(30)).await;
        check.excuse(Duration::from_secs(25));
        // 5 s of the client's time: the window is not over yet.
        assert!(check.moved(1).is_ok());
        tokio::time::advance(Duration::from_secs(5)).await;
        // Now 10 s of the client's own, with 1 byte: below the floor.
        assert!(check.moved(0).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn windows_are_judged_one_by_one() {
        let mut check = FloorCheck::new(RateFloor {
            rate: 10,
            window: Duration::from_secs(10),
        });
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(check.moved(100).is_ok());
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(check.moved(99).is_err());
    }
}
