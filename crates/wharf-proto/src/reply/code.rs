//! Reply codes (RFC 959 section 4.2, with RFC 2228, 2428 and 3659 additions).
//!
//! ```text
//! A reply is defined to contain the 3-digit code, followed by Space <SP>,
//! followed by one line of text ... terminated by the Telnet end-of-line code.
//! ```
//!
//! The first digit runs from 1 (positive preliminary) to 5 (permanent
//! negative); RFC 2228 adds 6 for protected replies. The second and third
//! digits are any decimal digit.

use std::fmt;

/// A three-digit reply code from `100` to `699`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

/// The kind of answer a reply gives, from its first digit (RFC 959 4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplyClass {
    /// `1yz`: the action is starting; expect another reply.
    PositivePreliminary,
    /// `2yz`: the action completed.
    PositiveCompletion,
    /// `3yz`: accepted; send the next command of the sequence.
    PositiveIntermediate,
    /// `4yz`: not done, but the same command may succeed later.
    TransientNegative,
    /// `5yz`: not done; do not repeat it as it was.
    PermanentNegative,
    /// `6yz`: a protected reply (RFC 2228).
    Protected,
}

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $value:literal;)*) => {
        impl ReplyCode {
            $($(#[$doc])* pub const $name: Self = Self($value);)*
        }
    };
}

codes! {
    /// 110 Restart marker reply.
    RESTART_MARKER = 110;
    /// 120 Service ready in nnn minutes.
    SERVICE_READY_SOON = 120;
    /// 125 Data connection already open; transfer starting.
    DATA_CONNECTION_ALREADY_OPEN = 125;
    /// 150 File status okay; about to open data connection.
    FILE_STATUS_OK = 150;
    /// 200 Command okay.
    OK = 200;
    /// 202 Command not implemented, superfluous at this site.
    SUPERFLUOUS = 202;
    /// 211 System status, or system help reply (also the FEAT reply).
    SYSTEM_STATUS = 211;
    /// 212 Directory status.
    DIRECTORY_STATUS = 212;
    /// 213 File status (SIZE, MDTM, STAT of a file).
    FILE_STATUS = 213;
    /// 214 Help message.
    HELP_MESSAGE = 214;
    /// 215 NAME system type.
    SYSTEM_TYPE = 215;
    /// 220 Service ready for new user.
    SERVICE_READY = 220;
    /// 221 Service closing control connection.
    CLOSING_CONTROL = 221;
    /// 225 Data connection open; no transfer in progress.
    DATA_CONNECTION_OPEN = 225;
    /// 226 Closing data connection; requested file action successful.
    CLOSING_DATA_CONNECTION = 226;
    /// 227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).
    ENTERING_PASSIVE_MODE = 227;
    /// 229 Entering Extended Passive Mode (|||port|) (RFC 2428).
    ENTERING_EXTENDED_PASSIVE_MODE = 229;
    /// 230 User logged in, proceed.
    LOGGED_IN = 230;
    /// 232 User logged in, authorized by security data exchange (RFC 2228).
    LOGGED_IN_AUTHORIZED = 232;
    /// 234 Security data exchange complete (RFC 2228; the AUTH TLS reply).
    SECURITY_EXCHANGE_COMPLETE = 234;
    /// 250 Requested file action okay, completed.
    FILE_ACTION_OK = 250;
    /// 257 "PATHNAME" created (also the PWD reply).
    PATHNAME_CREATED = 257;
    /// 331 User name okay, need password.
    NEED_PASSWORD = 331;
    /// 332 Need account for login.
    NEED_ACCOUNT = 332;
    /// 350 Requested file action pending further information.
    FILE_ACTION_PENDING = 350;
    /// 421 Service not available, closing control connection.
    SERVICE_NOT_AVAILABLE = 421;
    /// 425 Can't open data connection.
    CANT_OPEN_DATA_CONNECTION = 425;
    /// 426 Connection closed; transfer aborted.
    CONNECTION_CLOSED = 426;
    /// 431 Need some unavailable resource to process security (RFC 2228).
    SECURITY_RESOURCE_UNAVAILABLE = 431;
    /// 450 Requested file action not taken; file unavailable (busy).
    FILE_UNAVAILABLE_BUSY = 450;
    /// 451 Requested action aborted: local error in processing.
    LOCAL_ERROR = 451;
    /// 452 Requested action not taken; insufficient storage space.
    INSUFFICIENT_STORAGE = 452;
    /// 500 Syntax error, command unrecognized.
    SYNTAX_ERROR = 500;
    /// 501 Syntax error in parameters or arguments.
    SYNTAX_ERROR_IN_PARAMETERS = 501;
    /// 502 Command not implemented.
    NOT_IMPLEMENTED = 502;
    /// 503 Bad sequence of commands.
    BAD_SEQUENCE = 503;
    /// 504 Command not implemented for that parameter.
    NOT_IMPLEMENTED_FOR_PARAMETER = 504;
    /// 522 Network protocol not supported (RFC 2428).
    NETWORK_PROTOCOL_NOT_SUPPORTED = 522;
    /// 530 Not logged in.
    NOT_LOGGED_IN = 530;
    /// 532 Need account for storing files.
    NEED_ACCOUNT_FOR_STORING = 532;
    /// 533 Command protection level denied for policy reasons (RFC 2228).
    PROTECTION_LEVEL_DENIED = 533;
    /// 534 Request denied for policy reasons (RFC 2228).
    DENIED_FOR_POLICY = 534;
    /// 535 Failed security check (RFC 2228).
    FAILED_SECURITY_CHECK = 535;
    /// 536 Requested PROT level not supported by mechanism (RFC 2228).
    PROT_LEVEL_NOT_SUPPORTED = 536;
    /// 550 Requested action not taken; file unavailable.
    FILE_UNAVAILABLE = 550;
    /// 551 Requested action aborted: page type unknown.
    PAGE_TYPE_UNKNOWN = 551;
    /// 552 Requested file action aborted: exceeded storage allocation.
    EXCEEDED_STORAGE = 552;
    /// 553 Requested action not taken: file name not allowed.
    FILE_NAME_NOT_ALLOWED = 553;
}

impl ReplyCode {
    /// Builds a code, or `None` unless `value` is in `100..=699`.
    pub const fn new(value: u16) -> Option<Self> {
        if value >= 100 && value <= 699 {
            Some(Self(value))
        } else {
            None
        }
    }

    /// The numeric value.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The class given by the first digit.
    pub const fn class(self) -> ReplyClass {
        match self.0 / 100 {
            1 => ReplyClass::PositivePreliminary,
            2 => ReplyClass::PositiveCompletion,
            3 => ReplyClass::PositiveIntermediate,
            4 => ReplyClass::TransientNegative,
            5 => ReplyClass::PermanentNegative,
            _ => ReplyClass::Protected,
        }
    }

    /// Whether the code is `1yz`, `2yz` or `3yz`.
    pub const fn is_positive(self) -> bool {
        self.0 < 400
    }

    /// The three ASCII digits.
    pub const fn digits(self) -> [u8; 3] {
        [
            b'0' + (self.0 / 100) as u8,
            b'0' + (self.0 / 10 % 10) as u8,
            b'0' + (self.0 % 10) as u8,
        ]
    }

    /// Parses three ASCII digits.
    pub(crate) fn from_digits(digits: &[u8]) -> Option<Self> {
        match digits {
            [a, b, c] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
                Self::new(
                    u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'),
                )
            }
            _ => None,
        }
    }
}

impl TryFrom<u16> for ReplyCode {
    type Error = u16;
    fn try_from(value: u16) -> Result<Self, u16> {
        Self::new(value).ok_or(value)
    }
}

impl From<ReplyCode> for u16 {
    fn from(code: ReplyCode) -> u16 {
        code.0
    }
}

impl fmt::Debug for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplyCode({})", self.0)
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_is_100_to_699() {
        assert!(ReplyCode::new(99).is_none());
        assert!(ReplyCode::new(700).is_none());
        assert_eq!(ReplyCode::new(631).unwrap().class(), ReplyClass::Protected);
        assert_eq!(ReplyCode::OK.digits(), *b"200");
        assert_eq!(
            ReplyCode::from_digits(b"553"),
            Some(ReplyCode::FILE_NAME_NOT_ALLOWED)
        );
        assert_eq!(ReplyCode::from_digits(b"099"), None);
        assert_eq!(ReplyCode::from_digits(b"5a3"), None);
    }
}
