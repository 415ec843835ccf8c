//! Active mode: PORT and EPRT, with bounce protection (RFC 2577).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};
use tracing::info;

/// Why an active-mode target was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Another host than the client: the FTP bounce attack.
    ForeignAddress,
    /// A well-known port, another classic bounce target.
    PrivilegedPort,
}

impl Refusal {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Self::ForeignAddress => "Refused: data connections go to your own address only.",
            Self::PrivilegedPort => {
                "Refused: data connections to ports below 1024 are not allowed."
            }
        }
    }
}

/// Checks an active-mode target against the control connection's peer.
pub(crate) fn check_target(
    target: SocketAddr,
    peer: IpAddr,
    allow_any: bool,
) -> Result<(), Refusal> {
    if allow_any {
        return Ok(());
    }
    if target.ip().to_canonical() != peer.to_canonical() {
        return Err(Refusal::ForeignAddress);
    }
    if target.port() < 1024 {
        return Err(Refusal::PrivilegedPort);
    }
    Ok(())
}

/// Connects to `target` from the control connection's local address.
pub(crate) async fn connect(
    target: SocketAddr,
    local_ip: IpAddr,
    timeout: Duration,
) -> io::Result<TcpStream> {
    tokio::time::timeout(timeout, connect_from_ip(target, local_ip))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "data connection timed out"))?
}

/// Connects to `target` from an ephemeral port of `local_ip` (of the
/// target's family; any address if the families differ).
async fn connect_from_ip(target: SocketAddr, local_ip: IpAddr) -> io::Result<TcpStream> {
    let local_ip = match (target, local_ip.to_canonical()) {
        (SocketAddr::V4(_), ip @ IpAddr::V4(_)) | (SocketAddr::V6(_), ip @ IpAddr::V6(_)) => {
            Some(ip)
        }
        _ => None,
    };
    let socket = match target {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    if let Some(ip) = local_ip {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    socket.connect(target).await
}

/// The default data port (RFC 959 3.2): connect from `source`, the control
/// port minus one or a configured port, to the client's control address.
/// The port is shared by every session's default data connections, so it
/// is bound with address (and port) reuse; the 4-tuples differ.
///
/// Every such connection of a session runs between the same two ports, and
/// the server closes first after a download or a listing, so the pair
/// stays in TIME_WAIT on the server for a minute. Linux connects the pair
/// again at once when the old connection carried TCP timestamps, but not
/// when it did not (Windows clients by default, or a middlebox stripping
/// options): then the connect fails with `EADDRNOTAVAIL` for that minute.
/// RFC 959 3.3 names the problem and leaves it to the client (PORT, PASV
/// or MODE B). For a client that does none of those, the connection comes
/// from an ephemeral port of the same address instead of failing with
/// 425: a deliberate step away from "L-1", which the client's listener on
/// its own port accepts like any other. The same goes when something else
/// holds the port itself, or when binding it needs a privilege the process
/// lacks (below 1024).
///
/// `lately` is the session's memory of its pair: once the pair was found
/// busy after the retries, later connects try it once and fall back at
/// once, until the pair connects again.
pub(crate) async fn connect_from(
    source: SocketAddr,
    target: SocketAddr,
    lately: &PairMemory,
) -> io::Result<TcpStream> {
    // After an upload the server's side of the previous connection may
    // still be closing (LAST_ACK for one round trip): retry the pair
    // briefly before giving it up, unless it stayed busy last time.
    let retries = if lately.busy() { 0 } else { SOURCE_RETRIES };
    let mut attempt = 0;
    let refused = loop {
        match connect_once(source, target).await {
            Err(Failed::Connect(e)) if taken(&e) && attempt < retries => {
                attempt += 1;
                tokio::time::sleep(SOURCE_RETRY_PAUSE).await;
            }
            Err(Failed::Connect(e)) if taken(&e) => {
                lately.set_busy(true);
                break e;
            }
            // vsftpd's connect_from_port_20 needs the privilege to bind
            // below 1024; without it, an ephemeral port serves.
            Err(Failed::Bind(e)) if taken(&e) || e.kind() == io::ErrorKind::PermissionDenied => {
                break e;
            }
            Err(Failed::Connect(e) | Failed::Bind(e)) => return Err(e),
            Ok(stream) => {
                lately.set_busy(false);
                return Ok(stream);
            }
        }
    };
    info!(%source, %target, err = %refused, "default data port unavailable; connecting from an ephemeral port");
    connect_from_ip(target, source.ip()).await
}

/// Whether a session's default-data-port pair stayed busy on its last
/// connect (see [`connect_from`]); shared by the session and its plans.
#[derive(Debug, Clone, Default)]
pub(crate) struct PairMemory(Arc<AtomicBool>);

impl PairMemory {
    fn busy(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set_busy(&self, busy: bool) {
        self.0.store(busy, Ordering::Relaxed);
    }
}

/// Tries of a busy default-data-port pair before falling back, and the
/// pause between them.
const SOURCE_RETRIES: u32 = 8;
const SOURCE_RETRY_PAUSE: Duration = Duration::from_millis(25);

/// Whether `err` says the source address (or the address pair) is in use.
fn taken(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::AddrNotAvailable | io::ErrorKind::AddrInUse
    )
}

/// Where a default-data-port connect failed.
enum Failed {
    /// Binding the source port (held by another socket).
    Bind(io::Error),
    /// Connecting (the pair is in use, or the client is not listening).
    Connect(io::Error),
}

async fn connect_once(source: SocketAddr, target: SocketAddr) -> Result<TcpStream, Failed> {
    let socket = match target {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(Failed::Connect)?;
    socket.set_reuseaddr(true).map_err(Failed::Connect)?;
    #[cfg(unix)]
    socket.set_reuseport(true).map_err(Failed::Connect)?;
    if let Err(e) = socket.bind(source) {
        let hint = if source.port() < 1024 && e.kind() == io::ErrorKind::PermissionDenied {
            " (ports below 1024 need privileges: set a default data source port)"
        } else {
            ""
        };
        return Err(Failed::Bind(io::Error::new(
            e.kind(),
            format!("cannot bind the default data port {source}: {e}{hint}"),
        )));
    }
    socket.connect(target).await.map_err(Failed::Connect)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounce_rules() {
        let peer: IpAddr = "192.0.2.1".parse().unwrap();
        let ok: SocketAddr = "192.0.2.1:5000".parse().unwrap();
        assert_eq!(check_target(ok, peer, false), Ok(()));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(check_target(ok, mapped, false), Ok(()));
        let foreign: SocketAddr = "198.51.100.7:5000".parse().unwrap();
        assert_eq!(
            check_target(foreign, peer, false),
            Err(Refusal::ForeignAddress)
        );
        let low: SocketAddr = "192.0.2.1:25".parse().unwrap();
        assert_eq!(check_target(low, peer, false), Err(Refusal::PrivilegedPort));
        assert_eq!(check_target(foreign, peer, true), Ok(()));
    }

    #[tokio::test]
    async fn default_port_falls_back_to_an_ephemeral_port_when_taken() {
        // A listener without port reuse holds the default data port, as a
        // lingering pair would on a real network.
        let holder =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        holder
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        holder.listen(1).unwrap();
        let source = holder.local_addr().unwrap().as_socket().unwrap();
        let client = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = client.local_addr().unwrap();

        let lately = PairMemory::default();
        let (connected, accepted) =
            tokio::join!(connect_from(source, target, &lately), client.accept());
        let stream = connected.unwrap();
        let (_, from) = accepted.unwrap();
        assert_eq!(stream.local_addr().unwrap(), from);
        assert_ne!(from.port(), source.port());
        assert_eq!(from.ip(), source.ip());
        // A port held by another socket says nothing about the pair.
        assert!(!lately.busy());
    }

    #[tokio::test]
    async fn a_pair_found_busy_is_tried_once_until_it_connects_again() {
        let client = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = client.local_addr().unwrap();
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let source = free.local_addr().unwrap();
        drop(free);
        let lately = PairMemory::default();
        // An open connection on the pair makes it busy at the connect
        // stage, as a TIME_WAIT without timestamps does.
        let (first, _) = tokio::join!(connect_from(source, target, &lately), client.accept());
        let first = first.unwrap();
        assert_eq!(first.local_addr().unwrap(), source);
        assert!(!lately.busy());

        let started = std::time::Instant::now();
        let (second, accepted) =
            tokio::join!(connect_from(source, target, &lately), client.accept());
        assert!(started.elapsed() >= SOURCE_RETRY_PAUSE * SOURCE_RETRIES);
        assert_ne!(second.unwrap().local_addr().unwrap(), source);
        assert_ne!(accepted.unwrap().1, source);
        assert!(lately.busy());

        // Remembered: no retries this time (they alone would take as long).
        let started = std::time::Instant::now();
        let (third, _) = tokio::join!(connect_from(source, target, &lately), client.accept());
        assert!(started.elapsed() < SOURCE_RETRY_PAUSE * SOURCE_RETRIES);
        assert_ne!(third.unwrap().local_addr().unwrap(), source);
        assert!(lately.busy());

        // The pair free again: used, and the memory cleared.
        drop(first);
        let mut freed = false;
        for _ in 0..50 {
            let (next, _) = tokio::join!(connect_from(source, target, &lately), client.accept());
            if next.unwrap().local_addr().unwrap() == source {
                freed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(freed, "the pair never connected again");
        assert!(!lately.busy());
    }

    #[tokio::test]
    async fn default_port_is_used_when_free() {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let source = free.local_addr().unwrap();
        drop(free);
        let client = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = client.local_addr().unwrap();
        let lately = PairMemory::default();
        let (connected, accepted) =
            tokio::join!(connect_from(source, target, &lately), client.accept());
        connected.unwrap();
        assert_eq!(accepted.unwrap().1, source);
    }
}
