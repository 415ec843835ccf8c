//! The PORT argument and the PASV reply (RFC 959 sections 4.1.2 and 5.3.2).
//!
//! ```text
//! PORT <SP> <host-port> <CRLF>
//! <host-port>   ::= <host-number>,<port-number>
//! <host-number> ::= <number>,<number>,<number>,<number>
//! <port-number> ::= <number>,<number>
//! <number>      ::= any decimal integer 1 through 255
//!
//! 227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)
//! ```
//!
//! The port is `p1 * 256 + p2`. Every real stack sends `0` as a number
//! (`127,0,0,1,...`), so numbers are read as 0 through 255, with at most three
//! digits each. RFC 1123 section 4.1.2.6 tells clients to find the six numbers
//! in a 227 reply wherever they stand, since servers vary the text around
//! them; [`parse_pasv_reply`] does so.

use std::net::{Ipv4Addr, SocketAddrV4};

use nom::Parser;
use nom::bytes::complete::{tag, take_while_m_n};
use nom::combinator::map_opt;

use crate::error::AddressError;
use crate::parse_util::{NomError, parse_all};
use crate::reply::{Reply, ReplyCode};

fn number(input: &[u8]) -> nom::IResult<&[u8], u8, NomError<'_>> {
    map_opt(
        take_while_m_n(1, 3, |b: u8| b.is_ascii_digit()),
        |digits: &[u8]| {
            digits
                .iter()
                .try_fold(0u16, |acc, &d| Some(acc * 10 + u16::from(d - b'0')))
                .and_then(|n| u8::try_from(n).ok())
        },
    )
    .parse(input)
}

fn host_port(input: &[u8]) -> nom::IResult<&[u8], SocketAddrV4, NomError<'_>> {
    let comma = || tag(&b","[..]);
    let (rest, (h1, _, h2, _, h3, _, h4, _, p1, _, p2)) = (
        number,
        comma(),
        number,
        comma(),
        number,
        comma(),
        number,
        comma(),
        number,
        comma(),
        number,
    )
        .parse(input)?;
    Ok((
        rest,
        SocketAddrV4::new(
            Ipv4Addr::new(h1, h2, h3, h4),
            u16::from(p1) << 8 | u16::from(p2),
        ),
    ))
}

/// Parses `h1,h2,h3,h4,p1,p2`.
pub fn parse_host_port(input: &[u8]) -> Result<SocketAddrV4, AddressError> {
    parse_all(host_port, input).ok_or(AddressError::Malformed("expected h1,h2,h3,h4,p1,p2"))
}

/// Formats `h1,h2,h3,h4,p1,p2`.
pub fn format_host_port(addr: SocketAddrV4) -> String {
    let [h1, h2, h3, h4] = addr.ip().octets();
    let [p1, p2] = addr.port().to_be_bytes();
    format!("{h1},{h2},{h3},{h4},{p1},{p2}")
}

/// The `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).` reply.
pub fn pasv_reply(addr: SocketAddrV4) -> Reply {
    Reply::new(
        ReplyCode::ENTERING_PASSIVE_MODE,
        &format!("Entering Passive Mode ({}).", format_host_port(addr)),
    )
}

/// Finds the address in the text of a 227 reply: the first run of six
/// comma-separated numbers, with or without parentheses around it.
pub fn parse_pasv_reply(text: &[u8]) -> Result<SocketAddrV4, AddressError> {
    (0..text.len())
        .filter(|&i| text[i].is_ascii_digit() && (i == 0 || !text[i - 1].is_ascii_digit()))
        .find_map(|i| host_port(&text[i..]).ok().map(|(_, addr)| addr))
        .ok_or(AddressError::Malformed("no h1,h2,h3,h4,p1,p2 in reply"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // The PORT of the active session in seed 003: port 72 * 256 + 50.
        assert_eq!(
            parse_host_port(b"169,254,10,2,72,50"),
            Ok(SocketAddrV4::new(Ipv4Addr::new(169, 254, 10, 2), 18482))
        );
        assert_eq!(
            parse_host_port(b"127,0,0,1,0,21"),
            Ok(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 21))
        );
        assert_eq!(
            format_host_port(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 65535)),
            "10,0,0,1,255,255"
        );
    }

    #[test]
    fn malformed_inputs_are_refused() {
        for bad in [
            &b"256,0,0,1,0,21"[..],
            b"1,2,3,4,5",
            b"1,2,3,4,5,6,7",
            b"1,2,3,4,5,",
            b"1, 2,3,4,5,6",
            b"0001,2,3,4,5,6",
            b"a,b,c,d,e,f",
            b"",
        ] {
            assert!(parse_host_port(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn pasv_reply_round_trip_and_lenient_scan() {
        let addr = SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 7), 50123);
        let reply = pasv_reply(addr);
        assert_eq!(
            reply.to_bytes(),
            b"227 Entering Passive Mode (203,0,113,7,195,203).\r\n"
        );
        assert_eq!(parse_pasv_reply(reply.lines()[0].as_bytes()), Ok(addr));
        assert_eq!(
            parse_pasv_reply(b"Entering Passive Mode 203,0,113,7,195,203"),
            Ok(addr)
        );
        assert!(parse_pasv_reply(b"Entering Passive Mode").is_err());
    }
}
