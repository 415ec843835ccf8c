//! EPRT and EPSV, FTP extensions for IPv6 and NATs (RFC 2428).
//!
//! ```text
//! EPRT<space><d><net-prt><d><net-addr><d><tcp-port><d>
//! EPSV<space><net-prt>
//! EPSV<space>ALL
//! EPSV
//!
//! 229 Entering Extended Passive Mode (<d><d><d><tcp-port><d>)
//! ```
//!
//! `<d>` is any one character in ASCII 33..=126, the same at every place;
//! `<net-prt>` is 1 (IPv4) or 2 (IPv6), the address family numbers of IANA;
//! `<net-addr>` is the protocol's textual form; `<tcp-port>` is decimal.
//! Any other network protocol is refused with `522`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::error::AddressError;
use crate::parse_util::decimal_u64;
use crate::reply::{Reply, ReplyCode};

/// A network protocol of RFC 2428, as numbered by IANA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetworkProtocol {
    /// `1`: IPv4.
    Ipv4,
    /// `2`: IPv6.
    Ipv6,
}

impl NetworkProtocol {
    /// The protocol number.
    pub fn number(self) -> u8 {
        match self {
            Self::Ipv4 => 1,
            Self::Ipv6 => 2,
        }
    }

    /// The protocol of `addr`.
    pub fn of(addr: &IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => Self::Ipv4,
            IpAddr::V6(_) => Self::Ipv6,
        }
    }

    pub(crate) fn parse(input: &[u8]) -> Result<Self, AddressError> {
        match input {
            b"1" => Ok(Self::Ipv4),
            b"2" => Ok(Self::Ipv6),
            other if !other.is_empty() && other.iter().all(u8::is_ascii_digit) => {
                Err(AddressError::UnsupportedProtocol)
            }
            _ => Err(AddressError::Malformed("network protocol must be a number")),
        }
    }
}

/// The argument of EPSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EpsvArg {
    /// `EPSV`: any protocol, the control connection's as a rule.
    Any,
    /// `EPSV <net-prt>`: a listener for this protocol.
    Protocol(NetworkProtocol),
    /// `EPSV ALL`: from now on only EPSV; PORT, PASV and EPRT are refused.
    All,
}

/// Parses the `<d><net-prt><d><net-addr><d><tcp-port><d>` argument of EPRT.
pub fn parse_eprt(input: &[u8]) -> Result<SocketAddr, AddressError> {
    let malformed = AddressError::Malformed("expected <d><net-prt><d><net-addr><d><tcp-port><d>");
    let (&delimiter, rest) = input.split_first().ok_or(malformed)?;
    if !(33..=126).contains(&delimiter) {
        return Err(AddressError::Malformed("delimiter must be ASCII 33 to 126"));
    }
    let rest = rest.strip_suffix(&[delimiter]).ok_or(malformed)?;
    let mut fields = rest.split(|&b| b == delimiter);
    let (Some(protocol), Some(addr), Some(port), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(malformed);
    };
    let protocol = NetworkProtocol::parse(protocol)?;
    let addr = std::str::from_utf8(addr).map_err(|_| malformed)?;
    let ip = match protocol {
        NetworkProtocol::Ipv4 => addr
            .parse::<Ipv4Addr>()
            .map(IpAddr::V4)
            .map_err(|_| AddressError::Malformed("bad IPv4 address"))?,
        NetworkProtocol::Ipv6 => addr
            .parse::<Ipv6Addr>()
            .map(IpAddr::V6)
            .map_err(|_| AddressError::Malformed("bad IPv6 address"))?,
    };
    let port = parse_port(port)?;
    Ok(SocketAddr::new(ip, port))
}

fn parse_port(input: &[u8]) -> Result<u16, AddressError> {
    if input.len() > 5 {
        return Err(AddressError::Malformed("bad TCP port"));
    }
    decimal_u64(input)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or(AddressError::Malformed("bad TCP port"))
}

/// Formats the EPRT argument with `|` as delimiter.
pub fn format_eprt(addr: SocketAddr) -> String {
    format!(
        "|{}|{}|{}|",
        NetworkProtocol::of(&addr.ip()).number(),
        addr.ip(),
        addr.port()
    )
}

/// Parses the argument of EPSV: none, `1`, `2` or `ALL` (any case).
pub fn parse_epsv(input: Option<&[u8]>) -> Result<EpsvArg, AddressError> {
    match input {
        None => Ok(EpsvArg::Any),
        Some(arg) if arg.eq_ignore_ascii_case(b"ALL") => Ok(EpsvArg::All),
        Some(arg) => NetworkProtocol::parse(arg).map(EpsvArg::Protocol),
    }
}

/// The `229 Entering Extended Passive Mode (|||port|)` reply.
pub fn epsv_reply(port: u16) -> Reply {
    Reply::new(
        ReplyCode::ENTERING_EXTENDED_PASSIVE_MODE,
        &format!("Entering Extended Passive Mode (|||{port}|)"),
    )
}

/// Finds the port in the text of a 229 reply: `(<d><d><d><port><d>)`.
pub fn parse_epsv_reply(text: &[u8]) -> Result<u16, AddressError> {
    let malformed = AddressError::Malformed("no (<d><d><d><port><d>) in reply");
    let open = text.iter().position(|&b| b == b'(').ok_or(malformed)?;
    let inner = &text[open + 1..];
    let close = inner.iter().position(|&b| b == b')').ok_or(malformed)?;
    let inner = &inner[..close];
    match inner {
        [d1, d2, d3, port @ .., d4] if d1 == d2 && d2 == d3 && d3 == d4 => parse_port(port),
        _ => Err(malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2428_examples() {
        assert_eq!(
            parse_eprt(b"|1|132.235.1.2|6275|"),
            Ok("132.235.1.2:6275".parse().unwrap())
        );
        assert_eq!(
            parse_eprt(b"|2|1080::8:800:200C:417A|5282|"),
            Ok("[1080::8:800:200C:417A]:5282".parse().unwrap())
        );
        assert_eq!(
            parse_epsv_reply(b"Entering Extended Passive Mode (|||6446|)"),
            Ok(6446)
        );
    }

    #[test]
    fn any_delimiter_in_33_to_126() {
        assert_eq!(
            parse_eprt(b"!1!10.0.0.1!21!"),
            Ok("10.0.0.1:21".parse().unwrap())
        );
        assert!(parse_eprt(b" 1 10.0.0.1 21 ").is_err());
        assert_eq!(parse_epsv_reply(b"(!!!1234!)"), Ok(1234));
    }

    #[test]
    fn unknown_protocol_is_its_own_error() {
        assert_eq!(
            parse_eprt(b"|3|10.0.0.1|21|"),
            Err(AddressError::UnsupportedProtocol)
        );
        assert_eq!(
            parse_epsv(Some(b"9")),
            Err(AddressError::UnsupportedProtocol)
        );
        assert_eq!(parse_epsv(Some(b"all")), Ok(EpsvArg::All));
        assert_eq!(parse_epsv(None), Ok(EpsvArg::Any));
        assert_eq!(
            parse_epsv(Some(b"2")),
            Ok(EpsvArg::Protocol(NetworkProtocol::Ipv6))
        );
    }

    #[test]
    fn malformed_eprt() {
        for bad in [
            &b"|1|10.0.0.1|21"[..],
            b"|1|10.0.0.1|65536|",
            b"|1|::1|21|",
            b"|2|10.0.0.1|21|",
            b"|1|10.0.0.1|21|x|",
            b"|1|10.0.0.1||",
            b"",
            b"|",
        ] {
            assert!(parse_eprt(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn format_round_trips() {
        for addr in ["10.1.2.3:0", "[::1]:65535", "[fe80::1]:21"] {
            let addr: SocketAddr = addr.parse().unwrap();
            assert_eq!(parse_eprt(format_eprt(addr).as_bytes()), Ok(addr));
        }
        let reply = epsv_reply(50000);
        assert_eq!(parse_epsv_reply(reply.lines()[0].as_bytes()), Ok(50000));
    }
}
