//! The write side of a control connection, every reply under a deadline.
//!
//! A client that pipelines commands and never reads its replies fills the
//! socket's send buffer, and an unbounded write would then wait forever:
//! the session's login and idle timers are only looked at between
//! commands. So a reply write that makes no progress for the write limit
//! fails, and before login every write ends at the login deadline, whatever
//! the client does.

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

    /// Writes one reply, or fails with `TimedOut` when the client takes
    /// nothing for the write limit (a long reply to a slow reader goes on
    /// as long as bytes move), or when the hard deadline passes.
    pub(crate) async fn send(&mut self, reply: &Reply) -> io::Result<()> {
        let bytes = reply.to_bytes();
        let mut written = 0;
        while written < bytes.len() {
            let deadline = self.deadline();
            match timeout_at(deadline, self.half.write(&bytes[written..])).await {
                Ok(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(Ok(n)) => written += n,
                Ok(Err(error)) => return Err(error),
                Err(_) => return Err(not_read()),
            }
        }
        timeout_at(self.deadline(), self.half.flush())
            .await
            .unwrap_or_else(|_| Err(not_read()))
    }

    /// The end of the next wait: the write limit from now, or the hard
    /// deadline if that comes first.
    fn deadline(&self) -> Instant {
        let soft = Instant::now() + self.limit;
        self.hard.map_or(soft, |hard| hard.min(soft))
    }

    /// Ends the write side, within the same deadlines.
    pub(crate) async fn shutdown(&mut self) {
        let _ = timeout_at(self.deadline(), self.half.shutdown()).await;
    }

    /// The write half, for a TLS upgrade or downgrade.
    pub(crate) fn into_inner(self) -> W {
        self.half
    }
}

fn not_read() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "the client did not read its replies",
    )
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
    async fn a_slow_reader_gets_a_long_reply_while_bytes_move() {
        use tokio::io::AsyncReadExt;
        let (a, mut b) = tokio::io::duplex(64);
        let mut out = ReplyWriter::new(a, Duration::from_secs(30));
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut chunk = [0u8; 64];
            loop {
                // 64 bytes every 20 s: the whole reply takes far longer
                // than the write limit, no single wait does.
                tokio::time::sleep(Duration::from_secs(20)).await;
                match b.read(&mut chunk).await {
                    Ok(0) | Err(_) => return got,
                    Ok(n) => got.extend_from_slice(&chunk[..n]),
                }
            }
        });
        let reply = big_reply();
        out.send(&reply).await.unwrap();
        drop(out);
        assert_eq!(reader.await.unwrap(), reply.to_bytes());
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
