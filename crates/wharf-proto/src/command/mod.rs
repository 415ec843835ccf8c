//! Commands: every verb a server of RFC 959 and its extensions receives.
//!
//! RFC 959 section 5.3.1 gives the general form: a verb of three or four
//! alphabetic characters (case-insensitive), then for commands that take one,
//! a single space and the argument, then `<CRLF>`. Each argument's grammar is
//! quoted on the type that holds it; [`Command::parse`] dispatches to them.

mod encode;
pub mod help;
mod parse;
mod verbs;

use std::net::{SocketAddr, SocketAddrV4};

use crate::checksum::{ChecksumArgs, RangArg};
use crate::extended::EpsvArg;
use crate::host::{HostName, LangTag};
use crate::list_args::ListArgs;
use crate::opts::OptsArgs;
use crate::secret::Secret;
use crate::security::AuthMechanism;
use crate::site::SiteCommand;
use crate::text::{Argument, Pathname, Text, Username};
use crate::timestamp::Timestamp;
use crate::transfer_params::{ProtectionLevel, Structure, TransferMode, TransferType};

pub use parse::CommandDecoder;

/// A decoded command with typed arguments.
///
/// The `X` variants (`XPWD`, `XMKD`, ...) are the RFC 775 names that some
/// clients (Windows `ftp.exe` among them) still send; servers treat them as
/// their RFC 959 counterparts. They are kept apart so that encoding gives
/// back the verb that was sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Command {
    // RFC 959: access control.
    /// `USER <username>`.
    User(Username),
    /// `PASS [<password>]`; the password may be empty.
    Pass(Secret<Text>),
    /// `ACCT <account-information>`.
    Acct(Text),
    /// `CWD <pathname>`.
    Cwd(Pathname),
    /// `CDUP`.
    Cdup,
    /// `SMNT <pathname>`.
    Smnt(Pathname),
    /// `REIN`.
    Rein,
    /// `QUIT`.
    Quit,

    // RFC 959: transfer parameters.
    /// `PORT h1,h2,h3,h4,p1,p2`.
    Port(SocketAddrV4),
    /// `PASV`.
    Pasv,
    /// `TYPE <type-code>`.
    Type(TransferType),
    /// `STRU <structure-code>`.
    Stru(Structure),
    /// `MODE <mode-code>`.
    Mode(TransferMode),

    // RFC 959: service commands.
    /// `RETR <pathname>`.
    Retr(Pathname),
    /// `STOR <pathname>`.
    Stor(Pathname),
    /// `STOU [<pathname>]`; RFC 959 takes no argument, many clients send a
    /// name to base the unique one on.
    Stou(Option<Pathname>),
    /// `APPE <pathname>`.
    Appe(Pathname),
    /// `ALLO <decimal-integer> [R <decimal-integer>]`.
    Allo {
        /// Bytes to reserve.
        size: u64,
        /// The maximum record or page size, if given.
        record_size: Option<u64>,
    },
    /// `REST <marker>`: a byte offset (RFC 3659 section 5 for stream mode,
    /// and the marker Wharf sends in block mode).
    Rest(u64),
    /// `RNFR <pathname>`.
    Rnfr(Pathname),
    /// `RNTO <pathname>`.
    Rnto(Pathname),
    /// `ABOR`.
    Abor,
    /// `DELE <pathname>`.
    Dele(Pathname),
    /// `RMD <pathname>`.
    Rmd(Pathname),
    /// `MKD <pathname>`.
    Mkd(Pathname),
    /// `PWD`.
    Pwd,
    /// `LIST [<options>] [<pathname>]`.
    List(ListArgs),
    /// `NLST [<options>] [<pathname>]`.
    Nlst(ListArgs),
    /// `SITE <string>`.
    Site(SiteCommand),
    /// `SYST`.
    Syst,
    /// `STAT [<pathname>]`.
    Stat(Option<Pathname>),
    /// `HELP [<string>]`.
    Help(Option<Argument>),
    /// `NOOP`.
    Noop,

    // RFC 2228 and RFC 4217: security.
    /// `AUTH <mechanism-name>`.
    Auth(AuthMechanism),
    /// `PBSZ <decimal-integer>`.
    Pbsz(u32),
    /// `PROT <prot-code>`.
    Prot(ProtectionLevel),
    /// `CCC`.
    Ccc,

    // RFC 2389: feature negotiation.
    /// `FEAT`.
    Feat,
    /// `OPTS <command-name> [<command-options>]`.
    Opts(OptsArgs),

    // RFC 2428: extensions for IPv6 and NATs.
    /// `EPRT <d><net-prt><d><net-addr><d><tcp-port><d>`.
    Eprt(SocketAddr),
    /// `EPSV [<net-prt> | ALL]`.
    Epsv(EpsvArg),

    // RFC 3659: extensions to FTP.
    /// `SIZE <pathname>`.
    Size(Pathname),
    /// `MDTM <pathname>`.
    Mdtm(Pathname),
    /// `MLST [<pathname>]`.
    Mlst(Option<Pathname>),
    /// `MLSD [<pathname>]`.
    Mlsd(Option<Pathname>),

    // RFC 7151 and RFC 2640.
    /// `HOST <hostname>`.
    Host(HostName),
    /// `LANG [<lang-tag>]`.
    Lang(Option<LangTag>),

    // draft-somers-ftp-mfxx.
    /// `MFMT <time-val> <pathname>`: set the modification time.
    Mfmt {
        /// The new modification time.
        modified: Timestamp,
        /// The file.
        path: Pathname,
    },

    // draft-bryan-ftpext-hash-02 and draft-bryan-ftp-range.
    /// `HASH <pathname>`: the file's hash with the selected algorithm.
    Hash(Pathname),
    /// `RANG <start-point> <end-point>`: the bytes the next HASH covers.
    Rang(RangArg),
    /// `XCRC`, `XMD5`, `XSHA1`, `XSHA256`, `XSHA512`: a file's checksum,
    /// the algorithm named by the verb.
    Checksum(ChecksumArgs),

    // RFC 775 names.
    /// `XPWD`, as `PWD`.
    Xpwd,
    /// `XMKD <pathname>`, as `MKD`.
    Xmkd(Pathname),
    /// `XRMD <pathname>`, as `RMD`.
    Xrmd(Pathname),
    /// `XCUP`, as `CDUP`.
    Xcup,
    /// `XCWD <pathname>`, as `CWD`.
    Xcwd(Pathname),
}
