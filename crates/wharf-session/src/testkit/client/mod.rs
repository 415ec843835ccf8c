//! The client side of an in-process session: sends lines, reads replies,
//! and plays every data connection (passive, active, the default data
//! port; plain or PROT P; MODE S or MODE B) the way a real client would.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;
use tokio::time::error::Elapsed;
use tokio::time::{timeout, timeout_at};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use wharf_proto::Reply;
use wharf_proto::extended::{parse_eprt, parse_epsv_reply};
use wharf_proto::host_port::{parse_host_port, parse_pasv_reply};
use wharf_proto::reply::ReplyDecoder;

use super::PipePorts;

mod data;

/// How long the client waits for anything.
const WAIT: Duration = Duration::from_secs(10);

/// A data connection's bytes, plain or TLS.
pub(crate) trait DataStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> DataStream for T {}

enum Control {
    Plain(DuplexStream),
    Tls(Box<TlsStream<DuplexStream>>),
    Closed,
}

/// Where the next transfer's data connection comes from.
enum Pending {
    None,
    /// Dialled at the 227/229 reply, as clients do.
    Passive(DuplexStream),
    /// Listening at the PORT/EPRT address.
    Active(mpsc::UnboundedReceiver<DuplexStream>),
}

/// What one command got.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub(crate) replies: Vec<Reply>,
    /// What came over the data connection (downloads and listings).
    pub(crate) data: Vec<u8>,
}

impl Exchange {
    pub(crate) fn codes(&self) -> Vec<u16> {
        self.replies.iter().map(|r| r.code().get()).collect()
    }

    /// The last reply's text, lines joined with `\n`.
    pub(crate) fn text(&self) -> String {
        self.replies.last().map(text).unwrap_or_default()
    }
}

/// A reply's lines joined with `\n`.
pub(crate) fn text(reply: &Reply) -> String {
    let lines: Vec<String> = reply
        .lines()
        .iter()
        .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned())
        .collect();
    lines.join("\n")
}

/// One client of a [`super::Harness`].
pub(crate) struct Client {
    control: Control,
    received: BytesMut,
    decoder: ReplyDecoder,
    /// The control connection's address on the client's side.
    pub(crate) peer: SocketAddr,
    ports: Arc<PipePorts>,
    tls: Option<Arc<ClientConfig>>,
    pending: Pending,
    /// Where the server's default-data-port connections arrive.
    default_port: mpsc::UnboundedReceiver<DuplexStream>,
    /// A MODE B connection kept for the next transfer.
    kept: Option<Box<dyn DataStream>>,
    prot_private: bool,
    block: bool,
}

impl Client {
    pub(super) fn new(
        control: DuplexStream,
        peer: SocketAddr,
        ports: Arc<PipePorts>,
        tls: Option<Arc<ClientConfig>>,
    ) -> Self {
        let default_port = ports.listen(peer);
        Self {
            control: Control::Plain(control),
            received: BytesMut::new(),
            decoder: ReplyDecoder::default(),
            peer,
            ports,
            tls,
            pending: Pending::None,
            default_port,
            kept: None,
            prot_private: false,
            block: false,
        }
    }

    /// Sends raw bytes on the control connection.
    pub(crate) async fn send_raw(&mut self, bytes: &[u8]) {
        let sent = match &mut self.control {
            Control::Plain(s) => s.write_all(bytes).await,
            Control::Tls(s) => match s.write_all(bytes).await {
                Ok(()) => s.flush().await,
                Err(e) => Err(e),
            },
            Control::Closed => panic!("the control connection is closed"),
        };
        sent.expect("the server reads the control connection");
    }

    /// The next reply.
    pub(crate) async fn reply(&mut self) -> Reply {
        self.try_reply()
            .await
            .expect("the server closed the control connection")
    }

    /// The next reply, or `None` once the server has closed the connection.
    pub(crate) async fn try_reply(&mut self) -> Option<Reply> {
        self.reply_within(WAIT).await.expect("a reply in time")
    }

    /// Checks that for `wait` no reply comes and the connection stays open.
    pub(crate) async fn assert_quiet(&mut self, wait: Duration) {
        match self.reply_within(wait).await {
            Err(Elapsed { .. }) => {}
            Ok(Some(reply)) => panic!("a reply nobody asked for: {reply:?}"),
            Ok(None) => panic!("the server closed the control connection"),
        }
    }

    /// The next reply within `wait`, or `Ok(None)` once the server has
    /// closed the connection.
    async fn reply_within(&mut self, wait: Duration) -> Result<Option<Reply>, Elapsed> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(reply) = self
                .decoder
                .decode(&mut self.received)
                .expect("a valid reply")
            {
                return Ok(Some(reply));
            }
            let mut chunk = [0u8; 4096];
            let read = match &mut self.control {
                Control::Plain(s) => timeout_at(deadline, s.read(&mut chunk)).await,
                Control::Tls(s) => timeout_at(deadline, s.read(&mut chunk)).await,
                Control::Closed => return Ok(None),
            };
            match read? {
                Ok(0) | Err(_) => return Ok(None),
                Ok(n) => self.received.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Whether the server closed the control connection (after reading
    /// whatever replies are left, which it returns).
    pub(crate) async fn closed(&mut self) -> Vec<Reply> {
        let mut rest = Vec::new();
        while let Some(reply) = self.try_reply().await {
            rest.push(reply);
        }
        rest
    }

    /// Sends `line` and returns its first reply.
    pub(crate) async fn cmd(&mut self, line: &str) -> Reply {
        let exchange = self.exchange(line, None).await;
        exchange.replies.into_iter().next().expect("a reply")
    }

    /// Sends `line`; when it opens a transfer (a `1xx`), uploads `upload`
    /// or downloads what comes, then reads the final reply.
    pub(crate) async fn exchange(&mut self, line: &str, upload: Option<&[u8]>) -> Exchange {
        self.before(line);
        self.send_raw(format!("{line}\r\n").as_bytes()).await;
        let first = self.reply().await;
        let mut replies = vec![first.clone()];
        let mut data = Vec::new();
        self.after(line, &first).await;
        if first.code().get() / 100 == 1 {
            data = self.transfer(upload).await;
            replies.push(self.reply().await);
        }
        Exchange { replies, data }
    }

    /// What the client prepares before sending `line`.
    fn before(&mut self, line: &str) {
        let (verb, arg) = split(line);
        let target = match verb.as_str() {
            "PORT" => parse_host_port(arg.as_bytes()).ok().map(SocketAddr::V4),
            "EPRT" => parse_eprt(arg.as_bytes()).ok(),
            _ => None,
        };
        if let Some(target) = target {
            self.kept = None;
            self.pending = Pending::Active(self.ports.listen(target));
        }
    }

    /// What the client does on the first reply to `line`.
    async fn after(&mut self, line: &str, reply: &Reply) {
        let (verb, arg) = split(line);
        let code = reply.code().get();
        let port = match code {
            227 => parse_pasv_reply(first_line(reply)).ok().map(|a| a.port()),
            229 => parse_epsv_reply(first_line(reply)).ok(),
            _ => None,
        };
        if let Some(port) = port {
            self.kept = None;
            let from = SocketAddr::new(self.peer.ip(), 0);
            self.pending = self
                .ports
                .dial(port, from)
                .map_or(Pending::None, Pending::Passive);
        }
        match (verb.as_str(), arg.to_ascii_uppercase().as_str(), code) {
            ("AUTH", _, 234) => {
                self.forget_session();
                self.start_tls().await;
            }
            // REIN resets TYPE, MODE and PROT; TLS on the control
            // connection stays.
            ("REIN", _, 220) => self.forget_session(),
            ("CCC", _, 200) => self.end_tls().await,
            ("PROT", "P", 200) => self.prot_private = true,
            ("PROT", "C", 200) => self.prot_private = false,
            ("MODE", "B", 200) => self.block = true,
            ("MODE", "S", 200) => {
                self.block = false;
                self.kept = None;
            }
            _ => {}
        }
    }

    /// What the server forgets at AUTH TLS and REIN: protection, MODE and
    /// any data connection set up.
    fn forget_session(&mut self) {
        self.prot_private = false;
        self.block = false;
        self.kept = None;
        self.pending = Pending::None;
    }

    /// Implicit FTPS: the handshake before anything else, and data
    /// connections protected from the start (RFC 4217 section 1).
    pub(super) async fn implicit_tls(&mut self) {
        self.start_tls().await;
        self.prot_private = true;
    }

    /// CCC's 200 came: close_notify both ways, then clear text on the same
    /// connection. Not `shutdown`, which would also end the pipe.
    async fn end_tls(&mut self) {
        let Control::Tls(mut tls) = std::mem::replace(&mut self.control, Control::Closed) else {
            panic!("CCC on a clear connection");
        };
        tls.get_mut().1.send_close_notify();
        timeout(WAIT, tls.flush())
            .await
            .expect("close_notify sent in time")
            .expect("close_notify sent");
        let mut rest = Vec::new();
        timeout(WAIT, tls.read_to_end(&mut rest))
            .await
            .expect("the server's close_notify in time")
            .expect("the server's close_notify");
        assert!(rest.is_empty(), "data after CCC's 200 inside TLS: {rest:?}");
        let (plain, _) = tls.into_inner();
        self.control = Control::Plain(plain);
    }

    async fn start_tls(&mut self) {
        let config = self.tls.clone().expect("a harness with TLS");
        let Control::Plain(plain) = std::mem::replace(&mut self.control, Control::Closed) else {
            panic!("AUTH TLS on a TLS connection");
        };
        let tls = timeout(WAIT, connector(config).connect(localhost(), plain))
            .await
            .expect("a TLS handshake in time")
            .expect("the control connection's TLS handshake");
        self.control = Control::Tls(Box::new(tls));
    }

    /// Logs in as `user` (`a` writes, `r` reads) with the harness password.
    pub(crate) async fn login(&mut self, user: &str) {
        assert_eq!(self.cmd(&format!("USER {user}")).await.code().get(), 331);
        let pass = self.cmd(&format!("PASS {}", super::PASSWORD)).await;
        assert_eq!(pass.code().get(), 230, "{pass:?}");
    }
}

fn connector(config: Arc<ClientConfig>) -> TlsConnector {
    TlsConnector::from(config)
}

fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("a valid name")
}

fn first_line(reply: &Reply) -> &[u8] {
    reply.lines().first().map_or(&[][..], |l| l.as_bytes())
}

/// The verb (upper case) and the argument of a command line.
fn split(line: &str) -> (String, String) {
    let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
    (verb.to_ascii_uppercase(), arg.to_owned())
}
