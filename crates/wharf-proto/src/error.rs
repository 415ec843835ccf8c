//! Errors of the codec, one enum per area.

use crate::reply::ReplyCode;

pub use crate::text::TextError;

/// Why a command line could not be decoded.
///
/// [`DecodeError::reply_code`] tells a server which reply the client gets:
/// an unknown verb is `500`, a verb this codec recognises but does not
/// implement is `502`, bad or missing parameters are `501`, and an EPRT/EPSV
/// network protocol other than IPv4/IPv6 is `522` (RFC 2428).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input holds no complete line yet; read more bytes.
    #[error("incomplete line")]
    Incomplete,
    /// The line is longer than the framer's limit; it was discarded.
    #[error("line longer than {limit} bytes")]
    LineTooLong {
        /// The framer's limit, in bytes.
        limit: usize,
    },
    /// The line is empty or its verb is not a verb at all.
    #[error("syntax error: no command verb")]
    NoVerb,
    /// The verb is not an FTP command this codec knows.
    #[error("unknown command {verb}")]
    UnknownVerb {
        /// The verb as sent, upper-cased and cut to printable ASCII.
        verb: String,
    },
    /// The verb is a known FTP command that this codec does not implement.
    #[error("command {verb} not implemented")]
    NotImplemented {
        /// The verb, upper case.
        verb: &'static str,
    },
    /// The command needs an argument and got none.
    #[error("{verb} needs an argument")]
    MissingArgument {
        /// The verb, upper case.
        verb: &'static str,
    },
    /// The command takes no argument and got one.
    #[error("{verb} takes no argument")]
    UnexpectedArgument {
        /// The verb, upper case.
        verb: &'static str,
    },
    /// The argument does not follow the command's grammar.
    #[error("invalid argument to {verb}: {reason}")]
    InvalidArgument {
        /// The verb, upper case.
        verb: &'static str,
        /// What is wrong, in a few words fit for a reply.
        reason: &'static str,
    },
    /// EPRT or EPSV named a network protocol other than 1 (IPv4) or 2 (IPv6).
    #[error("{verb}: network protocol not supported, use (1,2)")]
    UnsupportedProtocol {
        /// The verb, upper case.
        verb: &'static str,
    },
}

impl DecodeError {
    /// The reply code a server sends for this error, or `None` for
    /// [`DecodeError::Incomplete`], which is not an error to answer.
    pub fn reply_code(&self) -> Option<ReplyCode> {
        Some(match self {
            Self::Incomplete => return None,
            Self::LineTooLong { .. } | Self::NoVerb | Self::UnknownVerb { .. } => {
                ReplyCode::SYNTAX_ERROR
            }
            Self::NotImplemented { .. } => ReplyCode::NOT_IMPLEMENTED,
            Self::MissingArgument { .. }
            | Self::UnexpectedArgument { .. }
            | Self::InvalidArgument { .. } => ReplyCode::SYNTAX_ERROR_IN_PARAMETERS,
            Self::UnsupportedProtocol { .. } => ReplyCode::NETWORK_PROTOCOL_NOT_SUPPORTED,
        })
    }

    /// The verb the error is about, where it is known.
    pub fn verb(&self) -> Option<&str> {
        match self {
            Self::UnknownVerb { verb } => Some(verb),
            Self::NotImplemented { verb }
            | Self::MissingArgument { verb }
            | Self::UnexpectedArgument { verb }
            | Self::InvalidArgument { verb, .. }
            | Self::UnsupportedProtocol { verb } => Some(verb),
            Self::Incomplete | Self::LineTooLong { .. } | Self::NoVerb => None,
        }
    }
}

/// Why a reply could not be decoded (client side).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// The input holds no complete reply yet; read more bytes.
    #[error("incomplete reply")]
    Incomplete,
    /// A line is longer than the framer's limit.
    #[error("reply line longer than {limit} bytes")]
    LineTooLong {
        /// The framer's limit, in bytes.
        limit: usize,
    },
    /// A multi-line reply grew past the decoder's limit.
    #[error("reply longer than {limit} bytes")]
    ReplyTooLong {
        /// The decoder's limit, in bytes.
        limit: usize,
    },
    /// The line does not start with a three-digit code and a space or `-`.
    #[error("malformed reply line")]
    Malformed,
    /// A line holds a NUL byte.
    #[error("reply holds a NUL byte")]
    ForbiddenByte,
}

/// Why a host-port argument or a passive-mode reply could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The text does not follow the grammar.
    #[error("malformed address: {0}")]
    Malformed(&'static str),
    /// EPRT/EPSV named a network protocol other than 1 (IPv4) or 2 (IPv6).
    #[error("unsupported network protocol")]
    UnsupportedProtocol,
}

/// Why a MODE B block stream could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlockError {
    /// The descriptor byte has bits that RFC 959 does not define.
    #[error("block descriptor 0x{0:02x} has undefined bits")]
    UndefinedDescriptorBits(u8),
    /// Data arrived after the block that carried the EOF flag.
    #[error("data after end of file")]
    DataAfterEof,
    /// The connection closed inside a block or before the EOF block.
    #[error("connection closed before the end-of-file block")]
    UnexpectedEnd,
}

/// Why an RFC 3659 `time-val` could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// The text is not `YYYYMMDDHHMMSS[.F+]`.
    #[error("timestamp must be YYYYMMDDHHMMSS[.fff]")]
    Malformed,
    /// A field is out of range (month 13, February 30, year before 1000).
    #[error("timestamp out of range")]
    OutOfRange,
}
