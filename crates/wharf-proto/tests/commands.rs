//! Known answers for every command: the line a client sends, what it
//! decodes to, and the line the encoder gives back.

#![allow(clippy::unwrap_used)] // Test helpers panic on purpose.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::num::NonZeroU8;

use wharf_proto::checksum::{ChecksumArgs, HashAlgorithm, RangArg};
use wharf_proto::extended::{EpsvArg, NetworkProtocol};
use wharf_proto::host::{HostName, LangTag};
use wharf_proto::list_args::{ListArgs, ListOptions};
use wharf_proto::opts::{Fact, OptsArgs};
use wharf_proto::secret::Secret;
use wharf_proto::security::AuthMechanism;
use wharf_proto::site::{FileMode, SiteCommand};
use wharf_proto::text::{Argument, Pathname, Text, Username, Word};
use wharf_proto::timestamp::Timestamp;
use wharf_proto::transfer_params::{
    FormatControl, ProtectionLevel, Structure, TransferMode, TransferType,
};
use wharf_proto::{Command, DecodeError, ReplyCode};

fn p(s: &str) -> Pathname {
    Pathname::try_from(s).unwrap()
}

fn decode(line: &[u8]) -> Result<Command, DecodeError> {
    let mut input = line.to_vec();
    input.extend_from_slice(b"\r\n");
    let (command, used) = Command::decode(&input)?;
    assert_eq!(used, input.len());
    Ok(command)
}

/// A line as sent, the command, and the canonical encoding if it differs.
type KnownAnswer = (&'static [u8], Command, Option<&'static [u8]>);

fn table() -> Vec<KnownAnswer> {
    use Command::*;
    let addr: SocketAddr = "[2001:db8::7]:6446".parse().unwrap();
    vec![
        (
            b"USER anonymous",
            User(Username::try_from("anonymous").unwrap()),
            None,
        ),
        (
            b"user robert",
            User(Username::try_from("robert").unwrap()),
            Some(b"USER robert"),
        ),
        (
            b"PASS s3cret pass",
            Pass(Secret::new(Text::try_from("s3cret pass").unwrap())),
            None,
        ),
        (b"PASS", Pass(Secret::new(Text::empty())), Some(b"PASS ")),
        (
            b"ACCT billing",
            Acct(Text::try_from("billing").unwrap()),
            None,
        ),
        (b"CWD /pub/my dir ", Cwd(p("/pub/my dir ")), None),
        (b"CDUP", Cdup, None),
        (b"SMNT /mnt", Smnt(p("/mnt")), None),
        (b"REIN", Rein, None),
        (b"QUIT", Quit, None),
        (
            b"PORT 169,254,10,2,72,50",
            Port(SocketAddrV4::new(
                Ipv4Addr::new(169, 254, 10, 2),
                72 * 256 + 50,
            )),
            None,
        ),
        (b"PASV", Pasv, None),
        (
            b"TYPE A",
            Type(TransferType::Ascii(FormatControl::NonPrint)),
            None,
        ),
        (
            b"TYPE A N",
            Type(TransferType::Ascii(FormatControl::NonPrint)),
            Some(b"TYPE A"),
        ),
        (
            b"TYPE A T",
            Type(TransferType::Ascii(FormatControl::Telnet)),
            None,
        ),
        (
            b"TYPE E C",
            Type(TransferType::Ebcdic(FormatControl::Asa)),
            None,
        ),
        (b"TYPE I", Type(TransferType::Image), None),
        (b"type i", Type(TransferType::Image), Some(b"TYPE I")),
        (
            b"TYPE L 8",
            Type(TransferType::Local(NonZeroU8::new(8).unwrap())),
            None,
        ),
        (b"STRU F", Stru(Structure::File), None),
        (b"STRU R", Stru(Structure::Record), None),
        (b"STRU P", Stru(Structure::Page), None),
        (b"MODE S", Mode(TransferMode::Stream), None),
        (b"MODE B", Mode(TransferMode::Block), None),
        (b"MODE C", Mode(TransferMode::Compressed), None),
        (b"RETR file.bin", Retr(p("file.bin")), None),
        (b"STOR /up/load.tar.gz", Stor(p("/up/load.tar.gz")), None),
        (b"STOU", Stou(None), None),
        (b"STOU base.txt", Stou(Some(p("base.txt"))), None),
        (b"APPE log.txt", Appe(p("log.txt")), None),
        (
            b"ALLO 1048576",
            Allo {
                size: 1_048_576,
                record_size: None,
            },
            None,
        ),
        (
            b"ALLO 100 R 10",
            Allo {
                size: 100,
                record_size: Some(10),
            },
            None,
        ),
        (b"REST 0", Rest(0), None),
        (b"REST 18446744073709551615", Rest(u64::MAX), None),
        (b"RNFR old name", Rnfr(p("old name")), None),
        (b"RNTO new name", Rnto(p("new name")), None),
        (b"ABOR", Abor, None),
        (b"DELE junk", Dele(p("junk")), None),
        (b"RMD empty", Rmd(p("empty")), None),
        (b"MKD new", Mkd(p("new")), None),
        (b"PWD", Pwd, None),
        (b"PWD ", Pwd, Some(b"PWD")),
        (b"LIST", List(ListArgs::default()), None),
        (
            b"LIST -la /pub",
            List(ListArgs {
                options: ListOptions {
                    all: true,
                    long: true,
                    ..Default::default()
                },
                path: Some(p("/pub")),
            }),
            None,
        ),
        (b"NLST", Nlst(ListArgs::default()), None),
        (
            b"NLST *.txt",
            Nlst(ListArgs {
                options: ListOptions::default(),
                path: Some(p("*.txt")),
            }),
            None,
        ),
        (
            b"SITE CHMOD 644 a.txt",
            Site(SiteCommand::Chmod {
                mode: FileMode::new(0o644).unwrap(),
                path: p("a.txt"),
            }),
            None,
        ),
        (b"SITE HELP", Site(SiteCommand::Help(None)), None),
        (
            b"SITE UTIME 20200101000000 f",
            Site(SiteCommand::Utime {
                modified: Timestamp::parse(b"20200101000000").unwrap(),
                path: p("f"),
            }),
            None,
        ),
        (
            b"SITE WHO",
            Site(SiteCommand::Other {
                name: Word::try_from("WHO").unwrap(),
                args: None,
            }),
            None,
        ),
        (b"SYST", Syst, None),
        (b"STAT", Stat(None), None),
        (b"STAT /pub", Stat(Some(p("/pub"))), None),
        (b"HELP", Help(None), None),
        (
            b"HELP SITE",
            Help(Some(Argument::try_from("SITE").unwrap())),
            None,
        ),
        (b"NOOP", Noop, None),
        (b"AUTH TLS", Auth(AuthMechanism::Tls), None),
        (b"AUTH SSL", Auth(AuthMechanism::Ssl), None),
        (
            b"auth tls-c",
            Auth(AuthMechanism::TlsC),
            Some(b"AUTH TLS-C"),
        ),
        (b"PBSZ 0", Pbsz(0), None),
        (b"PBSZ 4294967295", Pbsz(u32::MAX), None),
        (b"PROT P", Prot(ProtectionLevel::Private), None),
        (b"PROT C", Prot(ProtectionLevel::Clear), None),
        (b"CCC", Ccc, None),
        (b"FEAT", Feat, None),
        (b"OPTS UTF8 ON", Opts(OptsArgs::Utf8(true)), None),
        (
            b"OPTS MLST type;size;",
            Opts(OptsArgs::Mlst(vec![Fact::Type, Fact::Size])),
            None,
        ),
        (
            b"EPRT |1|132.235.1.2|6275|",
            Eprt("132.235.1.2:6275".parse().unwrap()),
            None,
        ),
        (b"EPRT |2|2001:db8::7|6446|", Eprt(addr), None),
        (b"EPSV", Epsv(EpsvArg::Any), None),
        (
            b"EPSV 1",
            Epsv(EpsvArg::Protocol(NetworkProtocol::Ipv4)),
            None,
        ),
        (
            b"EPSV 2",
            Epsv(EpsvArg::Protocol(NetworkProtocol::Ipv6)),
            None,
        ),
        (b"EPSV ALL", Epsv(EpsvArg::All), None),
        (b"SIZE big.iso", Size(p("big.iso")), None),
        (b"MDTM big.iso", Mdtm(p("big.iso")), None),
        (b"MLST", Mlst(None), None),
        (b"MLST file", Mlst(Some(p("file"))), None),
        (b"MLSD", Mlsd(None), None),
        (b"MLSD /pub", Mlsd(Some(p("/pub"))), None),
        (
            b"HOST ftp.contoso.com",
            Host(HostName::Domain("ftp.contoso.com".into())),
            None,
        ),
        (
            b"HOST [::1]",
            Host(HostName::Ip("::1".parse().unwrap())),
            None,
        ),
        (b"LANG", Lang(None), None),
        (b"LANG fr-CA", Lang(LangTag::parse(b"fr-CA")), None),
        (
            b"MFMT 20200102030405 photo.jpg",
            Mfmt {
                modified: Timestamp::parse(b"20200102030405").unwrap(),
                path: p("photo.jpg"),
            },
            None,
        ),
        (b"XPWD", Xpwd, None),
        (b"XMKD d", Xmkd(p("d")), None),
        (b"XRMD d", Xrmd(p("d")), None),
        (b"XCUP", Xcup, None),
        (b"XCWD d", Xcwd(p("d")), None),
        (b"HASH my file", Hash(p("my file")), None),
        (
            b"RANG 0 49",
            Rang(RangArg::Bytes { first: 0, last: 49 }),
            None,
        ),
        (b"RANG 1 0", Rang(RangArg::Reset), None),
        (
            b"xcrc \"a b\" 0 10",
            Checksum(ChecksumArgs::new(HashAlgorithm::Crc32, p("\"a b\" 0 10"))),
            Some(b"XCRC \"a b\" 0 10"),
        ),
        (
            b"XSHA256 f",
            Checksum(ChecksumArgs::new(HashAlgorithm::Sha256, p("f"))),
            None,
        ),
    ]
}

#[test]
fn every_command_decodes_and_encodes() {
    for (line, expected, canonical) in table() {
        let got =
            decode(line).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(line)));
        assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(line));
        let mut encoded = canonical.unwrap_or(line).to_vec();
        encoded.extend_from_slice(b"\r\n");
        assert_eq!(
            String::from_utf8_lossy(&got.to_bytes()),
            String::from_utf8_lossy(&encoded)
        );
        assert_eq!(decode(canonical.unwrap_or(line)).unwrap(), expected);
    }
}

#[test]
fn every_verb_of_the_issue_is_in_the_table() {
    let verbs: Vec<&str> = table().iter().map(|(_, c, _)| c.verb()).collect();
    for verb in "USER PASS ACCT CWD CDUP SMNT REIN QUIT PORT PASV TYPE STRU MODE RETR STOR STOU \
                 APPE ALLO REST RNFR RNTO ABOR DELE RMD MKD PWD LIST NLST SITE SYST STAT HELP \
                 NOOP AUTH PBSZ PROT CCC FEAT OPTS EPRT EPSV SIZE MDTM MLST MLSD HOST LANG MFMT \
                 XPWD XMKD XRMD XCUP XCWD"
        .split_whitespace()
    {
        assert!(verbs.contains(&verb), "{verb} has no known answer");
    }
}

fn code_of(line: &[u8]) -> u16 {
    decode(line).unwrap_err().reply_code().unwrap().get()
}

#[test]
fn errors_map_to_the_right_reply_codes() {
    // Unknown verbs: 500, with the verb named.
    assert_eq!(code_of(b"FOO bar"), 500);
    assert_eq!(
        decode(b"xyzzy").unwrap_err(),
        DecodeError::UnknownVerb {
            verb: "XYZZY".into()
        }
    );
    assert_eq!(code_of(b""), 500);
    assert_eq!(code_of(b"  NOOP"), 500);
    // Known but not implemented: 502.
    assert_eq!(code_of(b"ADAT abc"), 502);
    assert_eq!(code_of(b"LPRT 4,4,1,2,3,4,2,0,21"), 502);
    // Bad or missing parameters: 501, naming the verb.
    let missing = decode(b"RETR").unwrap_err();
    assert_eq!(missing, DecodeError::MissingArgument { verb: "RETR" });
    assert_eq!(missing.verb(), Some("RETR"));
    for bad in [
        &b"RETR "[..],
        b"CWD",
        b"NOOP now",
        b"PASV 1",
        b"PORT 1,2,3",
        b"PORT 1,2,3,4,5,256",
        b"TYPE X",
        b"TYPE I N",
        b"MODE Z",
        b"STRU Q",
        b"REST -1",
        b"REST abc",
        b"REST 18446744073709551616",
        b"ALLO",
        b"ALLO 1 X 2",
        b"PBSZ 4294967296",
        b"PROT X",
        b"EPRT |1|::1|21|",
        b"EPRT 1.2.3.4",
        b"EPSV x",
        b"MFMT 2020 f",
        b"MFMT 20201301000000 f",
        b"MFMT 20200101000000",
        b"HOST bad host",
        b"LANG en_US",
        b"SITE",
        b"SITE CHMOD 999 f",
        b"AUTH",
        b"OPTS",
        b"OPTS UTF8 MAYBE",
        b"USER",
    ] {
        assert_eq!(code_of(bad), 501, "{:?}", String::from_utf8_lossy(bad));
    }
    // Unknown network protocols: 522 (RFC 2428).
    assert_eq!(code_of(b"EPRT |3|1.2.3.4|21|"), 522);
    assert_eq!(code_of(b"EPSV 9"), 522);
    assert_eq!(DecodeError::Incomplete.reply_code(), None::<ReplyCode>);
}

#[test]
fn trailing_spaces_after_typed_arguments_are_ignored_but_kept_in_paths() {
    assert_eq!(
        decode(b"TYPE I ").unwrap(),
        Command::Type(TransferType::Image)
    );
    assert_eq!(decode(b"REST 100  ").unwrap(), Command::Rest(100));
    assert_eq!(decode(b"EPSV ALL ").unwrap(), Command::Epsv(EpsvArg::All));
    assert_eq!(
        decode(b"AUTH TLS ").unwrap(),
        Command::Auth(AuthMechanism::Tls)
    );
    assert_eq!(decode(b"RETR a ").unwrap(), Command::Retr(p("a ")));
    assert_eq!(code_of(b"TYPE  "), 501);
}

#[test]
fn nul_and_stray_cr_in_arguments_are_refused() {
    assert_eq!(code_of(b"RETR a\0b"), 501);
    assert_eq!(code_of(b"RETR a\rb"), 501);
    assert_eq!(code_of(b"NO\0OP"), 500);
}

#[test]
fn incomplete_and_overlong_input() {
    assert_eq!(Command::decode(b"NOOP"), Err(DecodeError::Incomplete));
    assert_eq!(Command::decode(b""), Err(DecodeError::Incomplete));
    let long = vec![b'A'; 9000];
    assert!(matches!(
        Command::decode(&long),
        Err(DecodeError::LineTooLong { .. })
    ));
    let (command, used) = Command::decode(b"NOOP\nQUIT\r\n").unwrap();
    assert_eq!((command, used), (Command::Noop, 5));
}

#[test]
fn telnet_iac_is_interpreted_on_decode_and_doubled_on_encode() {
    // ABOR preceded by IAC IP IAC DM (RFC 959 4.1.3).
    let (command, _) = Command::decode(b"\xff\xf4\xff\xf2ABOR\r\n").unwrap();
    assert_eq!(command, Command::Abor);
    // A 0xFF byte in a pathname travels doubled.
    let (command, _) = Command::decode(b"RETR a\xff\xffb\r\n").unwrap();
    assert_eq!(command, Command::Retr(Pathname::new(*b"a\xffb").unwrap()));
    assert_eq!(command.to_bytes(), b"RETR a\xff\xffb\r\n");
}

#[test]
fn password_never_shows_in_debug() {
    let command = decode(b"PASS hunter2").unwrap();
    let shown = format!("{command:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn non_utf8_pathnames_are_kept() {
    let command = decode(b"STOR caf\xe9.txt").unwrap();
    assert_eq!(
        command,
        Command::Stor(Pathname::new(*b"caf\xe9.txt").unwrap())
    );
}
