//! The write side of a control connection, every reply under a deadline.
//!
//! A client that pipelines commands and never reads its replies fills the
//! socket's send buffer, and an unbounded write would then wait forever:
//! the session's login and idle timers are only looked at between
//! commands. So each reply must be written within the write limit, and
//! before login also before the login deadline, whatever the client does.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};
use wharf_proto::Reply;

/// A control connection's write half with its deadlines.
pub(crate) struct ReplyWriter<W> {
    half: W,
    limit: Duration,
    hard: Option<Instant>,
}

impl<W: AsyncWrite + Unpin> ReplyWriter<W> {
    pub(crate) fn new(half: W, limit: Duration) -> Self {
        Self {
            half,
            limit,
            hard: None,
        }
    }

    /// A deadline no write may pass (the login deadline), or none.
    pub(crate) fn set_hard_deadline(&mut self, hard: Option<Instant>) {
        self.hard = hard;
    }

    /// Writes one reply, or fails with `TimedOut` when the client does not
    /// take it in time.
    pub(crate) async fn send(&mut self, reply: &Reply) -> io::Result<()> {
        let soft = Instant::now() + self.limit;
        let deadline = self.hard.map_or(soft, |hard| hard.min(soft));
        let bytes = reply.to_bytes();
        let write = async {
            self.half.write_all(&bytes).await?;
            self.half.flush().await
        };
        timeout_at(deadline, write).await.unwrap_or_else(|_| {
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client did not read its replies",
            ))
        })
    }

    /// Ends the write side, within the same deadlines.
    pub(crate) async fn shutdown(&mut self) {
        let soft = Instant::now() + self.limit;
        let deadline = self.hard.map_or(soft, |hard| hard.min(soft));
        let _ = timeout_at(deadline, self.half.shutdown()).await;
    }

    /// The write half, for a TLS upgrade or downgrade.
    pub(crate) fn into_inner(self) -> W {
        self.half
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_proto::ReplyCode;

    fn big_reply() -> Reply {
        Reply::new(ReplyCode::OK, &"x".repeat(4000))
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_never_reads_times_out() {
        let (a, _b) = tokio::io::duplex(64);
        let mut out = ReplyWriter::new(a, Duration::from_secs(30));
        let started = Instant::now();
        let error = out.send(&big_reply()).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn the_hard_deadline_cuts_the_write_limit_short() {
        let (a, _b) = tokio::io::duplex(64);
        let mut out = ReplyWriter::new(a, Duration::from_secs(30));
        let started = Instant::now();
        out.set_hard_deadline(Some(started + Duration::from_secs(3)));
        assert!(out.send(&big_reply()).await.is_err());
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }
}
