//! Active mode: PORT and EPRT, with bounce protection (RFC 2577).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};

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
pub(crate) async fn connect_from(source: SocketAddr, target: SocketAddr) -> io::Result<TcpStream> {
    // The previous default-port connection between the same two ports may
    // be closing right now (the client closed it just before sending this
    // command): retry briefly while the address pair is still taken.
    let mut attempt = 0;
    loop {
        match connect_once(source, target).await {
            Err(e)
                if attempt < 20
                    && matches!(
                        e.kind(),
                        io::ErrorKind::AddrNotAvailable | io::ErrorKind::AddrInUse
                    ) =>
            {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            result => return result,
        }
    }
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
}
