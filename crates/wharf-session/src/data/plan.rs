//! The data connection a session has prepared for its next transfer.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tracing::warn;

use super::active;
use super::socket::tune_data;
use crate::options::Keepalive;

/// Set up by PASV/EPSV (a listener) or PORT/EPRT (an address); used, and
/// so consumed, by the next transfer.
#[derive(Debug, Default)]
pub(crate) enum DataPlan {
    /// Nothing prepared: a transfer now gets `425`.
    #[default]
    None,
    /// A passive listener waiting for the client, until `expires`.
    Passive {
        listener: TcpListener,
        expires: Instant,
    },
    /// Connect to the client here.
    Active(SocketAddr),
}

/// What opening a data connection needs to know of the session.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenContext {
    /// The control connection's peer; passive connections must come from
    /// its IP when `check_peer` is on.
    pub(crate) peer: IpAddr,
    /// The control connection's local address, to connect from.
    pub(crate) local: IpAddr,
    pub(crate) check_peer: bool,
    pub(crate) timeout: Duration,
    pub(crate) keepalive: Option<Keepalive>,
}

impl DataPlan {
    pub(crate) fn is_none(&self) -> bool {
        matches!(self, Self::None)
    }

    /// When an unused passive listener should be dropped.
    pub(crate) fn expiry(&self) -> Option<Instant> {
        match self {
            Self::Passive { expires, .. } => Some(*expires),
            _ => None,
        }
    }

    /// Opens the data connection: accepts the client's (passive) or
    /// connects to it (active).
    pub(crate) async fn open(self, cx: OpenContext) -> io::Result<TcpStream> {
        let stream = match self {
            Self::None => {
                return Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "use PASV, EPSV, PORT or EPRT first",
                ));
            }
            Self::Active(target) => active::connect(target, cx.local, cx.timeout).await?,
            Self::Passive { listener, .. } => {
                tokio::time::timeout(cx.timeout, accept_from(&listener, cx))
                    .await
                    .map_err(|_| {
                        io::Error::new(io::ErrorKind::TimedOut, "no data connection arrived")
                    })??
            }
        };
        tune_data(&stream, cx.keepalive);
        Ok(stream)
    }
}

/// Accepts connections until one comes from the control connection's IP;
/// others are closed at once (they are trying to steal the transfer).
async fn accept_from(listener: &TcpListener, cx: OpenContext) -> io::Result<TcpStream> {
    loop {
        let (stream, from) = listener.accept().await?;
        if !cx.check_peer || from.ip().to_canonical() == cx.peer.to_canonical() {
            return Ok(stream);
        }
        warn!(%from, expected = %cx.peer, "refused a passive data connection from a foreign address");
    }
}
