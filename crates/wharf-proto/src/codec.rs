//! `tokio_util::codec` adapters (feature `tokio-codec`, on by default).
//!
//! [`ServerCodec`] turns a control connection into a stream of commands and a
//! sink of replies; [`ClientCodec`] does the reverse. Per-line errors (an
//! unknown verb, a bad argument, an overlong line) are items of the stream,
//! `Err` inside `Some`, so the stream goes on after them: `FramedRead` ends
//! a stream on its first `Error`, which is kept for I/O failures.

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use crate::command::{Command, CommandDecoder};
use crate::error::{DecodeError, ReplyError};
use crate::reply::{Reply, ReplyDecoder};

/// Server side: decodes [`Command`]s, encodes [`Reply`]s.
#[derive(Debug, Clone, Default)]
pub struct ServerCodec {
    decoder: CommandDecoder,
}

impl ServerCodec {
    /// A codec whose command lines hold at most `max_line` bytes.
    pub fn new(max_line: usize) -> Self {
        Self {
            decoder: CommandDecoder::new(max_line),
        }
    }
}

impl Decoder for ServerCodec {
    type Item = Result<Command, DecodeError>;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        Ok(self.decoder.decode(src).transpose())
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        Ok(self.decoder.decode_eof(src).transpose())
    }
}

impl Encoder<&Reply> for ServerCodec {
    type Error = std::io::Error;

    fn encode(&mut self, reply: &Reply, dst: &mut BytesMut) -> Result<(), Self::Error> {
        let mut out = Vec::with_capacity(64);
        reply.encode(&mut out);
        dst.extend_from_slice(&out);
        Ok(())
    }
}

impl Encoder<Reply> for ServerCodec {
    type Error = std::io::Error;

    fn encode(&mut self, reply: Reply, dst: &mut BytesMut) -> Result<(), Self::Error> {
        Encoder::<&Reply>::encode(self, &reply, dst)
    }
}

/// Client side: decodes [`Reply`]s, encodes [`Command`]s.
#[derive(Debug, Clone, Default)]
pub struct ClientCodec {
    decoder: ReplyDecoder,
}

impl ClientCodec {
    /// A codec with limits per reply line and per whole reply, in bytes.
    pub fn new(max_line: usize, max_reply: usize) -> Self {
        Self {
            decoder: ReplyDecoder::new(max_line, max_reply),
        }
    }
}

impl Decoder for ClientCodec {
    type Item = Result<Reply, ReplyError>;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        Ok(self.decoder.decode(src).transpose())
    }
}

impl Encoder<&Command> for ClientCodec {
    type Error = std::io::Error;

    fn encode(&mut self, command: &Command, dst: &mut BytesMut) -> Result<(), Self::Error> {
        let mut out = Vec::with_capacity(64);
        command.encode(&mut out);
        dst.extend_from_slice(&out);
        Ok(())
    }
}

impl Encoder<Command> for ClientCodec {
    type Error = std::io::Error;

    fn encode(&mut self, command: Command, dst: &mut BytesMut) -> Result<(), Self::Error> {
        Encoder::<&Command>::encode(self, &command, dst)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_util::codec::{FramedRead, FramedWrite};

    use super::*;
    use crate::reply::ReplyCode;

    #[tokio::test]
    async fn server_stream_survives_bad_lines() {
        let (mut client, server) = tokio::io::duplex(64);
        let writer = tokio::spawn(async move {
            client
                .write_all(b"NOOP\r\nBOGUS\r\nRETR a\r\n")
                .await
                .unwrap();
            client.write_all(&[b'x'; 100]).await.unwrap();
            client.write_all(b"\r\nQUIT\r\n").await.unwrap();
        });
        let mut commands = FramedRead::new(server, ServerCodec::new(32));
        let mut got = Vec::new();
        while let Some(item) = commands.next().await {
            got.push(item.unwrap());
        }
        writer.await.unwrap();
        assert_eq!(got.len(), 5, "{got:?}");
        assert_eq!(got[0], Ok(Command::Noop));
        assert!(matches!(got[1], Err(DecodeError::UnknownVerb { .. })));
        assert!(matches!(got[2], Ok(Command::Retr(_))));
        assert_eq!(got[3], Err(DecodeError::LineTooLong { limit: 32 }));
        assert_eq!(got[4], Ok(Command::Quit));
    }

    #[tokio::test]
    async fn client_sends_commands_and_reads_replies() {
        let (client, mut server) = tokio::io::duplex(1024);
        let mut sink = FramedWrite::new(client, ClientCodec::default());
        sink.send(Command::Noop).await.unwrap();
        drop(sink);
        let mut sent = Vec::new();
        server.read_to_end(&mut sent).await.unwrap();
        assert_eq!(sent, b"NOOP\r\n");

        let input: &[u8] = b"211-Features:\r\n UTF8\r\n211 End\r\n";
        let mut replies = FramedRead::new(input, ClientCodec::default());
        let reply = replies.next().await.unwrap().unwrap().unwrap();
        assert_eq!(reply.code(), ReplyCode::SYSTEM_STATUS);
        assert_eq!(reply.lines().len(), 3);
    }
}
