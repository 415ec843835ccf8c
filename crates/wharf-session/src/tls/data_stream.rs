//! A PROT P data connection: TLS over the socket, read in large pieces.
//!
//! rustls reads the socket at most one record's room at a time (about
//! 16 KiB, starting at 4 KiB after each drained buffer), and tokio-rustls
//! hands out one record's plaintext per read. An upload of 1 GiB then makes
//! some 65,000 `recvfrom` calls, each with its receive-window ACK, and its
//! pump runs once per 16 KiB: quota, stages and the upload's write for every
//! record rather than for every transfer buffer. Two layers take that away,
//! and change nothing a client can see:
//! - under TLS, the socket is read through a [`CIPHERTEXT_BUFFER`] buffer,
//!   so rustls's small reads are copies from memory;
//! - over TLS, a read takes every record already received, up to the
//!   caller's room, and stops at the first that has not arrived (it never
//!   waits for more than one).
//!
//! Writes go straight through: rustls already encrypts up to 64 KiB of a
//! write into full records and sends them with one vectored write.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, BufReader, ReadBuf};
use tokio_rustls::server::TlsStream;

use crate::link::Link;

/// The socket read size under TLS: four full records, one loopback segment.
pub(crate) const CIPHERTEXT_BUFFER: usize = 64 * 1024;

/// The socket under a data connection's TLS.
pub(crate) type DataLink = BufReader<Link>;

/// A data connection secured with TLS.
#[derive(Debug)]
pub(crate) struct DataStream {
    tls: TlsStream<DataLink>,
    /// An error met after a read had already filled some of the caller's
    /// buffer: returned by the next read, after those bytes.
    deferred: Option<io::Error>,
}

impl DataStream {
    pub(crate) fn new(tls: TlsStream<DataLink>) -> Self {
        Self {
            tls,
            deferred: None,
        }
    }

    /// The TLS stream, e.g. to ask how its handshake went.
    pub(crate) fn tls(&self) -> &TlsStream<DataLink> {
        &self.tls
    }
}

/// `link` read through the ciphertext buffer.
pub(crate) fn buffered(link: Link) -> DataLink {
    BufReader::with_capacity(CIPHERTEXT_BUFFER, link)
}

impl AsyncRead for DataStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(error) = this.deferred.take() {
            return Poll::Ready(Err(error));
        }
        let start = buf.filled().len();
        loop {
            let before = buf.filled().len();
            match Pin::new(&mut this.tls).poll_read(cx, buf) {
                // Nothing more arrived (or the stream ended): hand out what
                // this call gathered, if anything.
                Poll::Pending if before > start => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(())) if buf.filled().len() == before => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) if buf.remaining() == 0 => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) if before > start => {
                    this.deferred = Some(error);
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
            }
        }
    }
}

impl AsyncWrite for DataStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tls).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tls).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tls.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tls).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tls).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rustls::pki_types::ServerName;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::TlsConnector;

    use super::*;
    use crate::tls::{CertificatePem, TlsConfig};

    /// A server data stream and the client's end of it, over a pipe.
    async fn pair() -> (
        DataStream,
        tokio_rustls::client::TlsStream<tokio::io::DuplexStream>,
    ) {
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let pem = CertificatePem {
            chain: generated.cert.pem().into_bytes(),
            key: generated.signing_key.serialize_pem().into_bytes(),
        };
        let server = TlsConfig::new(&pem).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(generated.cert.der().clone()).unwrap();
        let client = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let (ours, theirs) = tokio::io::duplex(1 << 20);
        let name = ServerName::try_from("localhost").unwrap();
        let (accepted, connected) = tokio::join!(
            server.accept_data(crate::link::pipe(ours), [7; 16], false),
            TlsConnector::from(Arc::new(client)).connect(name, theirs)
        );
        (accepted.unwrap(), connected.unwrap())
    }

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
