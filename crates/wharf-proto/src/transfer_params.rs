//! Transfer parameters: TYPE, STRU and MODE (RFC 959 sections 3.1, 3.4, 5.3.2).
//!
//! ```text
//! TYPE <SP> <type-code> <CRLF>
//! STRU <SP> <structure-code> <CRLF>
//! MODE <SP> <mode-code> <CRLF>
//!
//! <type-code>      ::= A [<sp> <form-code>]
//!                    | E [<sp> <form-code>]
//!                    | I
//!                    | L <sp> <byte-size>
//! <form-code>      ::= N | T | C
//! <byte-size>      ::= <number>
//! <structure-code> ::= F | R | P
//! <mode-code>      ::= S | B | C
//! ```
//!
//! Codes are case-insensitive. `L8` without the space is accepted too, as
//! some clients send it.

use std::num::NonZeroU8;

use crate::parse_util::decimal_u64;

/// The vertical format control of TYPE A and TYPE E (RFC 959 3.1.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FormatControl {
    /// `N`: non-print, the default.
    #[default]
    NonPrint,
    /// `T`: Telnet format effectors.
    Telnet,
    /// `C`: ASA (Fortran) carriage control.
    Asa,
}

/// The representation type of transferred data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferType {
    /// `A`: ASCII text, lines ending in CRLF on the wire.
    Ascii(FormatControl),
    /// `E`: EBCDIC text.
    Ebcdic(FormatControl),
    /// `I`: image (binary), bytes as they are.
    Image,
    /// `L n`: local bytes of `n` bits; `L 8` is binary on octet machines.
    Local(NonZeroU8),
}

impl TransferType {
    /// Whether bytes travel unchanged (`I`, or `L 8`).
    pub fn is_binary(self) -> bool {
        match self {
            Self::Image => true,
            Self::Local(bits) => bits.get() == 8,
            Self::Ascii(_) | Self::Ebcdic(_) => false,
        }
    }

    pub(crate) fn parse(arg: &[u8]) -> Option<Self> {
        let (code, rest) = arg.split_first()?;
        let form = |rest: &[u8]| match rest {
            [] => Some(FormatControl::NonPrint),
            [b' ', f] => match f.to_ascii_uppercase() {
                b'N' => Some(FormatControl::NonPrint),
                b'T' => Some(FormatControl::Telnet),
                b'C' => Some(FormatControl::Asa),
                _ => None,
            },
            _ => None,
        };
        match code.to_ascii_uppercase() {
            b'A' => form(rest).map(Self::Ascii),
            b'E' => form(rest).map(Self::Ebcdic),
            b'I' if rest.is_empty() => Some(Self::Image),
            b'L' => {
                let bits = rest.strip_prefix(b" ").unwrap_or(rest);
                let bits = decimal_u64(bits).filter(|_| bits.len() <= 3)?;
                NonZeroU8::new(u8::try_from(bits).ok()?).map(Self::Local)
            }
            _ => None,
        }
    }

    pub(crate) fn encode(self, out: &mut Vec<u8>) {
        let form = |f: FormatControl| match f {
            FormatControl::NonPrint => &b""[..],
            FormatControl::Telnet => b" T",
            FormatControl::Asa => b" C",
        };
        match self {
            Self::Ascii(f) => {
                out.push(b'A');
                out.extend_from_slice(form(f));
            }
            Self::Ebcdic(f) => {
                out.push(b'E');
                out.extend_from_slice(form(f));
            }
            Self::Image => out.push(b'I'),
            Self::Local(bits) => out.extend_from_slice(format!("L {bits}").as_bytes()),
        }
    }
}

/// Declares a one-letter code enum with its parser and encoder.
macro_rules! letter_code {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $letter:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// The letter that stands for the value on the wire.
            pub fn letter(self) -> u8 {
                match self {
                    $(Self::$variant => $letter,)*
                }
            }

            pub(crate) fn parse(arg: &[u8]) -> Option<Self> {
                match arg {
                    $([c] if c.eq_ignore_ascii_case(&$letter) => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

letter_code! {
    /// The file structure (STRU).
    Structure {
        /// `F`: a file is a continuous sequence of bytes.
        File = b'F',
        /// `R`: a file is a sequence of records.
        Record = b'R',
        /// `P`: a file is a set of indexed pages.
        Page = b'P',
    }
}

letter_code! {
    /// The transmission mode (MODE).
    TransferMode {
        /// `S`: stream; closing the data connection marks end of file.
        Stream = b'S',
        /// `B`: block; block headers carry end of file and restart markers.
        Block = b'B',
        /// `C`: compressed.
        Compressed = b'C',
    }
}

letter_code! {
    /// The data channel protection level (PROT, RFC 2228 and RFC 4217).
    ProtectionLevel {
        /// `C`: clear.
        Clear = b'C',
        /// `S`: safe (integrity only).
        Safe = b'S',
        /// `E`: confidential.
        Confidential = b'E',
        /// `P`: private (TLS on the data connection).
        Private = b'P',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_codes() {
        assert_eq!(
            TransferType::parse(b"A"),
            Some(TransferType::Ascii(FormatControl::NonPrint))
        );
        assert_eq!(
            TransferType::parse(b"a n"),
            Some(TransferType::Ascii(FormatControl::NonPrint))
        );
        assert_eq!(
            TransferType::parse(b"E T"),
            Some(TransferType::Ebcdic(FormatControl::Telnet))
        );
        assert_eq!(TransferType::parse(b"i"), Some(TransferType::Image));
        let l8 = TransferType::Local(NonZeroU8::new(8).unwrap());
        assert_eq!(TransferType::parse(b"L 8"), Some(l8));
        assert_eq!(TransferType::parse(b"L8"), Some(l8));
        assert!(l8.is_binary());
        for bad in [
            &b""[..],
            b"X",
            b"I N",
            b"A X",
            b"L",
            b"L 0",
            b"L 256",
            b"A  N",
        ] {
            assert_eq!(TransferType::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn letter_codes() {
        assert_eq!(TransferMode::parse(b"b"), Some(TransferMode::Block));
        assert_eq!(Structure::parse(b"R"), Some(Structure::Record));
        assert_eq!(ProtectionLevel::parse(b"p"), Some(ProtectionLevel::Private));
        assert_eq!(TransferMode::parse(b"SB"), None);
        assert_eq!(ProtectionLevel::Private.letter(), b'P');
    }
}
