//! Active mode: PORT and EPRT, with bounce protection (RFC 2577).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};
use tracing::debug;

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
    tokio::time::timeout(timeout, socket.connect(target))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "data connection timed out"))?
}

/// The default data port (RFC 959 3.2): connect from `source`, the control
/// port minus one or a configured port, to the client's control address.
/// The port is shared by every session's default data connections, so it
/// is bound with address (and port) reuse; the 4-tuples differ.
///
/// The server closes a download's connection first, so the pair of ports
/// stays in TIME_WAIT on the server's side for a minute, and Linux refuses
/// to connect the same pair again (`EADDRNOTAVAIL`; only loopback reuses
/// such pairs by default). RFC 959 3.3 names the problem, and answers it
/// with PORT, PASV or MODE B; for clients that use none, the connection
/// comes from an ephemeral port of the same address when `source` stays
/// unavailable, rather than failing with 425. The client accepts on its
/// own port whatever connects.
pub(crate) async fn connect_from(source: SocketAddr, target: SocketAddr) -> io::Result<TcpStream> {
    // The previous default-port connection between the same two ports may
    // be closing right now (the client closed it just before sending this
    // command): retry briefly while the address pair is still taken.
    let mut attempt = 0;
    loop {
        match connect_once(source, target).await {
            Err(e) if taken(&e) && attempt < SOURCE_RETRIES => {
                attempt += 1;
                tokio::time::sleep(SOURCE_RETRY_PAUSE).await;
            }
            Err(e) if taken(&e) => {
                debug!(%source, %target, err = %e, "default data port taken; connecting from an ephemeral port");
                let ephemeral = SocketAddr::new(source.ip(), 0);
                return connect_once(ephemeral, target).await;
            }
            result => return result,
        }
    }
}

/// Tries of the default data port before falling back, and the pause
/// between them.
const SOURCE_RETRIES: u32 = 20;
const SOURCE_RETRY_PAUSE: Duration = Duration::from_millis(25);

/// Whether `err` says the source address (or the address pair) is in use.
fn taken(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::AddrNotAvailable | io::ErrorKind::AddrInUse
    )
}

async fn connect_once(source: SocketAddr, target: SocketAddr) -> io::Result<TcpStream> {
    let socket = match target {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    #[cfg(unix)]
    socket.set_reuseport(true)?;
    socket.bind(source).map_err(|e| {
        let hint = if source.port() < 1024 && e.kind() == io::ErrorKind::PermissionDenied {
            " (ports below 1024 need privileges: set a default data source port)"
        } else {
            ""
        };
        io::Error::new(
            e.kind(),
            format!("cannot bind the default data port {source}: {e}{hint}"),
        )
    })?;
    socket.connect(target).await
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

        let (connected, accepted) = tokio::join!(connect_from(source, target), client.accept());
        let stream = connected.unwrap();
        let (_, from) = accepted.unwrap();
        assert_eq!(stream.local_addr().unwrap(), from);
        assert_ne!(from.port(), source.port());
        assert_eq!(from.ip(), source.ip());
    }

    #[tokio::test]
    async fn default_port_is_used_when_free() {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let source = free.local_addr().unwrap();
        drop(free);
        let client = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = client.local_addr().unwrap();
        let (connected, accepted) = tokio::join!(connect_from(source, target), client.accept());
        connected.unwrap();
        assert_eq!(accepted.unwrap().1, source);
    }
}
