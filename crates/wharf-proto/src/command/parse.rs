//! Decoding command lines.
//!
//! ```text
//! <command-line> ::= <verb> [<SP> <argument>] <CRLF>
//! <verb>         ::= 3 or 4 alphabetic characters, any case
//! ```
//!
//! Extensions outside RFC 959 use longer verbs with digits (`XSHA256`,
//! `MD5`): a verb here is a letter and up to six more letters or digits.
//!
//! Exactly one space separates the verb from its argument; everything after
//! it is the argument, leading and trailing spaces included (they are part of
//! file names). Commands without arguments tolerate trailing spaces, which a
//! few clients send.

use bytes::{Buf, BytesMut};

use super::Command;
use super::verbs::NOT_IMPLEMENTED;
use crate::checksum::{ChecksumArgs, HashAlgorithm, RangArg};
use crate::error::{AddressError, DecodeError};
use crate::extended::{parse_eprt, parse_epsv};
use crate::framer::{DEFAULT_MAX_LINE, LineFramer};
use crate::host::{HostName, LangTag};
use crate::host_port::parse_host_port;
use crate::list_args::ListArgs;
use crate::opts::OptsArgs;
use crate::parse_util::decimal_u64;
use crate::secret::Secret;
use crate::security::AuthMechanism;
use crate::site::{SiteCommand, SiteError};
use crate::telnet;
use crate::text::{Argument, Pathname, Text, Word};
use crate::timestamp::Timestamp;
use crate::transfer_params::{ProtectionLevel, Structure, TransferMode, TransferType};

/// The argument of one command line, with the verb for error reports.
struct Args<'a> {
    verb: &'static str,
    arg: Option<&'a [u8]>,
}

impl<'a> Args<'a> {
    fn invalid(&self, reason: &'static str) -> DecodeError {
        DecodeError::InvalidArgument {
            verb: self.verb,
            reason,
        }
    }

    /// For commands that take no argument.
    fn none(&self) -> Result<(), DecodeError> {
        match self.arg {
            Some(arg) if arg.iter().any(|&b| b != b' ') => {
                Err(DecodeError::UnexpectedArgument { verb: self.verb })
            }
            _ => Ok(()),
        }
    }

    /// The argument, which must be present and not empty.
    fn required(&self) -> Result<&'a [u8], DecodeError> {
        match self.arg {
            Some(arg) if !arg.is_empty() => Ok(arg),
            _ => Err(DecodeError::MissingArgument { verb: self.verb }),
        }
    }

    /// A typed argument (a code, a number, an address): present, with
    /// trailing spaces ignored since no such grammar ends in one.
    fn token(&self) -> Result<&'a [u8], DecodeError> {
        let token = self.required()?.trim_ascii_end();
        if token.is_empty() {
            return Err(DecodeError::MissingArgument { verb: self.verb });
        }
        Ok(token)
    }

    /// An optional typed argument, trailing spaces ignored.
    fn optional_token(&self) -> Option<&'a [u8]> {
        self.arg
            .map(<[u8]>::trim_ascii_end)
            .filter(|a| !a.is_empty())
    }

    /// The argument if present and not empty.
    fn optional(&self) -> Option<&'a [u8]> {
        self.arg.filter(|a| !a.is_empty())
    }

    fn path(&self) -> Result<Pathname, DecodeError> {
        Pathname::new(self.required()?).map_err(|_| self.invalid("pathname holds a CR or NUL"))
    }

    fn optional_path(&self) -> Result<Option<Pathname>, DecodeError> {
        self.optional()
            .map(|a| Pathname::new(a).map_err(|_| self.invalid("pathname holds a CR or NUL")))
            .transpose()
    }

    /// Free text that may be empty or absent.
    fn text(&self) -> Result<Text, DecodeError> {
        Text::new(self.arg.unwrap_or_default())
            .map_err(|_| self.invalid("argument holds a CR or NUL"))
    }

    fn decimal(&self) -> Result<u64, DecodeError> {
        decimal_u64(self.token()?).ok_or_else(|| self.invalid("expected a decimal number"))
    }

    fn address_error(&self, error: AddressError) -> DecodeError {
        match error {
            AddressError::UnsupportedProtocol => {
                DecodeError::UnsupportedProtocol { verb: self.verb }
            }
            AddressError::Malformed(reason) => self.invalid(reason),
        }
    }
}

/// The longest verb, `XSHA256`.
const MAX_VERB: usize = 7;

/// A verb, upper case, in a fixed buffer: (bytes, length).
type UpperVerb = ([u8; MAX_VERB], usize);

/// Splits a line into its upper-case verb and its argument.
fn split_verb(line: &[u8]) -> Result<(UpperVerb, Option<&[u8]>), DecodeError> {
    let end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
    let (verb, rest) = line.split_at(end);
    if verb.is_empty() {
        return Err(DecodeError::NoVerb);
    }
    if !(3..=MAX_VERB).contains(&verb.len())
        || !verb[0].is_ascii_alphabetic()
        || !verb.iter().all(u8::is_ascii_alphanumeric)
    {
        return Err(unknown(verb));
    }
    let mut upper = [0u8; MAX_VERB];
    for (slot, byte) in upper.iter_mut().zip(verb) {
        *slot = byte.to_ascii_uppercase();
    }
    Ok(((upper, verb.len()), rest.get(1..)))
}

/// The error for a verb that is no command: printable ASCII only, cut short.
fn unknown(verb: &[u8]) -> DecodeError {
    let shown: String = verb
        .iter()
        .take(16)
        .map(|&b| {
            if b.is_ascii_graphic() {
                char::from(b.to_ascii_uppercase())
            } else {
                '?'
            }
        })
        .collect();
    DecodeError::UnknownVerb { verb: shown }
}

impl Command {
    /// Decodes one command line, without its `<CRLF>` and with Telnet
    /// sequences already removed (as [`CommandDecoder`] hands them out).
    pub fn parse(line: &[u8]) -> Result<Self, DecodeError> {
        let ((upper, len), arg) = split_verb(line)?;
        let verb = &upper[..len];
        if let Some(&name) = NOT_IMPLEMENTED.iter().find(|v| v.as_bytes() == verb) {
            return Err(DecodeError::NotImplemented { verb: name });
        }
        macro_rules! dispatch {
            ($($name:literal => |$a:ident| $body:expr,)*) => {
                match verb {
                    $(v if v == $name.as_bytes() => {
                        let $a = Args { verb: $name, arg };
                        $body
                    })*
                    _ => Err(unknown(verb)),
                }
            };
        }
        dispatch! {
            "USER" => |a| a.required().and_then(|u| {
                crate::text::Username::new(u).map_err(|_| a.invalid("user name holds a CR or NUL"))
            }).map(Self::User),
            "PASS" => |a| a.text().map(|t| Self::Pass(Secret::new(t))),
            "ACCT" => |a| a.text().map(Self::Acct),
            "CWD" => |a| a.path().map(Self::Cwd),
            "CDUP" => |a| a.none().map(|()| Self::Cdup),
            "SMNT" => |a| a.path().map(Self::Smnt),
            "REIN" => |a| a.none().map(|()| Self::Rein),
            "QUIT" => |a| a.none().map(|()| Self::Quit),
            "PORT" => |a| parse_host_port(a.token()?)
                .map(Self::Port)
                .map_err(|e| a.address_error(e)),
            "PASV" => |a| a.none().map(|()| Self::Pasv),
            "TYPE" => |a| TransferType::parse(a.token()?)
                .map(Self::Type)
                .ok_or_else(|| a.invalid("expected A [N|T|C], E [N|T|C], I or L <bits>")),
            "STRU" => |a| Structure::parse(a.token()?)
                .map(Self::Stru)
                .ok_or_else(|| a.invalid("expected F, R or P")),
            "MODE" => |a| TransferMode::parse(a.token()?)
                .map(Self::Mode)
                .ok_or_else(|| a.invalid("expected S, B or C")),
            "RETR" => |a| a.path().map(Self::Retr),
            "STOR" => |a| a.path().map(Self::Stor),
            "STOU" => |a| a.optional_path().map(Self::Stou),
            "APPE" => |a| a.path().map(Self::Appe),
            "ALLO" => |a| parse_allo(&a),
            "REST" => |a| a.decimal().map(Self::Rest),
            "RNFR" => |a| a.path().map(Self::Rnfr),
            "RNTO" => |a| a.path().map(Self::Rnto),
            "ABOR" => |a| a.none().map(|()| Self::Abor),
            "DELE" => |a| a.path().map(Self::Dele),
            "RMD" => |a| a.path().map(Self::Rmd),
            "MKD" => |a| a.path().map(Self::Mkd),
            "PWD" => |a| a.none().map(|()| Self::Pwd),
            "LIST" => |a| a.optional_path().map(|_| Self::List(ListArgs::parse(a.optional()))),
            "NLST" => |a| a.optional_path().map(|_| Self::Nlst(ListArgs::parse(a.optional()))),
            "SITE" => |a| SiteCommand::parse(a.required()?).map(Self::Site).map_err(|e| match e {
                SiteError::BadName => a.invalid("expected a SITE sub-command"),
                SiteError::BadArgs(reason) => a.invalid(reason),
            }),
            "SYST" => |a| a.none().map(|()| Self::Syst),
            "STAT" => |a| a.optional_path().map(Self::Stat),
            "HELP" => |a| a.optional()
                .map(|t| Argument::new(t).map_err(|_| a.invalid("argument holds a CR or NUL")))
                .transpose()
                .map(Self::Help),
            "NOOP" => |a| a.none().map(|()| Self::Noop),
            "AUTH" => |a| Word::new(a.token()?)
                .map(|w| Self::Auth(AuthMechanism::from_word(w)))
                .map_err(|_| a.invalid("expected a mechanism name such as TLS")),
            "PBSZ" => |a| a.decimal()
                .and_then(|n| u32::try_from(n).map_err(|_| a.invalid("buffer size above 2^32-1")))
                .map(Self::Pbsz),
            "PROT" => |a| ProtectionLevel::parse(a.token()?)
                .map(Self::Prot)
                .ok_or_else(|| a.invalid("expected C, S, E or P")),
            "CCC" => |a| a.none().map(|()| Self::Ccc),
            "FEAT" => |a| a.none().map(|()| Self::Feat),
            "OPTS" => |a| OptsArgs::parse(a.required()?)
                .map(Self::Opts)
                .ok_or_else(|| a.invalid("expected <command> [<options>]")),
            "EPRT" => |a| parse_eprt(a.token()?)
                .map(Self::Eprt)
                .map_err(|e| a.address_error(e)),
            "EPSV" => |a| parse_epsv(a.optional_token())
                .map(Self::Epsv)
                .map_err(|e| a.address_error(e)),
            "SIZE" => |a| a.path().map(Self::Size),
            "MDTM" => |a| a.path().map(Self::Mdtm),
            "MLST" => |a| a.optional_path().map(Self::Mlst),
            "MLSD" => |a| a.optional_path().map(Self::Mlsd),
            "HOST" => |a| HostName::parse(a.token()?)
                .map(Self::Host)
                .ok_or_else(|| a.invalid("expected a domain name or [IP address]")),
            "LANG" => |a| a.optional_token()
                .map(|t| LangTag::parse(t).ok_or_else(|| a.invalid("expected a language tag")))
                .transpose()
                .map(Self::Lang),
            "MFMT" => |a| parse_mfmt(&a),
            "HASH" => |a| a.path().map(Self::Hash),
            "RANG" => |a| RangArg::parse(a.token()?)
                .map(Self::Rang)
                .ok_or_else(|| a.invalid("expected <start> <end> with start <= end, or 1 0")),
            "XCRC" => |a| parse_checksum(&a),
            "XMD5" => |a| parse_checksum(&a),
            "XSHA1" => |a| parse_checksum(&a),
            "XSHA256" => |a| parse_checksum(&a),
            "XSHA512" => |a| parse_checksum(&a),
            "XPWD" => |a| a.none().map(|()| Self::Xpwd),
            "XMKD" => |a| a.path().map(Self::Xmkd),
            "XRMD" => |a| a.path().map(Self::Xrmd),
            "XCUP" => |a| a.none().map(|()| Self::Xcup),
            "XCWD" => |a| a.path().map(Self::Xcwd),
        }
    }

    /// Decodes the first command line of `input`, returning the command and
    /// how many bytes the line took (line break included).
    ///
    /// Returns [`DecodeError::Incomplete`] when `input` has no line break
    /// within [`DEFAULT_MAX_LINE`] bytes yet, and
    /// [`DecodeError::LineTooLong`] when the line is longer than that. Use
    /// [`CommandDecoder`] on a stream, which also discards overlong lines.
    pub fn decode(input: &[u8]) -> Result<(Self, usize), DecodeError> {
        let too_long = DecodeError::LineTooLong {
            limit: DEFAULT_MAX_LINE,
        };
        let Some(end) = input.iter().position(|&b| b == b'\n') else {
            return Err(if input.len() > DEFAULT_MAX_LINE + 1 {
                too_long
            } else {
                DecodeError::Incomplete
            });
        };
        let line = &input[..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > DEFAULT_MAX_LINE {
            return Err(too_long);
        }
        Self::parse(&telnet::unescape(line)).map(|command| (command, end + 1))
    }
}

/// `ALLO <SP> <decimal-integer> [<SP> R <SP> <decimal-integer>]`
fn parse_allo(a: &Args<'_>) -> Result<Command, DecodeError> {
    let arg = a.token()?;
    let mut words = arg.split(|&b| b == b' ');
    let size = words.next().and_then(decimal_u64);
    let record_size = match (words.next(), words.next(), words.next()) {
        (None, _, _) => Some(None),
        (Some(r), Some(n), None) if r.eq_ignore_ascii_case(b"R") => decimal_u64(n).map(Some),
        _ => None,
    };
    match (size, record_size) {
        (Some(size), Some(record_size)) => Ok(Command::Allo { size, record_size }),
        _ => Err(a.invalid("expected <size> [R <record-size>]")),
    }
}

/// `MFMT <SP> <time-val> <SP> <pathname>`
fn parse_mfmt(a: &Args<'_>) -> Result<Command, DecodeError> {
    let arg = a.required()?;
    let usage = "expected YYYYMMDDHHMMSS <pathname>";
    let sp = arg
        .iter()
        .position(|&b| b == b' ')
        .ok_or_else(|| a.invalid(usage))?;
    let modified = Timestamp::parse(&arg[..sp])
        .map_err(|_| a.invalid("invalid time, expected YYYYMMDDHHMMSS"))?;
    let path = Pathname::new(&arg[sp + 1..]).map_err(|_| a.invalid(usage))?;
    Ok(Command::Mfmt { modified, path })
}

/// `<x-command> <SP> <x-path> [<SP> <start> [<SP> <end>]]`, read by
/// [`ChecksumArgs::readings`].
fn parse_checksum(a: &Args<'_>) -> Result<Command, DecodeError> {
    let algorithm = HashAlgorithm::from_x_verb(a.verb.as_bytes())
        .ok_or_else(|| a.invalid("not a checksum command"))?;
    Ok(Command::Checksum(ChecksumArgs::new(algorithm, a.path()?)))
}

/// A streaming command decoder: feed it the bytes of the control connection
/// and take commands out one by one.
///
/// Every line yields exactly one item, a command or an error, so a server
/// that answers every item sends exactly one reply per line, whatever the
/// client sent. An overlong line yields one [`DecodeError::LineTooLong`] and
/// is discarded without being buffered.
#[derive(Debug, Clone, Default)]
pub struct CommandDecoder {
    framer: LineFramer,
}

impl CommandDecoder {
    /// A decoder whose lines hold at most `max_line` bytes.
    pub fn new(max_line: usize) -> Self {
        Self {
            framer: LineFramer::new(max_line),
        }
    }

    /// Takes the next line out of `buf` and decodes it; `Ok(None)` means
    /// no complete line is buffered yet. Errors concern one line only: keep
    /// calling after them.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Command>, DecodeError> {
        match self.framer.next_line(buf) {
            Ok(Some(line)) => Command::parse(&line).map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(DecodeError::LineTooLong { limit: e.limit }),
        }
    }

    /// Like [`CommandDecoder::decode`] at end of input: a last line without
    /// a line break is decoded too, and anything else left is dropped.
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Command>, DecodeError> {
        match self.decode(buf)? {
            Some(command) => Ok(Some(command)),
            None if buf.is_empty() => Ok(None),
            None => {
                buf.extend_from_slice(b"\n");
                let result = self.decode(buf);
                buf.advance(buf.len());
                result
            }
        }
    }
}
