//! The data connection a session has prepared for its next transfer.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tracing::warn;

use super::active;
use super::ports::{DataPorts, PassiveOffer};
use crate::link::{self, Link};
use crate::observe::{HandshakeResult, SessionEcho};
use crate::proxy::{ListenerKind, ProxyProtocol, read_client};
use crate::tls::{DataTlsError, SessionToken, TlsConfig};

/// Set up by PASV/EPSV (an offer) or PORT/EPRT (an address); used, and
/// so consumed, by the next transfer.
#[derive(Debug, Default)]
pub(crate) enum DataPlan {
    /// Nothing prepared: a transfer now gets `425`.
    #[default]
    None,
    /// A passive port offered to the client, until `expires`.
    Passive {
        offer: Box<dyn PassiveOffer>,
        expires: Instant,
    },
    /// Connect to the client here.
    Active(SocketAddr),
    /// The default data port: connect from `source` to the client's
    /// control address `target` (RFC 959 3.2).
    DefaultPort {
        source: SocketAddr,
        target: SocketAddr,
        lately: active::PairMemory,
    },
    /// A MODE B data connection kept open after its last transfer.
    Open(Box<dyn DataIo>),
    /// A passive offer timed out unused: the client meant passive mode,
    /// so the next transfer gets 425 rather than the default data port.
    Expired,
}

impl std::fmt::Debug for dyn DataIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataIo")
    }
}

/// A data connection, plain or TLS.
pub(crate) trait DataIo: AsyncRead + AsyncWrite + Unpin + Send + Sync {
    /// The plain TCP socket, for zero-copy sends; `None` under TLS.
    fn plain_tcp(&self) -> Option<&TcpStream> {
        None
    }
}

impl DataIo for Link {
    fn plain_tcp(&self) -> Option<&TcpStream> {
        link::socket(self)
    }
}

impl DataIo for crate::tls::DataStream {}

/// TLS on a data connection (PROT P).
#[derive(Debug, Clone)]
pub(crate) struct DataTls {
    pub(crate) config: Arc<TlsConfig>,
    /// The control session's token its data connections must resume (or
    /// a sibling's).
    pub(crate) token: SessionToken,
    pub(crate) require_reuse: bool,
    /// Whether the handshake sends the client session tickets: only on a
    /// connection the server sends on (see `TlsConfig::accept_data`).
    pub(crate) tickets: bool,
    /// Hears how each handshake ended.
    pub(crate) echo: SessionEcho,
}

/// What opening a data connection needs to know of the session.
#[derive(Debug, Clone)]
pub(crate) struct OpenContext {
    /// The control connection's peer; passive connections must come from
    /// its IP when `check_peer` is on.
    pub(crate) peer: IpAddr,
    /// The control connection's local address, to connect from.
    pub(crate) local: IpAddr,
    pub(crate) check_peer: bool,
    pub(crate) timeout: Duration,
    /// Where connections come from.
    pub(crate) ports: Arc<dyn DataPorts>,
    /// Set when PROT P is in force.
    pub(crate) tls: Option<DataTls>,
    /// Passive connections from these balancers start with a PROXY header
    /// naming the client.
    pub(crate) proxy: Option<ProxyProtocol>,
}

impl DataPlan {
    pub(crate) fn is_none(&self) -> bool {
        matches!(self, Self::None)
    }

    pub(crate) fn is_expired(&self) -> bool {
        matches!(self, Self::Expired)
    }

    /// When an unused passive offer should be dropped.
    pub(crate) fn expiry(&self) -> Option<Instant> {
        match self {
            Self::Passive { expires, .. } => Some(*expires),
            _ => None,
        }
    }

    /// Whether this is an open MODE B connection (reused, not opened).
    pub(crate) fn is_open(&self) -> bool {
        matches!(self, Self::Open(_))
    }

    /// Opens the data connection: accepts the client's (passive) or
    /// connects to it (active), then secures it when PROT P is in force.
    pub(crate) async fn open(self, cx: &OpenContext) -> io::Result<Box<dyn DataIo>> {
        let deadline = cx.timeout;
        // The 425 says which way the connection failed: a client behind a
        // NAT or firewall learns that the server dialled it (active, the
        // default port) and where, or that its own dial never came.
        let timed_out = match &self {
            Self::Active(target) | Self::DefaultPort { target, .. } => {
                format!("no data connection to {target} within {deadline:?}")
            }
            _ => format!("no data connection arrived within {deadline:?}"),
        };
        let opened = async {
            match self {
                Self::None | Self::Expired => Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "use PASV, EPSV, PORT or EPRT first",
                )),
                Self::Active(target) => {
                    let link = cx.ports.connect_active(target, cx.local).await?;
                    secure(link, cx).await.map_err(io::Error::other)
                }
                // The offer (a listener, a reservation) is the client's
                // until its connection came.
                Self::Passive { mut offer, .. } => accept_from(offer.as_mut(), cx).await,
                Self::DefaultPort {
                    source,
                    target,
                    lately,
                } => {
                    let link = cx.ports.connect_default(source, target, &lately).await?;
                    secure(link, cx).await.map_err(io::Error::other)
                }
                Self::Open(stream) => Ok(stream),
            }
        };
        tokio::time::timeout(deadline, opened)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, timed_out))?
    }
}

/// TLS on the connection if PROT P is in force.
async fn secure(link: Link, cx: &OpenContext) -> Result<Box<dyn DataIo>, DataTlsError> {
    match &cx.tls {
        None => Ok(Box::new(link)),
        Some(tls) => {
            let accepted = tls
                .config
                .accept_data(link, tls.token, tls.require_reuse, tls.tickets)
                .await;
            tls.echo.data_handshake(match &accepted {
                Ok(_) => HandshakeResult::Completed,
                Err(DataTlsError::NotResumed) => HandshakeResult::ResumptionRefused,
                Err(_) => HandshakeResult::Failed,
            });
            Ok(Box::new(accepted?))
        }
    }
}

/// How long one candidate data connection may take over its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How one candidate data connection ended.
enum Candidate {
    /// Its TLS handshake (if any) ended, or timed out.
    Secured(Result<Result<Box<dyn DataIo>, DataTlsError>, tokio::time::error::Elapsed>),
    /// Refused before: a bad PROXY header, or a foreign client behind one.
    Refused(String),
}

/// Whether `client` is not the control connection's client (when that is
/// checked).
fn foreign(cx: &OpenContext, client: SocketAddr) -> bool {
    cx.check_peer && client.ip().to_canonical() != cx.peer.to_canonical()
}

/// A candidate from a trusted balancer: its PROXY header, the client's
/// check, then TLS.
async fn proxied(
    mut link: Link,
    from: SocketAddr,
    cx: OpenContext,
    proxy: ProxyProtocol,
) -> (SocketAddr, Candidate) {
    let client = match read_client(&mut link, proxy.header_timeout).await {
        Ok(client) => client.unwrap_or(from),
        Err(error) => {
            return (
                from,
                Candidate::Refused(format!("{error} (from the proxy at {from})")),
            );
        }
    };
    if foreign(&cx, client) {
        let why = format!(
            "from a foreign address behind the proxy at {from} (expected {})",
            cx.peer
        );
        return (client, Candidate::Refused(why));
    }
    let secured = tokio::time::timeout(HANDSHAKE_TIMEOUT, secure(link, &cx)).await;
    (client, Candidate::Secured(secured))
}

/// Accepts connections until one comes from the control connection's IP
/// and completes its TLS handshake. Candidates are handshaken side by side,
/// each with its own time limit, so a silent or slow stranger on the
/// client's address cannot hold up the real client; others are closed (a
/// foreign address, a failed handshake). A connection that completes the
/// handshake without resuming the control session ends the wait at once
/// with a clear error: that is almost always the real client, one that
/// cannot resume (stock Python ftplib), and it should hear why now rather
/// than after a timeout.
async fn accept_from(
    offer: &mut dyn PassiveOffer,
    cx: &OpenContext,
) -> io::Result<Box<dyn DataIo>> {
    let mut handshakes = tokio::task::JoinSet::new();
    // An offer that reads PROXY headers itself (a multiplexed port) hands
    // over connections whose header is read and whose address is the
    // client's: reading another would wait for bytes that are file data.
    let proxy = if offer.reads_proxy_headers() {
        None
    } else {
        cx.proxy.clone()
    };
    loop {
        tokio::select! {
            accepted = offer.next() => {
                let (link, from) = accepted?;
                let cx = cx.clone();
                match proxy.clone() {
                    Some(proxy) if proxy.reads(ListenerKind::Passive, from.ip()) => {
                        handshakes.spawn(proxied(link, from, cx, proxy));
                    }
                    _ => {
                        if foreign(&cx, from) {
                            warn!(%from, expected = %cx.peer, "refused a passive data connection from a foreign address");
                            continue;
                        }
                        handshakes.spawn(async move {
                            let secured = tokio::time::timeout(HANDSHAKE_TIMEOUT, secure(link, &cx)).await;
                            (from, Candidate::Secured(secured))
                        });
                    }
                }
            }
            Some(done) = handshakes.join_next(), if !handshakes.is_empty() => {
                let Ok((from, candidate)) = done else { continue };
                let outcome = match candidate {
                    Candidate::Secured(outcome) => outcome,
                    Candidate::Refused(why) => {
                        warn!(%from, why, "refused a passive data connection");
                        continue;
                    }
                };
                match outcome {
                    Ok(Ok(stream)) => return Ok(stream),
                    Ok(Err(error @ DataTlsError::NotResumed)) => {
                        warn!(%from, %error, "refused a passive data connection");
                        return Err(io::Error::other(error));
                    }
                    Ok(Err(error)) => warn!(%from, %error, "refused a passive data connection"),
                    Err(_) => {
                        warn!(%from, "refused a passive data connection: TLS handshake timed out");
                        if let Some(tls) = &cx.tls {
                            tls.echo.data_handshake(HandshakeResult::TimedOut);
                        }
                    }
                }
            }
        }
    }
}
