//! Wharf's sans-IO FTP wire codec: bytes in, typed values out, and back.
//!
//! `wharf-proto` knows the control connection of FTP and FTPS (RFC 959 and
//! its extensions: 2228, 2389, 2428, 2640, 3659, 4217, 7151) and the framing
//! of MODE B data connections. It does no I/O, so a server, a client or a
//! proxy can use it on any runtime; a `tokio_util::codec` pair comes with the
//! default `tokio-codec` feature ([`codec`]).
//!
//! Every value is typed and validated: a [`Command`] holds a
//! [`SocketAddrV4`](std::net::SocketAddrV4) for PORT, a `u64` for REST, a
//! [`Pathname`](text::Pathname) that cannot hold CR, LF or NUL, a password in
//! a [`Secret`](secret::Secret) that never prints. Since the types cannot hold
//! invalid values, encoding cannot fail.
//!
//! ```
//! use bytes::BytesMut;
//! use wharf_proto::{Command, CommandDecoder, Reply, ReplyCode};
//!
//! // Server side: decode what the client sent, one line at a time.
//! let mut decoder = CommandDecoder::default();
//! let mut input = BytesMut::from(&b"USER alice\r\nPORT 127,0,0,1,4,1\r\nXYZZY\r\n"[..]);
//! let user = decoder.decode(&mut input).unwrap().unwrap();
//! assert_eq!(user.verb(), "USER");
//! let port = decoder.decode(&mut input).unwrap().unwrap();
//! assert_eq!(port, Command::Port("127.0.0.1:1025".parse().unwrap()));
//! // Every line yields one item; errors tell which reply to send.
//! let unknown = decoder.decode(&mut input).unwrap_err();
//! assert_eq!(unknown.reply_code(), Some(ReplyCode::SYNTAX_ERROR));
//!
//! // And answer.
//! let reply = Reply::new(ReplyCode::NEED_PASSWORD, "Password required for alice.");
//! assert_eq!(reply.to_bytes(), b"331 Password required for alice.\r\n");
//! let feat = Reply::multiline(ReplyCode::SYSTEM_STATUS, ["Extensions:", " EPSV", " UTF8", "End"]);
//! assert_eq!(feat.to_bytes(), b"211-Extensions:\r\n EPSV\r\n UTF8\r\n211 End\r\n");
//! ```
//!
//! The modules follow the grammar areas of the RFCs; each parser quotes the
//! grammar it implements:
//!
//! | module | what |
//! |---|---|
//! | [`command`] | [`Command`], its parser and encoder, [`CommandDecoder`] |
//! | [`reply`] | [`Reply`], [`ReplyCode`], the client-side [`reply::ReplyDecoder`] |
//! | [`framer`], [`telnet`] | CRLF framing with a hard line limit, Telnet IAC |
//! | [`host_port`], [`extended`] | PORT/PASV and EPRT/EPSV addresses and replies |
//! | [`transfer_params`], [`security`], [`opts`], [`site`], [`list_args`], [`host`] | typed arguments |
//! | [`timestamp`] | RFC 3659 `time-val` (MDTM, MFMT, MLSx `modify`) |
//! | [`block`] | MODE B block headers, encoder and incremental decoder |
//! | [`listing`] | LIST (`ls -l`), NLST and MLSx fact lines |
//! | [`error`] | the error enums |
#![doc(html_root_url = "https://docs.rs/wharf-proto/0.1.0")]

pub mod block;
pub mod checksum;
#[cfg(feature = "tokio-codec")]
pub mod codec;
pub mod command;
pub mod error;
pub mod extended;
pub mod framer;
pub mod host;
pub mod host_port;
pub mod list_args;
pub mod listing;
pub mod opts;
mod parse_util;
pub mod reply;
pub mod secret;
pub mod security;
pub mod site;
pub mod telnet;
pub mod text;
pub mod timestamp;
pub mod transfer_params;

pub use command::{Command, CommandDecoder};
pub use error::DecodeError;
pub use reply::{Reply, ReplyCode};
