//! A stream that counts the bytes read from and written to it: the control
//! connection's traffic, for the login's usage.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// `inner`, adding every byte that passes either way to `bytes`.
pub(crate) struct Counted<S> {
    inner: S,
    bytes: Arc<AtomicU64>,
}

impl<S> Counted<S> {
    pub(crate) fn new(inner: S, bytes: Arc<AtomicU64>) -> Self {
        Self { inner, bytes }
    }

    pub(crate) fn into_inner(self) -> S {
        self.inner
    }

    fn add(&self, n: usize) {
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        this.add(buf.filled().len() - before);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
        this.add(n);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn both_directions_are_counted() {
        let (a, mut b) = tokio::io::duplex(64);
        let bytes = Arc::new(AtomicU64::new(0));
        let mut counted = Counted::new(a, bytes.clone());
        counted.write_all(b"220 hi\r\n").await.expect("write");
        b.write_all(b"NOOP\r\n").await.expect("write");
        let mut buf = [0u8; 6];
        counted.read_exact(&mut buf).await.expect("read");
        assert_eq!(bytes.load(Ordering::Relaxed), 14);
    }
}
