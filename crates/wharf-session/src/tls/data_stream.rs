//! A PROT P data connection: TLS over the socket, read in large pieces.
//!
//! rustls reads the socket with at most one record's room (4 KiB after each
//! drained buffer, growing to about 16 KiB), so an upload of 1 GiB made
//! some 65,000 `recvfrom` calls, each letting the kernel send a window
//! update. Under TLS the socket is read through a [`CIPHERTEXT_BUFFER`]
//! buffer instead, and rustls's small reads are copies from memory; nothing
//! a client can see changes. tokio-rustls's server stream already hands a
//! read every record received so far, and defers an error met after some
//! bytes to the next read; writes go straight through (rustls encrypts up
//! to 64 KiB of a write into full records and sends them with one vectored
//! write).

use tokio::io::BufReader;
use tokio_rustls::server::TlsStream;

use crate::link::Link;

/// The socket read size under TLS: four full records, one loopback segment.
pub(crate) const CIPHERTEXT_BUFFER: usize = 64 * 1024;

/// A data connection secured with TLS.
pub(crate) type DataStream = TlsStream<BufReader<Link>>;

/// `link` read through the ciphertext buffer.
pub(crate) fn buffered(link: Link) -> BufReader<Link> {
    BufReader::with_capacity(CIPHERTEXT_BUFFER, link)
}

#[cfg(test)]
mod tests {
    use std::io;

    use rustls::pki_types::ServerName;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::TlsConnector;

    use super::*;

    /// A server data stream and the client's end of it, over a pipe.
    async fn pair() -> (
        DataStream,
        tokio_rustls::client::TlsStream<tokio::io::DuplexStream>,
    ) {
        let (server, client) = crate::testkit::certificates();
        let (ours, theirs) = tokio::io::duplex(1 << 20);
        let name = ServerName::try_from("localhost").unwrap();
        let (accepted, connected) = tokio::join!(
            server.accept_data(crate::link::pipe(ours), [7; 16], false, false),
            TlsConnector::from(client).connect(name, theirs)
        );
        (accepted.unwrap(), connected.unwrap())
    }

    #[tokio::test]
    async fn the_socket_is_read_in_pieces_larger_than_a_record() {
        let (mut server, mut client) = pair().await;
        client.write_all(&[9; 200_000]).await.unwrap();
        client.flush().await.unwrap();
        let mut buf = [0; 20];
        server.read_exact(&mut buf).await.unwrap();
        // One record went to rustls; the rest of one socket read waits in
        // the buffer.
        let (link, _) = server.get_ref();
        assert!(link.buffer().len() >= 32 * 1024, "{}", link.buffer().len());
    }

    /// The upload pump relies on this: one read of its buffer takes many
    /// records, not one.
    #[tokio::test]
    async fn one_read_takes_every_record_that_arrived() {
        let (mut server, mut client) = pair().await;
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        client.write_all(&data).await.unwrap();
        client.flush().await.unwrap();
        let mut buf = vec![0; 256 * 1024];
        let n = server.read(&mut buf).await.unwrap();
        assert_eq!(n, data.len(), "one read, 13 records");
        assert_eq!(&buf[..n], &data[..]);
    }

    /// A TLS upload that ends with TCP FIN and no close_notify keeps every
    /// byte sent before it; the error comes after them.
    #[tokio::test]
    async fn an_error_after_data_comes_with_the_next_read() {
        let (mut server, mut client) = pair().await;
        client.write_all(&[5; 40_000]).await.unwrap();
        client.flush().await.unwrap();
        // The pipe closes without close_notify.
        drop(client);
        let mut buf = vec![0; 256 * 1024];
        assert_eq!(server.read(&mut buf).await.unwrap(), 40_000);
        let error = server.read(&mut buf).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }
}
