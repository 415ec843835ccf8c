//! The two sessions of seed 003 (an active and a passive directory listing
//! against IIS), replayed through the decoders line by line.

#![allow(clippy::unwrap_used)] // Test helpers panic on purpose.

use std::net::{Ipv4Addr, SocketAddrV4};

use bytes::BytesMut;
use wharf_proto::host::HostName;
use wharf_proto::host_port::parse_pasv_reply;
use wharf_proto::list_args::ListArgs;
use wharf_proto::reply::ReplyDecoder;
use wharf_proto::{Command, CommandDecoder, ReplyCode};

const ACTIVE: &str = "\
C HOST ftp.contoso.com
S 220 Host accepted.
C USER robert
S 331 Password required for robert.
C PASS **********
S 230 User logged in.
C PWD
S 257 \"/\" is current directory.
C PORT 169,254,10,2,72,50
S 200 PORT command successful.
C LIST
S 125 Data connection already open; Transfer starting.
S 226 Transfer complete.
C QUIT
S 221 Goodbye.";

const PASSIVE: &str = "\
C HOST ftp.contoso.com
S 220 Host accepted.
C USER robert
S 331 Password required for robert.
C PASS **********
S 230 User logged in.
C PWD \nS 257 \"/\" is current directory.
C PASV
S 227 Entering Passive Mode (169,254,10,1,197,19).
C LIST
S 150 Opening ASCII mode data connection.
S 226 Transfer complete.
C QUIT
S 221 Goodbye.";

/// Replays a transcript; returns the commands and reply codes seen.
fn replay(transcript: &str) -> (Vec<Command>, Vec<(ReplyCode, String)>) {
    let mut commands = CommandDecoder::default();
    let mut replies = ReplyDecoder::default();
    let (mut from_client, mut from_server) = (BytesMut::new(), BytesMut::new());
    let (mut sent, mut answered) = (Vec::new(), Vec::new());
    for line in transcript.lines() {
        let (side, text) = line.split_at(2);
        if side == "C " {
            from_client.extend_from_slice(text.as_bytes());
            from_client.extend_from_slice(b"\r\n");
            sent.push(commands.decode(&mut from_client).unwrap().unwrap());
        } else {
            from_server.extend_from_slice(text.as_bytes());
            from_server.extend_from_slice(b"\r\n");
            let reply = replies.decode(&mut from_server).unwrap().unwrap();
            answered.push((reply.code(), reply.lines()[0].to_string()));
        }
    }
    (sent, answered)
}

#[test]
fn active_session() {
    let (sent, answered) = replay(ACTIVE);
    assert_eq!(
        sent[0],
        Command::Host(HostName::Domain("ftp.contoso.com".into()))
    );
    assert_eq!(sent[3], Command::Pwd);
    assert_eq!(
        sent[4],
        Command::Port(SocketAddrV4::new(Ipv4Addr::new(169, 254, 10, 2), 18482))
    );
    assert_eq!(sent[5], Command::List(ListArgs::default()));
    assert_eq!(sent[6], Command::Quit);
    let codes: Vec<u16> = answered.iter().map(|(c, _)| c.get()).collect();
    assert_eq!(codes, [220, 331, 230, 257, 200, 125, 226, 221]);
}

#[test]
fn passive_session() {
    let (sent, answered) = replay(PASSIVE);
    // The client sent "PWD " with a trailing space; it is still PWD.
    assert_eq!(sent[3], Command::Pwd);
    assert_eq!(sent[4], Command::Pasv);
    let (code, text) = &answered[4];
    assert_eq!(*code, ReplyCode::ENTERING_PASSIVE_MODE);
    assert_eq!(
        parse_pasv_reply(text.as_bytes()),
        Ok(SocketAddrV4::new(
            Ipv4Addr::new(169, 254, 10, 1),
            197 * 256 + 19
        ))
    );
}
