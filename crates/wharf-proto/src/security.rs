//! FTP security extensions: AUTH and PBSZ (RFC 2228, RFC 4217).
//!
//! ```text
//! AUTH <SP> <mechanism-name> <CRLF>
//! PBSZ <SP> <decimal-integer> <CRLF>
//! PROT <SP> <prot-code> <CRLF>          (see ProtectionLevel)
//! CCC <CRLF>
//! <mechanism-name> ::= <string>
//! ```
//!
//! RFC 4217 uses `AUTH TLS` and `PBSZ 0`. `AUTH SSL`, `TLS-C` and `TLS-P`
//! are older names that clients still send.

use crate::text::Word;

/// The security mechanism named by AUTH.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthMechanism {
    /// `TLS` (RFC 4217).
    Tls,
    /// `SSL`, an alias of TLS that older clients send.
    Ssl,
    /// `TLS-C`, an old name for TLS on the control connection.
    TlsC,
    /// `TLS-P`, an old name for TLS with a private data connection.
    TlsP,
    /// Any other mechanism name (`GSSAPI`, ...), upper case.
    Other(Word),
}

impl AuthMechanism {
    pub(crate) fn from_word(word: Word) -> Self {
        match word.as_str() {
            "TLS" => Self::Tls,
            "SSL" => Self::Ssl,
            "TLS-C" => Self::TlsC,
            "TLS-P" => Self::TlsP,
            _ => Self::Other(word),
        }
    }

    /// The name as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Tls => "TLS",
            Self::Ssl => "SSL",
            Self::TlsC => "TLS-C",
            Self::TlsP => "TLS-P",
            Self::Other(word) => word.as_str(),
        }
    }

    /// Whether the mechanism asks for TLS under one of its names.
    pub fn is_tls(&self) -> bool {
        !matches!(self, Self::Other(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let mech = |s: &str| AuthMechanism::from_word(Word::try_from(s).unwrap());
        assert_eq!(mech("tls"), AuthMechanism::Tls);
        assert_eq!(mech("ssl"), AuthMechanism::Ssl);
        assert_eq!(mech("Tls-P"), AuthMechanism::TlsP);
        assert!(!mech("GSSAPI").is_tls());
        assert_eq!(mech("gssapi").as_str(), "GSSAPI");
    }
}
