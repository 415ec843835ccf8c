//! Property tests: decode(encode(x)) == x for every encodable value, and no
//! input of arbitrary bytes makes a decoder panic.

#![allow(clippy::unwrap_used)] // Test helpers panic on purpose.

use std::net::{IpAddr, SocketAddr, SocketAddrV4};
use std::num::NonZeroU8;

use bytes::BytesMut;
use proptest::prelude::*;
use wharf_proto::block::{BlockDecoder, BlockHeader, Descriptor};
use wharf_proto::checksum::{ChecksumArgs, HashAlgorithm, RangArg};
use wharf_proto::extended::{
    EpsvArg, NetworkProtocol, epsv_reply, format_eprt, parse_eprt, parse_epsv_reply,
};
use wharf_proto::host::{HostName, LangTag};
use wharf_proto::host_port::{format_host_port, parse_host_port, parse_pasv_reply, pasv_reply};
use wharf_proto::list_args::{ListArgs, ListOptions};
use wharf_proto::opts::{Fact, OptsArgs};
use wharf_proto::reply::ReplyDecoder;
use wharf_proto::secret::Secret;
use wharf_proto::security::AuthMechanism;
use wharf_proto::site::{FileMode, SiteCommand};
use wharf_proto::text::{Argument, Pathname, Text, Username, Word};
use wharf_proto::timestamp::Timestamp;
use wharf_proto::transfer_params::{
    FormatControl, ProtectionLevel, Structure, TransferMode, TransferType,
};
use wharf_proto::{Command, CommandDecoder, Reply, ReplyCode};

fn arg_bytes(min: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        any::<u8>().prop_filter("no CR/LF/NUL", |b| !matches!(b, b'\r' | b'\n' | 0)),
        min..40,
    )
}

fn pathname() -> impl Strategy<Value = Pathname> {
    arg_bytes(1).prop_map(|b| Pathname::new(b).unwrap())
}

fn text() -> impl Strategy<Value = Text> {
    arg_bytes(0).prop_map(|b| Text::new(b).unwrap())
}

fn argument() -> impl Strategy<Value = Argument> {
    arg_bytes(1).prop_map(|b| Argument::new(b).unwrap())
}

fn word_except(taken: &'static [&'static str]) -> impl Strategy<Value = Word> {
    "[A-Za-z0-9._-]{1,32}"
        .prop_map(|s| Word::try_from(s.as_str()).unwrap())
        .prop_filter("reserved word", move |w| !taken.contains(&w.as_str()))
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (
        Timestamp::MIN.unix_seconds()..=Timestamp::MAX.unix_seconds(),
        0u32..1_000_000_000,
    )
        .prop_map(|(s, n)| Timestamp::from_unix(s, n).unwrap())
}

fn transfer_type() -> impl Strategy<Value = TransferType> {
    let form = prop_oneof![
        Just(FormatControl::NonPrint),
        Just(FormatControl::Telnet),
        Just(FormatControl::Asa)
    ];
    prop_oneof![
        form.clone().prop_map(TransferType::Ascii),
        form.prop_map(TransferType::Ebcdic),
        Just(TransferType::Image),
        (1u8..=255).prop_map(|n| TransferType::Local(NonZeroU8::new(n).unwrap())),
    ]
}

fn list_args() -> impl Strategy<Value = ListArgs> {
    let path = pathname().prop_filter("starts like an option", |p| p.as_bytes()[0] != b'-');
    (any::<[bool; 4]>(), prop::option::of(path)).prop_map(
        |([all, long, recursive, directory], path)| ListArgs {
            options: ListOptions {
                all,
                long,
                recursive,
                directory,
            },
            path,
        },
    )
}

fn host_name() -> impl Strategy<Value = HostName> {
    prop_oneof![
        any::<IpAddr>().prop_map(HostName::Ip),
        "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?){0,3}"
            .prop_map(HostName::Domain),
    ]
}

fn fact() -> impl Strategy<Value = Fact> {
    prop_oneof![
        prop::sample::select(Fact::KNOWN.to_vec()),
        word_except(&[]).prop_filter_map("known fact", |w| match Fact::from_word(w) {
            f @ Fact::Other(_) => Some(f),
            _ => None,
        }),
    ]
}

fn opts() -> impl Strategy<Value = OptsArgs> {
    prop_oneof![
        any::<bool>().prop_map(OptsArgs::Utf8),
        prop::collection::vec(fact(), 0..5).prop_map(OptsArgs::Mlst),
        (
            word_except(&["UTF8", "UTF-8", "MLST"]),
            prop::option::of(text())
        )
            .prop_map(|(command, options)| OptsArgs::Other { command, options }),
    ]
}

fn site() -> impl Strategy<Value = SiteCommand> {
    prop_oneof![
        (0u32..=0o7777, pathname()).prop_map(|(m, path)| SiteCommand::Chmod {
            mode: FileMode::new(m).unwrap(),
            path
        }),
        prop::option::of(argument()).prop_map(SiteCommand::Help),
        (
            word_except(&["CHMOD", "HELP"]),
            prop::option::of(argument())
        )
            .prop_map(|(name, args)| SiteCommand::Other { name, args }),
    ]
}

fn auth() -> impl Strategy<Value = AuthMechanism> {
    prop_oneof![
        Just(AuthMechanism::Tls),
        Just(AuthMechanism::Ssl),
        Just(AuthMechanism::TlsC),
        Just(AuthMechanism::TlsP),
        word_except(&["TLS", "SSL", "TLS-C", "TLS-P"]).prop_map(AuthMechanism::Other),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    use Command::*;
    let no_arg = prop::sample::select(vec![
        Cdup, Rein, Quit, Pasv, Abor, Pwd, Syst, Noop, Ccc, Feat, Xpwd, Xcup,
    ]);
    let with_path = (0usize..17, pathname()).prop_map(|(i, p)| {
        [
            Cwd,
            Smnt,
            Retr,
            Stor,
            Appe,
            Rnfr,
            Rnto,
            Dele,
            Rmd,
            Mkd,
            Size,
            Mdtm,
            Xmkd,
            Xrmd,
            Xcwd,
            |p| Stou(Some(p)),
            |p| Stat(Some(p)),
        ][i](p)
    });
    let optional_path =
        (0usize..4, prop::option::of(pathname())).prop_map(|(i, p)| [Stou, Stat, Mlst, Mlsd][i](p));
    prop_oneof![
        no_arg,
        with_path,
        optional_path,
        arg_bytes(1).prop_map(|b| User(Username::new(b).unwrap())),
        text().prop_map(|t| Pass(Secret::new(t))),
        text().prop_map(Acct),
        any::<SocketAddrV4>().prop_map(Port),
        transfer_type().prop_map(Type),
        prop::sample::select(vec![Structure::File, Structure::Record, Structure::Page])
            .prop_map(Stru),
        prop::sample::select(vec![
            TransferMode::Stream,
            TransferMode::Block,
            TransferMode::Compressed
        ])
        .prop_map(Mode),
        (any::<u64>(), prop::option::of(any::<u64>()))
            .prop_map(|(size, record_size)| Allo { size, record_size }),
        any::<u64>().prop_map(Rest),
        list_args().prop_map(List),
        list_args().prop_map(Nlst),
        site().prop_map(Site),
        prop::option::of(argument()).prop_map(Help),
        auth().prop_map(Auth),
        any::<u32>().prop_map(Pbsz),
        prop::sample::select(vec![
            ProtectionLevel::Clear,
            ProtectionLevel::Safe,
            ProtectionLevel::Confidential,
            ProtectionLevel::Private
        ])
        .prop_map(Prot),
        opts().prop_map(Opts),
        any::<(IpAddr, u16)>().prop_map(|(ip, port)| Eprt(SocketAddr::new(ip, port))),
        prop::sample::select(vec![
            EpsvArg::Any,
            EpsvArg::All,
            EpsvArg::Protocol(NetworkProtocol::Ipv4),
            EpsvArg::Protocol(NetworkProtocol::Ipv6)
        ])
        .prop_map(Epsv),
        host_name().prop_map(Host),
        prop::option::of("[a-zA-Z0-9]{1,8}(-[a-zA-Z0-9]{1,8}){0,3}")
            .prop_map(|t| Lang(t.map(|t| LangTag::parse(t.as_bytes()).unwrap()))),
        (timestamp(), pathname()).prop_map(|(modified, path)| Mfmt { modified, path }),
        pathname().prop_map(Hash),
        prop_oneof![
            Just(RangArg::Reset),
            (any::<u64>(), any::<u64>()).prop_map(|(a, b)| RangArg::Bytes {
                first: a.min(b),
                last: a.max(b)
            })
        ]
        .prop_map(Rang),
        (
            prop::sample::select(HashAlgorithm::ALL.to_vec()),
            pathname()
        )
            .prop_map(|(algorithm, path)| Checksum(ChecksumArgs::new(algorithm, path))),
    ]
}

fn reply() -> impl Strategy<Value = Reply> {
    let middle = text().prop_filter("starts with a digit", |t| {
        !t.as_bytes().first().is_some_and(u8::is_ascii_digit)
    });
    (
        100u16..=699,
        text(),
        prop::collection::vec(middle, 0..4),
        prop::option::of(text()),
    )
        .prop_map(|(code, first, middle, last)| {
            let mut lines = vec![first];
            if let Some(last) = last {
                lines.extend(middle);
                lines.push(last);
            }
            Reply::from_lines(ReplyCode::new(code).unwrap(), lines)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn command_round_trips(command in command()) {
        let bytes = command.to_bytes();
        let (decoded, used) = Command::decode(&bytes)
            .map_err(|e| TestCaseError::fail(format!("{e} for {:?}", String::from_utf8_lossy(&bytes))))?;
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(decoded, command);
    }

    #[test]
    fn reply_round_trips(reply in reply()) {
        let mut buf = BytesMut::from(&reply.to_bytes()[..]);
        let decoded = ReplyDecoder::default().decode(&mut buf);
        prop_assert_eq!(decoded, Ok(Some(reply)));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn host_port_round_trips(addr in any::<SocketAddrV4>()) {
        prop_assert_eq!(parse_host_port(format_host_port(addr).as_bytes()), Ok(addr));
        prop_assert_eq!(parse_pasv_reply(pasv_reply(addr).lines()[0].as_bytes()), Ok(addr));
    }

    #[test]
    fn eprt_and_epsv_round_trip(ip in any::<IpAddr>(), port in any::<u16>()) {
        let addr = SocketAddr::new(ip, port);
        prop_assert_eq!(parse_eprt(format_eprt(addr).as_bytes()), Ok(addr));
        prop_assert_eq!(parse_epsv_reply(epsv_reply(port).lines()[0].as_bytes()), Ok(port));
    }

    #[test]
    fn block_header_round_trips(flags in 0u8..16, len in any::<u16>()) {
        let header = BlockHeader { descriptor: Descriptor::new(flags << 4).unwrap(), len };
        prop_assert_eq!(BlockHeader::decode(header.encode()), Ok(header));
    }

    #[test]
    fn timestamp_round_trips(ts in timestamp()) {
        prop_assert_eq!(Timestamp::parse(ts.to_time_val().as_bytes()), Ok(ts));
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..300), split in 0usize..300) {
        let _ = Command::decode(&data);
        let _ = Command::parse(&data);
        let _ = parse_host_port(&data);
        let _ = parse_eprt(&data);
        let _ = parse_pasv_reply(&data);
        let _ = parse_epsv_reply(&data);
        let _ = Timestamp::parse(&data);
        let split = split.min(data.len());
        let mut commands = CommandDecoder::new(64);
        let mut replies = ReplyDecoder::new(64, 256);
        let mut blocks = BlockDecoder::new();
        let (mut a, mut b, mut c) = (BytesMut::new(), BytesMut::new(), BytesMut::new());
        for chunk in [&data[..split], &data[split..]] {
            a.extend_from_slice(chunk);
            b.extend_from_slice(chunk);
            c.extend_from_slice(chunk);
            // Each call consumes input or returns; bound the loops anyway.
            for _ in 0..1000 {
                if let Ok(None) = commands.decode(&mut a) { break; }
            }
            for _ in 0..1000 {
                if let Ok(None) = replies.decode(&mut b) { break; }
            }
            for _ in 0..1000 {
                match blocks.decode(&mut c) { Ok(None) | Err(_) => break, Ok(Some(_)) => {} }
            }
            prop_assert!(a.len() <= 65 && b.len() <= 65);
        }
        let _ = commands.decode_eof(&mut a);
    }
}
