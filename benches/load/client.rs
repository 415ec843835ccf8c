//! A minimal FTP client for load: wharf-proto's `ClientCodec` on the
//! control connection, EPSV data connections, optional explicit FTPS.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use anyhow::{Context as _, Result, bail};
use futures_util::{SinkExt, StreamExt};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_util::codec::Framed;
use wharf_proto::codec::ClientCodec;
use wharf_proto::extended::parse_epsv_reply;
use wharf_proto::{Command, Reply};

/// Accepts the bench server's self-signed certificate; still checks the
/// handshake signatures.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS client config for the bench (any certificate).
pub fn tls_connector() -> Result<TlsConnector> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// Plain or TLS, for control and data connections alike.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A logged-in FTP session.
pub struct Client {
    control: Framed<Stream, ClientCodec>,
    addr: SocketAddr,
    tls: Option<TlsConnector>,
}

impl Client {
    /// Connects, optionally secures with AUTH TLS + PBSZ 0 + PROT P, and
    /// logs in; TYPE I.
    pub async fn login(
        addr: SocketAddr,
        user: &str,
        password: &str,
        tls: Option<TlsConnector>,
    ) -> Result<Self> {
        let tcp = TcpStream::connect(addr).await.context("connect")?;
        tcp.set_nodelay(true)?;
        let mut client = Self {
            control: Framed::new(Stream::Plain(tcp), ClientCodec::default()),
            addr,
            tls,
        };
        client.expect_reply(220).await?;
        if let Some(connector) = client.tls.clone() {
            client.command("AUTH TLS", 234).await?;
            let Stream::Plain(tcp) = client.control.into_inner() else {
                bail!("already TLS")
            };
            let tls = connector
                .connect(server_name(), tcp)
                .await
                .context("TLS handshake")?;
            client.control = Framed::new(Stream::Tls(Box::new(tls)), ClientCodec::default());
            client.command("PBSZ 0", 200).await?;
            client.command("PROT P", 200).await?;
        }
        client.command(&format!("USER {user}"), 331).await?;
        client.command(&format!("PASS {password}"), 230).await?;
        client.command("TYPE I", 200).await?;
        Ok(client)
    }

    async fn reply(&mut self) -> Result<Reply> {
        match self.control.next().await {
            Some(Ok(Ok(reply))) => Ok(reply),
            Some(Ok(Err(e))) => bail!("bad reply: {e}"),
            Some(Err(e)) => bail!("control connection: {e}"),
            None => bail!("control connection closed"),
        }
    }

    async fn expect_reply(&mut self, code: u16) -> Result<Reply> {
        let reply = self.reply().await?;
        if reply.code().get() != code {
            bail!("expected {code}, got {}", reply.to_string().trim_end());
        }
        Ok(reply)
    }

    /// Sends `line` and expects `code`.
    pub async fn command(&mut self, line: &str, code: u16) -> Result<Reply> {
        let command =
            Command::parse(line.as_bytes()).map_err(|e| anyhow::anyhow!("{line}: {e}"))?;
        self.control.send(command).await?;
        self.expect_reply(code).await
    }

    /// EPSV, then `line` (a transfer command): the open data connection.
    pub async fn transfer(&mut self, line: &str) -> Result<Stream> {
        let reply = self.command("EPSV", 229).await?;
        let port = parse_epsv_reply(reply.lines()[0].as_bytes())?;
        let command =
            Command::parse(line.as_bytes()).map_err(|e| anyhow::anyhow!("{line}: {e}"))?;
        self.control.send(command).await?;
        let tcp = TcpStream::connect((self.addr.ip(), port))
            .await
            .context("data connect")?;
        let data = match &self.tls {
            Some(connector) => Stream::Tls(Box::new(
                connector
                    .connect(server_name(), tcp)
                    .await
                    .context("data TLS")?,
            )),
            None => Stream::Plain(tcp),
        };
        self.expect_reply(150).await?;
        Ok(data)
    }

    /// The final reply of a transfer.
    pub async fn finish(&mut self) -> Result<()> {
        self.expect_reply(226).await.map(|_| ())
    }
}

fn server_name() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("a valid name")
}
