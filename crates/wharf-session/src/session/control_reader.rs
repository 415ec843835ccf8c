//! Commands from the control connection, with no buffer held while the
//! session idles.
//!
//! tokio-util's `FramedRead` keeps an 8 KiB buffer for the life of the
//! connection, most of an idle session's memory. Here each read goes into
//! a stack buffer inside `poll_next`; only the bytes of a line not yet
//! complete are kept (in a buffer exactly as large as they need), and that
//! buffer is freed as soon as it is empty again. A command that arrives in
//! one segment, as nearly all do, is decoded without any allocation for it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::BytesMut;
use futures_core::Stream;
use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::codec::Decoder;
use wharf_proto::codec::ServerCodec;
use wharf_proto::{Command, DecodeError};

/// How much one read takes from the socket (on the stack).
const READ_CHUNK: usize = 2048;

/// Decoded commands from `R`.
pub(crate) struct ControlReader<R> {
    io: R,
    codec: ServerCodec,
    /// Bytes read and not decoded yet; empty (no allocation) between
    /// commands.
    pending: BytesMut,
    eof: bool,
}

impl<R> ControlReader<R> {
    pub(crate) fn new(io: R, max_line: usize) -> Self {
        Self {
            io,
            codec: ServerCodec::new(max_line),
            pending: BytesMut::new(),
            eof: false,
        }
    }

    /// Bytes the client sent that no command has used yet.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.pending
    }

    pub(crate) fn into_inner(self) -> R {
        self.io
    }

    /// One command from `pending`, freeing the buffer once it is used up.
    fn decode(&mut self) -> io::Result<Option<Result<Command, DecodeError>>> {
        let item = if self.eof {
            self.codec.decode_eof(&mut self.pending)?
        } else {
            self.codec.decode(&mut self.pending)?
        };
        if self.pending.is_empty() && self.pending.capacity() > 0 {
            self.pending = BytesMut::new();
        }
        Ok(item)
    }
}

impl<R: AsyncRead + Unpin> Stream for ControlReader<R> {
    type Item = io::Result<Result<Command, DecodeError>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.decode()? {
                return Poll::Ready(Some(Ok(item)));
            }
            if this.eof {
                return Poll::Ready(None);
            }
            let mut chunk = [0u8; READ_CHUNK];
            let mut buf = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.io).poll_read(cx, &mut buf))?;
            if buf.filled().is_empty() {
                this.eof = true;
            } else {
                this.pending.extend_from_slice(buf.filled());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;

    use super::*;

    #[tokio::test]
    async fn commands_split_and_joined_across_reads_decode_and_nothing_is_kept() {
        let (client, server) = tokio::io::duplex(64);
        let mut reader = ControlReader::new(server, 512);
        let mut client = client;
        client.write_all(b"NOOP\r\nPW").await.expect("write");
        let first = reader.next().await.expect("a command").expect("read");
        assert!(matches!(first, Ok(Command::Noop)));
        // "PW" waits for the rest of its line.
        client.write_all(b"D\r\n").await.expect("write");
        let second = reader.next().await.expect("a command").expect("read");
        assert!(matches!(second, Ok(Command::Pwd)));
        assert!(reader.pending().is_empty());
        assert_eq!(reader.pending.capacity(), 0, "the buffer was not freed");
        client.write_all(b"QUIT").await.expect("write");
        drop(client);
        // A last line without CRLF at end of stream still counts.
        let last = reader.next().await.expect("a command").expect("read");
        assert!(matches!(last, Ok(Command::Quit)));
        assert!(reader.next().await.is_none());
    }

    #[tokio::test]
    async fn an_overlong_line_is_refused_without_growing_without_bound() {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        let mut reader = ControlReader::new(server, 512);
        client.write_all(&[b'A'; 200_000]).await.expect("write");
        client.write_all(b"\r\nNOOP\r\n").await.expect("write");
        let first = reader.next().await.expect("an item").expect("read");
        assert!(first.is_err(), "an over-long line must be an error");
        // Discarded as it arrives: never more than a read or two is held.
        assert!(
            reader.pending.capacity() <= 2 * READ_CHUNK,
            "{}",
            reader.pending.capacity()
        );
        let second = reader.next().await.expect("an item").expect("read");
        assert!(matches!(second, Ok(Command::Noop)), "{second:?}");
        assert_eq!(reader.pending.capacity(), 0, "the buffer was not freed");
    }
}
