//! Multiplexed passive ports: a few fixed ports serve every client.
//!
//! Seed 000's Azure worker role could expose five endpoints in all; a port
//! per PASV was impossible, and opening a listener per PASV was too slow.
//! Here each port of the passive range has a listener for the life of the
//! server. PASV/EPSV *reserves* a (port, client IP) pair: one port serves
//! any number of distinct client IPs at once, and a range of N ports serves
//! N pending data connections per client IP. An incoming connection is
//! handed to the session whose reservation matches its peer IP on that
//! port; one that matches none is closed at once. A reservation that sees
//! no connection before it expires, or whose session goes away, frees its
//! slot (the [`Ticket`] is a guard).
//!
//! Behind a load balancer that sends PROXY headers (`[proxy]`, passive
//! listeners on), a connection from a trusted balancer has its header read
//! first, in a task of its own within the header time limit and with the
//! parser every listener uses, and is then matched by the client the
//! header names: the reservation's client is the control connection's
//! (itself from a header), so the match is the passive peer check. A
//! missing, malformed, truncated or late header closes the connection
//! with a log line, as a foreign client does; it never holds the port.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tracing::{debug, warn};

use crate::proxy::{ListenerKind, ProxyProtocol, read_client};

type Key = (u16, IpAddr);

/// A pending reservation: its id (so that a ticket only ever removes its
/// own entry) and where its connection goes.
#[derive(Debug)]
struct Pending {
    id: u64,
    sender: oneshot::Sender<(TcpStream, SocketAddr)>,
}

/// The shared listeners and their reservations.
#[derive(Debug)]
pub(crate) struct Multiplexer {
    ports: Vec<u16>,
    reservations: Mutex<HashMap<Key, Pending>>,
    next_id: std::sync::atomic::AtomicU64,
    /// Woken whenever a slot frees up.
    freed: Notify,
    /// The accept tasks, stopped (and their ports released) on drop.
    tasks: Mutex<Vec<tokio::task::AbortHandle>>,
    /// Balancers whose connections start with a PROXY header; a reload
    /// replaces it.
    proxy: Mutex<Option<ProxyProtocol>>,
}

impl Drop for Multiplexer {
    fn drop(&mut self) {
        for task in self
            .tasks
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            task.abort();
        }
    }
}

/// A reservation: the connection arrives through it; dropping it frees the
/// slot.
#[derive(Debug)]
pub(crate) struct Ticket {
    pub(crate) port: u16,
    /// `None` once the connection was taken.
    connection: Option<oneshot::Receiver<(TcpStream, SocketAddr)>>,
    key: Key,
    id: u64,
    owner: Weak<Multiplexer>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let Some(owner) = self.owner.upgrade() else {
            return;
        };
        let mut reservations = owner.lock();
        // Once its connection has arrived the slot may already hold another
        // session's reservation: remove only our own.
        if reservations.get(&self.key).is_some_and(|p| p.id == self.id) {
            reservations.remove(&self.key);
            drop(reservations);
            owner.freed.notify_waiters();
        }
    }
}

impl Ticket {
    /// Waits for the client's connection and its address. Cancel-safe;
    /// once the one connection was taken, waits forever.
    pub(crate) async fn connection(&mut self) -> io::Result<(TcpStream, SocketAddr)> {
        let Some(receiver) = self.connection.as_mut() else {
            return std::future::pending().await;
        };
        let arrived = receiver
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::NotConnected, "the passive port closed"));
        self.connection = None;
        arrived
    }
}

impl Multiplexer {
    /// Binds every port of `ports` on each of `ips` and starts serving them.
    /// Listeners live as long as the returned value (and the tasks stop
    /// when it is gone).
    pub(crate) async fn start(
        ips: &[IpAddr],
        ports: Vec<u16>,
        proxy: Option<ProxyProtocol>,
    ) -> io::Result<Arc<Self>> {
        let this = Arc::new(Self {
            ports,
            reservations: Mutex::new(HashMap::new()),
            next_id: std::sync::atomic::AtomicU64::new(0),
            freed: Notify::new(),
            tasks: Mutex::new(Vec::new()),
            proxy: Mutex::new(proxy),
        });
        for ip in ips {
            for &port in &this.ports {
                let listener = TcpListener::bind((*ip, port)).await.map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("cannot open multiplexed passive port {ip}:{port}: {e}"),
                    )
                })?;
                let task = tokio::spawn(serve(listener, port, Arc::downgrade(&this)));
                this.tasks
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(task.abort_handle());
            }
        }
        Ok(this)
    }

    /// Replaces the PROXY protocol settings (a reload).
    pub(crate) fn set_proxy(&self, proxy: Option<ProxyProtocol>) {
        *self.proxy.lock().unwrap_or_else(|e| e.into_inner()) = proxy;
    }

    /// The PROXY settings when a connection from `peer` must carry a
    /// header.
    fn proxy_for(&self, peer: SocketAddr) -> Option<ProxyProtocol> {
        let proxy = self.proxy.lock().unwrap_or_else(|e| e.into_inner());
        proxy
            .as_ref()
            .filter(|p| p.reads(ListenerKind::Passive, peer.ip()))
            .cloned()
    }

    /// Reservations waiting for their data connection.
    pub(crate) fn pending(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Pending>> {
        self.reservations.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves a port for a connection from `client`, waiting up to `wait`
    /// for a slot when every port already has one pending for that IP.
    pub(crate) async fn reserve(
        self: &Arc<Self>,
        client: IpAddr,
        wait: Duration,
    ) -> Option<Ticket> {
        let client = client.to_canonical();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Register interest before looking, so a slot freed in between
            // still wakes us (notify_waiters only wakes enabled futures).
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if let Some(ticket) = self.try_reserve(client) {
                return Some(ticket);
            }
            if tokio::time::timeout_at(deadline, freed).await.is_err() {
                return None;
            }
        }
    }

    fn try_reserve(self: &Arc<Self>, client: IpAddr) -> Option<Ticket> {
        let mut reservations = self.lock();
        // Drop reservations whose session is gone.
        reservations.retain(|_, pending| !pending.sender.is_closed());
        let port = self
            .ports
            .iter()
            .copied()
            .find(|&port| !reservations.contains_key(&(port, client)))?;
        let (sender, connection) = oneshot::channel();
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        reservations.insert((port, client), Pending { id, sender });
        Some(Ticket {
            port,
            connection: Some(connection),
            key: (port, client),
            id,
            owner: Arc::downgrade(self),
        })
    }

    /// Hands `stream` from `peer` on `port` to its reservation.
    fn dispatch(&self, port: u16, stream: TcpStream, peer: SocketAddr) {
        let key = (port, peer.ip().to_canonical());
        let pending = self.lock().remove(&key);
        match pending {
            Some(Pending { sender, .. }) => {
                if sender.send((stream, peer)).is_err() {
                    debug!(%peer, port, "reservation abandoned as its connection arrived");
                }
                self.freed.notify_waiters();
            }
            None => {
                warn!(%peer, port, "connection to a multiplexed passive port without a reservation; closed")
            }
        }
    }
}

async fn serve(listener: TcpListener, port: u16, owner: Weak<Multiplexer>) {
    loop {
        let accepted = listener.accept().await;
        let Some(mux) = owner.upgrade() else { return };
        match accepted {
            Ok((stream, peer)) => match mux.proxy_for(peer) {
                Some(proxy) => {
                    drop(mux);
                    tokio::spawn(proxied(stream, peer, port, proxy, owner.clone()));
                }
                None => mux.dispatch(port, stream, peer),
            },
            Err(e) => {
                warn!(port, "accept on a multiplexed passive port failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// A connection from a trusted balancer: its header, then the reservation
/// of the client it names. The task ends with the header's time limit at
/// the latest.
async fn proxied(
    mut stream: TcpStream,
    balancer: SocketAddr,
    port: u16,
    proxy: ProxyProtocol,
    owner: Weak<Multiplexer>,
) {
    match read_client(&mut stream, proxy.header_timeout).await {
        Ok(client) => {
            if let Some(mux) = owner.upgrade() {
                mux.dispatch(port, stream, client.unwrap_or(balancer));
            }
        }
        Err(error) => {
            warn!(proxy = %balancer, port, %error, "connection to a multiplexed passive port from a trusted proxy closed");
        }
    }
}

#[cfg(test)]
mod proxy_tests;
#[cfg(test)]
mod tests;
