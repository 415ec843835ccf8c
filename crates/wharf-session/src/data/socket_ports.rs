//! [`DataPorts`] over real sockets: passive listeners from the port range
//! (or reservations on multiplexed ports), and outgoing TCP connections.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::net::TcpListener;

use super::active::{self, PairMemory};
use super::multiplex::{Multiplexer, Ticket};
use super::passive::PassivePorts;
use super::passive_claims::PassiveClaim;
use super::ports::{DataPorts, PassiveOffer, PassiveRefusal};
use super::socket::tune_data;
use crate::link::{self, Link};
use crate::options::Keepalive;
use crate::proxy::ProxyProtocol;

/// The server's data ports.
#[derive(Debug)]
pub(crate) struct SocketPorts {
    pub(crate) passive: PassivePorts,
    /// Shared passive ports, when multiplexing is on.
    pub(crate) multiplexer: Option<Arc<Multiplexer>>,
    /// How long a client at its cap of pending passive ports waits for one.
    pub(crate) wait: Duration,
    pub(crate) keepalive: Option<Keepalive>,
    /// How long an active connect may take.
    pub(crate) connect_timeout: Duration,
}

#[async_trait]
impl DataPorts for SocketPorts {
    async fn offer_passive(
        &self,
        local: IpAddr,
        client: IpAddr,
    ) -> Result<Box<dyn PassiveOffer>, PassiveRefusal> {
        if let Some(multiplexer) = &self.multiplexer {
            let ticket = multiplexer
                .reserve(client, self.wait)
                .await
                .ok_or(PassiveRefusal::AllPending)?;
            return Ok(Box::new(TicketOffer {
                ticket,
                keepalive: self.keepalive,
            }));
        }
        let (listener, claim) = self.passive.bind_for(local, client, self.wait).await?;
        let port = listener.local_addr()?.port();
        Ok(Box::new(ListenerOffer {
            listener,
            port,
            _claim: claim,
            keepalive: self.keepalive,
        }))
    }

    async fn connect_active(&self, target: SocketAddr, local: IpAddr) -> io::Result<Link> {
        let tcp = active::connect(target, local, self.connect_timeout).await?;
        tune_data(&tcp, self.keepalive);
        Ok(link::tcp(tcp))
    }

    async fn connect_default(
        &self,
        source: SocketAddr,
        target: SocketAddr,
        lately: &PairMemory,
    ) -> io::Result<Link> {
        let tcp = active::connect_from(source, target, lately).await?;
        tune_data(&tcp, self.keepalive);
        Ok(link::tcp(tcp))
    }

    fn waiting(&self) -> (usize, usize) {
        let reservations = self.multiplexer.as_ref().map_or(0, |m| m.pending());
        (self.passive.held(), reservations)
    }

    fn set_proxy(&self, proxy: Option<ProxyProtocol>) {
        if let Some(multiplexer) = &self.multiplexer {
            multiplexer.set_proxy(proxy);
        }
    }
}

/// A listener of the session's own.
#[derive(Debug)]
struct ListenerOffer {
    listener: TcpListener,
    port: u16,
    /// Counts the listener against the client address's cap while it lives.
    _claim: PassiveClaim,
    keepalive: Option<Keepalive>,
}

#[async_trait]
impl PassiveOffer for ListenerOffer {
    fn port(&self) -> u16 {
        self.port
    }

    async fn next(&mut self) -> io::Result<(Link, SocketAddr)> {
        let (tcp, from) = self.listener.accept().await?;
        tune_data(&tcp, self.keepalive);
        Ok((link::tcp(tcp), from))
    }
}

/// A reservation on a multiplexed port: one connection, from the client's
/// address (the multiplexer matched it).
#[derive(Debug)]
struct TicketOffer {
    ticket: Ticket,
    keepalive: Option<Keepalive>,
}

#[async_trait]
impl PassiveOffer for TicketOffer {
    fn port(&self) -> u16 {
        self.ticket.port
    }

    async fn next(&mut self) -> io::Result<(Link, SocketAddr)> {
        let (tcp, from) = self.ticket.connection().await?;
        tune_data(&tcp, self.keepalive);
        Ok((link::tcp(tcp), from))
    }

    /// The multiplexer read the header (when the peer is a trusted
    /// balancer) to match the connection to its reservation.
    fn reads_proxy_headers(&self) -> bool {
        true
    }
}
