//! A minimal FTP client for load: wharf-proto's `ClientCodec` on the
//! control connection, EPSV data connections, optional explicit FTPS.

use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use anyhow::{Context as _, Result, bail};
use futures_util::{SinkExt, StreamExt};
use rustls::HandshakeKind;
use rustls::client::Resumption;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_util::codec::Framed;
use wharf_proto::codec::ClientCodec;
use wharf_proto::extended::parse_epsv_reply;
use wharf_proto::{Command, Reply};

/// A TLS client config for the bench (any certificate: the bench server's
/// is self-signed).
pub fn tls_connector() -> Result<TlsConnector> {
    let config = wharf_test_support::any_certificate_client()?;
    Ok(TlsConnector::from(Arc::new(config)))
}

/// A connector for one session, sharing `base`'s settings but with a
/// session store of its own: an FTPS client resumes its control
/// connection's TLS session on each data connection (what servers that
/// require reuse check), and a store shared by all sessions of the bench
/// would hand one session's tickets to another's data connections.
fn session_connector(base: &TlsConnector) -> TlsConnector {
    let mut config = (**base.config()).clone();
    config.resumption = Resumption::in_memory_sessions(16);
    TlsConnector::from(Arc::new(config))
}

/// Data-connection TLS handshakes so far, and how many of them resumed a
/// session.
static DATA_HANDSHAKES: AtomicU64 = AtomicU64::new(0);
static DATA_RESUMED: AtomicU64 = AtomicU64::new(0);

/// Data-connection handshakes since the last call: `(resumed, all)`.
pub fn take_data_handshakes() -> (u64, u64) {
    let all = DATA_HANDSHAKES.swap(0, Ordering::Relaxed);
    let resumed = DATA_RESUMED.swap(0, Ordering::Relaxed);
    (resumed, all)
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

/// One control connection, logged in or not.
pub struct Client {
    control: Framed<Stream, ClientCodec>,
    addr: SocketAddr,
    /// The local address every connection of this session is bound to, so
    /// that load spreads over several loopback sources (per-IP limits) and
    /// data connections come from the control connection's address.
    source: Option<IpAddr>,
    tls: Option<TlsConnector>,
}

/// A TCP connection to `addr`, from `source` when given.
async fn connect_from(source: Option<IpAddr>, addr: SocketAddr) -> Result<TcpStream> {
    let Some(source) = source else {
        return Ok(TcpStream::connect(addr).await?);
    };
    let socket = match source {
        IpAddr::V4(_) => TcpSocket::new_v4()?,
        IpAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket
        .bind(SocketAddr::new(source, 0))
        .with_context(|| format!("bind to {source}"))?;
    Ok(socket.connect(addr).await?)
}

impl Client {
    /// Connects (from `source` when given) and reads the greeting; with
    /// `tls`, secures the control connection with AUTH TLS + PBSZ 0 +
    /// PROT P. Not logged in yet.
    pub async fn connect(
        addr: SocketAddr,
        source: Option<IpAddr>,
        tls: Option<TlsConnector>,
    ) -> Result<Self> {
        let tcp = connect_from(source, addr).await.context("connect")?;
        tcp.set_nodelay(true)?;
        let mut client = Self {
            control: Framed::new(Stream::Plain(tcp), ClientCodec::default()),
            addr,
            source,
            tls: tls.as_ref().map(session_connector),
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
        Ok(client)
    }

    /// USER and PASS.
    pub async fn log_in(&mut self, user: &str, password: &str) -> Result<()> {
        self.command(&format!("USER {user}"), 331).await?;
        self.command(&format!("PASS {password}"), 230).await?;
        Ok(())
    }

    /// Connects, logs in and sets TYPE I: ready for transfers.
    pub async fn open(
        addr: SocketAddr,
        source: Option<IpAddr>,
        user: &str,
        password: &str,
        tls: Option<TlsConnector>,
    ) -> Result<Self> {
        let mut client = Self::connect(addr, source, tls).await?;
        client.log_in(user, password).await?;
        client.command("TYPE I", 200).await?;
        Ok(client)
    }

    /// QUIT and its 221.
    pub async fn quit(mut self) -> Result<()> {
        self.command("QUIT", 221).await.map(|_| ())
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
        self.expect_reply(code)
            .await
            .with_context(|| line.split(' ').next().unwrap_or(line).to_owned())
    }

    /// The size the server reports for `path` (SIZE).
    pub async fn size(&mut self, path: &str) -> Result<u64> {
        let reply = self.command(&format!("SIZE {path}"), 213).await?;
        let line = reply
            .lines()
            .first()
            .context("an empty 213 reply")?
            .to_string_lossy();
        line.trim()
            .parse()
            .with_context(|| format!("SIZE reply {line:?}"))
    }

    /// EPSV, then `line` (a transfer command): the open data connection.
    /// A 125 or 150 preliminary reply is accepted.
    pub async fn transfer(&mut self, line: &str) -> Result<Stream> {
        let reply = self.command("EPSV", 229).await?;
        let first = reply.lines().first().context("an empty 229 reply")?;
        let port = parse_epsv_reply(first.as_bytes())?;
        let command =
            Command::parse(line.as_bytes()).map_err(|e| anyhow::anyhow!("{line}: {e}"))?;
        self.control.send(command).await?;
        let tcp = connect_from(self.source, SocketAddr::new(self.addr.ip(), port))
            .await
            .context("data connect")?;
        let data = match &self.tls {
            Some(connector) => {
                let tls = connector
                    .connect(server_name(), tcp)
                    .await
                    .context("data TLS")?;
                DATA_HANDSHAKES.fetch_add(1, Ordering::Relaxed);
                if tls.get_ref().1.handshake_kind() == Some(HandshakeKind::Resumed) {
                    DATA_RESUMED.fetch_add(1, Ordering::Relaxed);
                }
                Stream::Tls(Box::new(tls))
            }
            None => Stream::Plain(tcp),
        };
        let reply = self.reply().await?;
        let code = reply.code().get();
        if code != 150 && code != 125 {
            bail!("{line}: expected 150, got {}", reply.to_string().trim_end());
        }
        Ok(data)
    }

    /// Ends an upload: shuts down the sending side (with TLS, close_notify
    /// first) and reads until the server closes its side, so that nothing
    /// the server sent (TLS 1.3 session tickets, its close_notify) is left
    /// unread: closing a socket with unread data resets the connection, and
    /// a reset can throw away upload data the server has not read yet.
    pub async fn end_upload(mut data: Stream) -> Result<()> {
        data.shutdown().await.context("data shutdown")?;
        let mut buf = [0u8; 4096];
        loop {
            match data.read(&mut buf).await {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                // Some servers close without close_notify once they have
                // everything.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(e) => return Err(e).context("data connection after upload"),
            }
        }
    }

    /// The final reply of a transfer.
    pub async fn finish(&mut self) -> Result<()> {
        self.expect_reply(226)
            .await
            .map(|_| ())
            .context("end of transfer")
    }
}

fn server_name() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("a valid name")
}
