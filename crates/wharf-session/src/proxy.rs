//! The PROXY protocol (HAProxy's specification, versions 1 and 2): a load
//! balancer that relays a TCP connection first sends a header naming the
//! client it relays, so that the server's limits, bans, passive peer
//! check, bounce rule and logs see the client, not the balancer.
//!
//! ```text
//! v1:  "PROXY" SP ( "TCP4" | "TCP6" ) SP src-ip SP dst-ip SP src-port SP dst-port CRLF
//!    | "PROXY UNKNOWN" [ SP anything ] CRLF                 (at most 107 bytes)
//! v2:  sig(12) = \r\n\r\n\0\r\nQUIT\n, ver_cmd(1), fam(1), len(2, big-endian),
//!      addresses and TLVs (len bytes)
//! ```
//!
//! Only connections from a trusted network ([`ProxyProtocol::trusted`])
//! to a listener that reads headers ([`ProxyProtocol::listeners`]: control,
//! implicit FTPS, passive data, each on or off) are read for a header, and
//! they must carry one: a connection from a
//! trusted proxy without a valid header within the time limit is closed
//! (and logged). Connections from anywhere else are clients: a header they
//! send is just bytes of FTP, which the session refuses as an unknown
//! command. The header is read to its last byte and no further, so what
//! follows (an implicit-FTPS handshake, say) is untouched. `ppp` parses
//! it; v2 TLVs are walked to their end (each within the header's length)
//! and then ignored: a TLV that runs past the header makes it malformed,
//! since `ppp` itself reads TLVs only when asked. A `LOCAL` command (v2) or
//! `UNKNOWN` family (a balancer's own health check) leaves the socket's
//! peer as the client.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::network::IpNetwork;

/// The first bytes of a v1 header.
const V1_PREFIX: &[u8; 6] = b"PROXY ";
/// A v1 header's longest form, CRLF included.
const V1_MAX: usize = 107;
/// The v2 signature's first 6 bytes; the rest follow in the fixed part.
const V2_PREFIX: &[u8; 6] = b"\r\n\r\n\0\r";
/// The v2 header's fixed part: signature, version and command, family,
/// length.
const V2_FIXED: usize = 16;

/// Which peers are load balancers that send a PROXY header, on which
/// listeners, and how long they may take to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyProtocol {
    /// Connections from these networks must start with a header.
    pub trusted: Vec<IpNetwork>,
    /// How long the header may take to arrive (default 5 s).
    pub header_timeout: Duration,
    /// The listeners that read headers (default: all of them).
    pub listeners: ProxyListeners,
}

/// Which kinds of listener read PROXY headers. A balancer may relay some
/// and not others (control through HAProxy with `send-proxy-v2`, passive
/// ports through NAT rules that send none): on a listener that is off, a
/// connection from a trusted network is served as the client it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyListeners {
    /// Control listeners (plain, explicit FTPS).
    pub control: bool,
    /// Implicit FTPS listeners.
    pub implicit: bool,
    /// Passive data connections, per-offer listeners and multiplexed ports
    /// alike.
    pub passive: bool,
}

impl Default for ProxyListeners {
    fn default() -> Self {
        Self {
            control: true,
            implicit: true,
            passive: true,
        }
    }
}

/// A kind of listener, for [`ProxyProtocol::reads`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerKind {
    /// A control listener (plain, explicit FTPS).
    Control,
    /// An implicit FTPS listener.
    Implicit,
    /// A passive data port.
    Passive,
}

impl ProxyProtocol {
    /// Headers from the balancers in `trusted` on every listener, within
    /// 5 s.
    pub fn new(trusted: Vec<IpNetwork>) -> Self {
        Self {
            trusted,
            header_timeout: Duration::from_secs(5),
            listeners: ProxyListeners::default(),
        }
    }

    /// Whether `ip` is in a trusted network (on any listener).
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|network| network.contains(ip))
    }

    /// Whether a connection from `ip` to a listener of `kind` must start
    /// with a header.
    pub fn reads(&self, kind: ListenerKind, ip: IpAddr) -> bool {
        let on = match kind {
            ListenerKind::Control => self.listeners.control,
            ListenerKind::Implicit => self.listeners.implicit,
            ListenerKind::Passive => self.listeners.passive,
        };
        on && self.trusts(ip)
    }
}

/// Why a connection from a trusted proxy was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyHeaderError {
    /// Nothing, or not all of a header, within the time limit.
    #[error("no complete PROXY header within {0:?}")]
    TimedOut(Duration),
    /// The connection does not start with a PROXY header.
    #[error("the connection does not start with a PROXY header")]
    Missing,
    /// The header is malformed (bad addresses, ports, length, TLVs).
    #[error("malformed PROXY header: {0}")]
    Malformed(String),
    /// The connection failed or closed before the header ended.
    #[error("reading the PROXY header failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads the header at the start of `stream` from a trusted proxy: the
/// client it names, or `None` when it names none (`LOCAL`, `UNKNOWN`).
pub(crate) async fn read_client<S: AsyncRead + Unpin>(
    stream: &mut S,
    limit: Duration,
) -> Result<Option<SocketAddr>, ProxyHeaderError> {
    match tokio::time::timeout(limit, read_header(stream)).await {
        Ok(header) => parse(&header?),
        Err(_) => Err(ProxyHeaderError::TimedOut(limit)),
    }
}

/// The header's bytes, exactly: never a byte of what follows it.
async fn read_header<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Vec<u8>, ProxyHeaderError> {
    let mut header = vec![0u8; 6];
    stream.read_exact(&mut header).await?;
    if header.as_slice() == V1_PREFIX {
        // To the CRLF, a byte at a time: the line has no length field.
        let mut byte = [0u8; 1];
        while !header.ends_with(b"\r\n") {
            if header.len() == V1_MAX {
                return Err(ProxyHeaderError::Malformed(format!(
                    "a v1 header longer than {V1_MAX} bytes"
                )));
            }
            stream.read_exact(&mut byte).await?;
            header.push(byte[0]);
        }
        Ok(header)
    } else if header.as_slice() == V2_PREFIX {
        header.resize(V2_FIXED, 0);
        stream.read_exact(&mut header[6..]).await?;
        let length = usize::from(u16::from_be_bytes([header[14], header[15]]));
        header.resize(V2_FIXED + length, 0);
        stream.read_exact(&mut header[V2_FIXED..]).await?;
        Ok(header)
    } else {
        Err(ProxyHeaderError::Missing)
    }
}

/// The client a complete header names.
fn parse(header: &[u8]) -> Result<Option<SocketAddr>, ProxyHeaderError> {
    let malformed = |error: &dyn std::fmt::Display| ProxyHeaderError::Malformed(error.to_string());
    match ppp::HeaderResult::parse(header) {
        ppp::HeaderResult::V1(Ok(header)) => Ok(match header.addresses {
            ppp::v1::Addresses::Tcp4(a) => {
                Some(SocketAddr::new(a.source_address.into(), a.source_port))
            }
            ppp::v1::Addresses::Tcp6(a) => {
                Some(SocketAddr::new(a.source_address.into(), a.source_port))
            }
            ppp::v1::Addresses::Unknown => None,
        }),
        ppp::HeaderResult::V2(Ok(header)) => {
            if let Some(Err(error)) = header.tlvs().find(Result::is_err) {
                return Err(malformed(&error));
            }
            v2_client(header)
        }
        ppp::HeaderResult::V1(Err(error)) => Err(malformed(&error)),
        ppp::HeaderResult::V2(Err(error)) => Err(malformed(&error)),
    }
}

/// The client a v2 header names (`None` for LOCAL or an unknown family).
fn v2_client(header: ppp::v2::Header<'_>) -> Result<Option<SocketAddr>, ProxyHeaderError> {
    Ok(match (header.command, header.addresses) {
        (ppp::v2::Command::Local, _) => None,
        (_, ppp::v2::Addresses::IPv4(a)) => {
            Some(SocketAddr::new(a.source_address.into(), a.source_port))
        }
        (_, ppp::v2::Addresses::IPv6(a)) => {
            Some(SocketAddr::new(a.source_address.into(), a.source_port))
        }
        (_, _) => None,
    })
}

#[cfg(test)]
mod tests;
