//! How a session reaches the network for its data connections.
//!
//! Command handlers never bind or connect. PASV and EPSV ask for a
//! [`PassiveOffer`] (a port the client may connect to), PORT and EPRT only
//! record a target once the bounce rules accept it
//! (`active::check_target`), and the transfer connects through
//! [`DataPorts`] when it opens. The server's implementation uses sockets
//! (`socket_ports.rs`); the engine's tests use in-process pipes, so a whole
//! session, data connections included, runs without a socket.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};

use async_trait::async_trait;

use super::active::PairMemory;
use crate::link::Link;
use crate::proxy::ProxyProtocol;

/// Where data connections come from.
#[async_trait]
pub(crate) trait DataPorts: Send + Sync + fmt::Debug {
    /// A passive port on `local` (the control connection's local address)
    /// for `client` to connect to.
    async fn offer_passive(
        &self,
        local: IpAddr,
        client: IpAddr,
    ) -> Result<Box<dyn PassiveOffer>, PassiveRefusal>;

    /// Connects to an active-mode target (PORT, EPRT) from `local`'s
    /// address.
    async fn connect_active(&self, target: SocketAddr, local: IpAddr) -> io::Result<Link>;

    /// Connects from the default data port `source` to the client's
    /// control address `target` (RFC 959 3.2); `lately` remembers whether
    /// that pair of ports was busy last time.
    async fn connect_default(
        &self,
        source: SocketAddr,
        target: SocketAddr,
        lately: &PairMemory,
    ) -> io::Result<Link>;

    /// Passive listeners and multiplexed reservations waiting now.
    fn waiting(&self) -> (usize, usize) {
        (0, 0)
    }

    /// The PROXY protocol settings after a reload, for ports that read
    /// headers outside any session (multiplexed ports).
    fn set_proxy(&self, _proxy: Option<ProxyProtocol>) {}
}

/// A passive port offered to one client, until it is dropped.
#[async_trait]
pub(crate) trait PassiveOffer: Send + Sync + fmt::Debug {
    /// The port announced in the `227` or `229` reply.
    fn port(&self) -> u16;

    /// The next connection to the port, and where it came from. Cancel-safe.
    /// An offer with nothing more to give waits forever: the caller's
    /// timeout ends the wait.
    async fn next(&mut self) -> io::Result<(Link, SocketAddr)>;

    /// Whether the offer reads the PROXY headers of its connections itself
    /// (and so gives the client's address, not the balancer's).
    fn reads_proxy_headers(&self) -> bool {
        false
    }
}

/// Why no passive port was offered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PassiveRefusal {
    /// The client's address holds its share of listeners already.
    #[error("your address already holds {0} passive ports waiting for connections")]
    ClientCap(usize),
    /// Every shared (multiplexed) port has a connection pending from the
    /// client's address.
    #[error("every passive port already has a connection pending from your address; try again")]
    AllPending,
    /// Binding failed (every port in use, or another error).
    #[error("{0}")]
    Bind(#[from] io::Error),
}
