//! The Telnet layer of the control connection (RFC 959 section 4.1, RFC 854).
//!
//! FTP's control connection speaks the Telnet protocol. Servers see little of
//! it in practice, but what they do see must not leak into command
//! arguments:
//!
//! ```text
//! IAC IP  IAC DM  ABOR <CRLF>    (RFC 959 4.1.3: interrupt, synch, abort)
//! IAC IAC                        (a literal 0xFF data byte, e.g. in a pathname)
//! IAC WILL|WONT|DO|DONT <option> (option negotiation, always refused)
//! ```
//!
//! [`unescape`] removes commands and negotiation and collapses doubled IACs;
//! [`escape_into`] doubles every 0xFF byte on the way out.

/// Interpret As Command.
pub const IAC: u8 = 255;
/// Interrupt Process.
pub const IP: u8 = 244;
/// Data Mark, the end of a Synch.
pub const DM: u8 = 242;
const SE: u8 = 240;
const WILL: u8 = 251;
const DONT: u8 = 254;

/// Removes Telnet commands from one line of input and collapses `IAC IAC`
/// into one 0xFF byte.
///
/// A lone IAC followed by a byte that is no Telnet command is dropped and the
/// byte kept: this is what remains of `IAC DM` when the urgent DM byte was
/// taken out of band by the TCP stack.
pub fn unescape(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut bytes = line.iter().copied();
    while let Some(byte) = bytes.next() {
        if byte != IAC {
            out.push(byte);
            continue;
        }
        match bytes.next() {
            Some(IAC) => out.push(IAC),
            // Option negotiation: IAC verb option.
            Some(WILL..=DONT) => {
                bytes.next();
            }
            // Two-byte commands (IP, DM, AO, AYT, NOP, ...).
            Some(SE..WILL) | None => {}
            Some(other) => out.push(other),
        }
    }
    out
}

/// Appends `bytes` to `out`, doubling each 0xFF byte.
pub fn escape_into(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len());
    for chunk in bytes.split_inclusive(|&b| b == IAC) {
        out.extend_from_slice(chunk);
        if chunk.last() == Some(&IAC) {
            out.push(IAC);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synch_before_abor_is_removed() {
        assert_eq!(
            unescape(&[IAC, IP, IAC, DM, b'A', b'B', b'O', b'R']),
            b"ABOR"
        );
        // DM taken out of band: a lone IAC is left before the verb.
        assert_eq!(unescape(&[IAC, IP, IAC, b'A', b'B', b'O', b'R']), b"ABOR");
    }

    #[test]
    fn doubled_iac_is_one_data_byte() {
        assert_eq!(unescape(&[b'a', IAC, IAC, b'b']), [b'a', IAC, b'b']);
        let mut out = Vec::new();
        escape_into(&[b'a', IAC, b'b', IAC], &mut out);
        assert_eq!(out, [b'a', IAC, IAC, b'b', IAC, IAC]);
        assert_eq!(unescape(&out), [b'a', IAC, b'b', IAC]);
    }

    #[test]
    fn negotiation_and_trailing_iac_are_dropped() {
        assert_eq!(unescape(&[IAC, WILL, 1, b'x', IAC]), b"x");
        assert_eq!(unescape(&[IAC, DONT, 3, b'y', IAC, SE]), b"y");
    }
}
