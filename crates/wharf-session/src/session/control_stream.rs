//! The control connection's byte stream: plain TCP, or TLS after `AUTH TLS`
//! or on the implicit FTPS port.
//!
//! Plain TCP reads past a TCP urgent mark. Clients send `ABOR` as urgent
//! data: Python's ftplib sends the whole `ABOR\r\n` with `MSG_OOB`, lftp
//! sends `IAC DM` that way. With `SO_OOBINLINE` the urgent byte stays in
//! the stream, but Linux ends a `recv` at the urgent mark, so one read
//! returns `ABOR\r` and leaves the LF queued. tokio takes a short read as
//! proof the socket is drained and waits for the next readiness edge, which
//! never comes for bytes already queued: the command would hang until the
//! client gave up. So after a read that does not end a line, the plain
//! stream reads once more directly (non-blocking) to pick up what lies past
//! the mark. TLS records are never read that way: a raw read would bypass
//! the TLS layer.

use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use socket2::SockRef;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::server::TlsStream;

use crate::link::{self, Link};

/// A control connection, plain or encrypted.
pub(crate) enum ControlStream {
    Plain {
        link: Link,
        /// The extra read found end of stream; report it next.
        eof: bool,
    },
    Tls(Box<TlsStream<Link>>),
}

impl ControlStream {
    pub(crate) fn plain(link: Link) -> Self {
        Self::Plain { link, eof: false }
    }
}

impl AsyncRead for ControlStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
            Self::Plain { link, eof } => {
                if *eof {
                    return Poll::Ready(Ok(()));
                }
                let before = buf.filled().len();
                ready!(Pin::new(&mut *link).poll_read(cx, buf))?;
                let ends_line = buf.filled()[before..].last().is_none_or(|&b| b == b'\n');
                // Only a socket has an urgent mark to read past.
                if let Some(tcp) = link::socket(link)
                    && !ends_line
                    && buf.remaining() > 0
                {
                    match (&*SockRef::from(tcp)).read(buf.initialize_unfilled()) {
                        Ok(0) => *eof = true,
                        Ok(n) => buf.advance(n),
                        // Nothing more yet (WouldBlock) or an error the next
                        // ordinary read will report.
                        Err(_) => {}
                    }
                }
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl AsyncWrite for ControlStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain { link, .. } => Pin::new(link).poll_write(cx, buf),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain { link, .. } => Pin::new(link).poll_flush(cx),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain { link, .. } => Pin::new(link).poll_shutdown(cx),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    use super::*;

    #[tokio::test]
    async fn a_line_whose_end_is_urgent_data_is_read_whole() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::net::TcpStream::connect(addr).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        SockRef::from(&server).set_out_of_band_inline(true).unwrap();
        let mut stream = ControlStream::plain(link::tcp(server));
        // As ftplib's abort() does: the whole line with MSG_OOB, which makes
        // its last byte urgent.
        SockRef::from(&client)
            .send_out_of_band(b"ABOR\r\n")
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        tokio::time::timeout(Duration::from_secs(5), async {
            while !got.ends_with(b"\n") {
                let n = stream.read(&mut buf).await.unwrap();
                assert!(n > 0, "unexpected end of stream");
                got.extend_from_slice(&buf[..n]);
            }
        })
        .await
        .expect("the urgent LF must not be left behind");
        assert_eq!(got, b"ABOR\r\n");
        drop(client);
    }
}
