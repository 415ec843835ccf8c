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

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tracing::{debug, warn};

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
    pub(crate) async fn start(ips: &[IpAddr], ports: Vec<u16>) -> io::Result<Arc<Self>> {
        let this = Arc::new(Self {
            ports,
            reservations: Mutex::new(HashMap::new()),
            next_id: std::sync::atomic::AtomicU64::new(0),
            freed: Notify::new(),
            tasks: Mutex::new(Vec::new()),
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
        let Some(owner) = owner.upgrade() else { return };
        match accepted {
            Ok((stream, peer)) => owner.dispatch(port, stream, peer),
            Err(e) => {
                warn!(port, "accept on a multiplexed passive port failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use tokio::io::AsyncReadExt;
    use tokio::net::TcpSocket;

    use super::*;

    async fn connect_from(from: Ipv4Addr, port: u16) -> TcpStream {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from((from, 0))).unwrap();
        socket
            .connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .await
            .unwrap()
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    #[tokio::test]
    async fn one_port_serves_many_ips_and_drops_strangers() {
        let port = free_port();
        let mux = Multiplexer::start(&[IpAddr::V4(Ipv4Addr::LOCALHOST)], vec![port])
            .await
            .unwrap();
        let a = mux
            .reserve("127.0.0.2".parse().unwrap(), Duration::ZERO)
            .await
            .unwrap();
        let mut b = mux
            .reserve("127.0.0.3".parse().unwrap(), Duration::ZERO)
            .await
            .unwrap();
        assert_eq!((a.port, b.port), (port, port));
        // The same IP cannot hold two reservations on a one-port range.
        assert!(
            mux.reserve("127.0.0.2".parse().unwrap(), Duration::from_millis(50))
                .await
                .is_none()
        );

        let _client_b = connect_from(Ipv4Addr::new(127, 0, 0, 3), port).await;
        let (got, from) = tokio::time::timeout(Duration::from_secs(5), b.connection())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.peer_addr().unwrap().ip(), IpAddr::from([127, 0, 0, 3]));
        assert_eq!(from.ip(), IpAddr::from([127, 0, 0, 3]));

        // Nobody reserved for 127.0.0.9: closed at once.
        let mut stranger = connect_from(Ipv4Addr::new(127, 0, 0, 9), port).await;
        let mut byte = [0u8; 1];
        let n = tokio::time::timeout(Duration::from_secs(5), stranger.read(&mut byte))
            .await
            .unwrap()
            .unwrap_or(0);
        assert_eq!(n, 0);
        drop(a);
    }

    #[tokio::test]
    async fn dropping_the_multiplexer_releases_its_ports() {
        let port = free_port();
        let mux = Multiplexer::start(&[IpAddr::V4(Ipv4Addr::LOCALHOST)], vec![port])
            .await
            .unwrap();
        drop(mux);
        // The aborted accept task drops its listener at its next poll.
        let mut bound = false;
        for _ in 0..50 {
            tokio::task::yield_now().await;
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
                bound = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            bound,
            "the passive port stayed bound after the server went away"
        );
    }

    #[tokio::test]
    async fn a_dropped_ticket_frees_its_slot_for_a_waiter() {
        let port = free_port();
        let mux = Multiplexer::start(&[IpAddr::V4(Ipv4Addr::LOCALHOST)], vec![port])
            .await
            .unwrap();
        let ip: IpAddr = "127.0.0.4".parse().unwrap();
        let first = mux.reserve(ip, Duration::ZERO).await.unwrap();
        let waiter = {
            let mux = mux.clone();
            tokio::spawn(async move {
                mux.reserve(ip, Duration::from_secs(5))
                    .await
                    .map(|t| t.port)
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(first);
        assert_eq!(waiter.await.unwrap(), Some(port));
    }
}
