//! Reading the control connection past a TCP urgent mark.
//!
//! Clients send `ABOR` as urgent data: Python's ftplib sends the whole
//! `ABOR\r\n` with `MSG_OOB`, lftp sends `IAC DM` that way. With
//! `SO_OOBINLINE` the urgent byte stays in the stream, but Linux ends a
//! `recv` at the urgent mark, so one read returns `ABOR\r` and leaves the
//! LF queued. tokio takes a short read as proof the socket is drained and
//! waits for the next readiness edge, which never comes for bytes already
//! queued: the command would hang until the client gave up. So after a read
//! that does not end a line, [`ControlReader`] reads once more directly
//! (non-blocking) to pick up what lies past the mark.

use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use socket2::SockRef;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::tcp::OwnedReadHalf;

/// The read half of a control connection, urgent-mark aware.
pub(crate) struct ControlReader {
    inner: OwnedReadHalf,
    /// The extra read found end of stream; report it next.
    eof: bool,
}

impl ControlReader {
    pub(crate) fn new(inner: OwnedReadHalf) -> Self {
        Self { inner, eof: false }
    }
}

impl AsyncRead for ControlReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.eof {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        let ends_line = buf.filled()[before..].last().is_none_or(|&b| b == b'\n');
        if !ends_line && buf.remaining() > 0 {
            let socket = SockRef::from(self.inner.as_ref());
            match (&*socket).read(buf.initialize_unfilled()) {
                Ok(0) => self.eof = true,
                Ok(n) => buf.advance(n),
                // Nothing more yet (WouldBlock) or an error the next
                // ordinary read will report.
                Err(_) => {}
            }
        }
        Poll::Ready(Ok(()))
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
        let (read, _write) = server.into_split();
        let mut reader = ControlReader::new(read);
        // As ftplib's abort() does: the whole line with MSG_OOB, which makes
        // its last byte urgent.
        SockRef::from(&client)
            .send_out_of_band(b"ABOR\r\n")
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        tokio::time::timeout(Duration::from_secs(5), async {
            while !got.ends_with(b"\n") {
                let n = reader.read(&mut buf).await.unwrap();
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
