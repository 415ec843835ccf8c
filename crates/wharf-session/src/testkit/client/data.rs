//! The client's side of data connections: where the next one comes from
//! (the offer it dialled, the PORT address it listens at, or the default
//! data port), TLS on it under PROT P, and moving a transfer's bytes in
//! MODE S or MODE B.

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;
use wharf_proto::block::{BlockDecoder, BlockEvent, encode_data, encode_eof};

use super::{Client, DataStream, Pending, WAIT, connector, localhost};

impl Client {
    /// The data connection of a transfer the server has just opened, for
    /// a test that reads or writes it itself (after sending the command
    /// with [`Client::send_raw`] and reading the `150`).
    pub(crate) async fn data_connection(&mut self) -> Box<dyn DataStream> {
        if let Some(kept) = self.kept.take() {
            return kept;
        }
        let plain = match std::mem::replace(&mut self.pending, Pending::None) {
            Pending::Passive(stream) => stream,
            Pending::Active(mut listening) => timeout(WAIT, listening.recv())
                .await
                .expect("the server connects in time")
                .expect("a connection"),
            Pending::None => timeout(WAIT, self.default_port.recv())
                .await
                .expect("the server connects from the default data port in time")
                .expect("a connection"),
        };
        if !self.prot_private {
            return Box::new(plain);
        }
        let config = self.tls.clone().expect("a harness with TLS");
        let tls = timeout(WAIT, connector(config).connect(localhost(), plain))
            .await
            .expect("a data TLS handshake in time")
            .expect("the data connection's TLS handshake");
        Box::new(tls)
    }

    pub(super) async fn transfer(&mut self, upload: Option<&[u8]>) -> Vec<u8> {
        let mut stream = self.data_connection().await;
        let mut received = Vec::new();
        match (upload, self.block) {
            (Some(bytes), false) => {
                // The server may stop reading (a quota, an error): what it
                // says comes on the control connection.
                let _ = timeout(WAIT, stream.write_all(bytes)).await;
                let _ = timeout(WAIT, stream.shutdown()).await;
                // Then waits for the server's end, as a pipe, unlike a
                // socket, fails the server's writes once this end is gone.
                let mut rest = Vec::new();
                let _ = timeout(WAIT, stream.read_to_end(&mut rest)).await;
            }
            (Some(bytes), true) => {
                let mut framed = BytesMut::new();
                encode_data(bytes, &mut framed);
                encode_eof(&mut framed);
                let _ = timeout(WAIT, stream.write_all(&framed)).await;
                let _ = timeout(WAIT, stream.flush()).await;
                self.kept = Some(stream);
            }
            (None, false) => {
                let _ = timeout(WAIT, stream.read_to_end(&mut received))
                    .await
                    .expect("the download ends in time");
            }
            (None, true) => {
                let ended = read_blocks(&mut stream, &mut received).await;
                if ended {
                    self.kept = Some(stream);
                }
            }
        }
        received
    }
}

/// Reads MODE B blocks until the EOF block; false if the connection ended
/// first.
async fn read_blocks(stream: &mut Box<dyn DataStream>, received: &mut Vec<u8>) -> bool {
    let mut decoder = BlockDecoder::new();
    let mut buf = BytesMut::new();
    loop {
        while let Some(event) = decoder.decode(&mut buf).expect("valid MODE B blocks") {
            match event {
                BlockEvent::Data(bytes) => received.extend_from_slice(&bytes),
                BlockEvent::EndOfFile => return true,
                _ => {}
            }
        }
        let mut chunk = [0u8; 8192];
        match timeout(WAIT, stream.read(&mut chunk)).await {
            Ok(Ok(0) | Err(_)) => return false,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => panic!("MODE B data in time"),
        }
    }
}
