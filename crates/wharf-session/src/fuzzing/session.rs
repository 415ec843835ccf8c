//! One scripted session through the real engine ([`crate::Server`],
//! [`Connections`](crate::Connections)) over an in-process pipe, on a
//! paused tokio clock (timers fire as soon as everything waits), with a
//! [`MemoryFs`] holding `a`, `b`, `d/` and `d/e` and data connections that
//! always connect (see the `ports` module). The session is checked for:
//!
//! - **exactly one final reply per command**: any number of 1xx
//!   preliminaries, then one reply of 2xx-5xx, and nothing more once the
//!   engine has settled (an extra reply is a violation, not the next
//!   command's answer);
//! - **codes within RFC 959's classes**: first digit 1-5, second 0-5;
//! - **no panic**: a panic in a session task surfaces as a closed
//!   connection without a reply, which is a violation;
//! - **the tree as the 2xx replies claim**: after `250` for DELE or RMD the
//!   name is gone; after `257` for MKD it is a folder; after `250` for
//!   RNTO the RNFR name is gone (unless it was the same path) and the new
//!   one exists; after `250` for CWD it is a folder; after `226` for STOR,
//!   APPE or RETR and `213` for SIZE or MDTM the file exists.
//!
//! TLS is not configured: AUTH, PBSZ, PROT and CCC are exercised only as
//! far as their refusals; the handshake itself is covered by the
//! transcripts and the e2e suites.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::FutureExt as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use wharf_proto::reply::ReplyDecoder;
use wharf_vfs::{MemoryFs, VPath, Vfs, VfsErrorKind};

use super::ports::{PAYLOAD, PeerPorts};
use crate::auth::{AuthError, FnAuthenticator, Login};
use crate::options::Options;
use crate::server::Server;

/// The longest wait for a reply, on the paused clock: far beyond every
/// timeout the engine has with [`options`], so only a hang reaches it.
const REPLY_WAIT: Duration = Duration::from_secs(24 * 3600);

/// A broken promise, with the command and what was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Runs `lines` (without line ends) as one session and checks it.
///
/// The runtime has a clock and no I/O driver: the session runs over pipes
/// and the memory file system, and an I/O driver's wake-ups (`epoll_wait`
/// and eventfd writes) took about 8 % of the fuzzer's time.
pub fn run_session(lines: &[Vec<u8>]) -> Result<(), Violation> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .map_err(|e| Violation(format!("no runtime: {e}")))?;
    runtime.block_on(session(lines))
}

/// Timeouts the engine keeps, short enough that a waiting data connection
/// ends, long before [`REPLY_WAIT`].
fn options() -> Options {
    Options {
        failed_login_delay: Duration::from_millis(5),
        login_timeout: Duration::from_secs(3600),
        idle_timeout: Duration::from_secs(3600),
        ..Options::default()
    }
}

async fn session(lines: &[Vec<u8>]) -> Result<(), Violation> {
    let fs = Arc::new(MemoryFs::new());
    setup(&fs)
        .await
        .map_err(|e| Violation(format!("setup: {e}")))?;
    let storage = fs.clone();
    let accounts =
        FnAuthenticator::new(
            move |user: &str, password: &[u8], _: &_| match (user, password) {
                ("a", b"s") => Ok(Login::new(user, storage.clone(), true)),
                _ => Err(AuthError::InvalidCredentials),
            },
        );
    let server = Server::builder(accounts)
        .options(options())
        .data_ports(Arc::new(PeerPorts))
        .build()
        .await
        .map_err(|e| Violation(format!("server: {e}")))?;
    let client_ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    server.connections().serve_link(
        crate::link::pipe(theirs),
        SocketAddr::new(client_ip, 50_000),
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 21),
        false,
    );
    let mut client = Client {
        stream: ours,
        buf: BytesMut::new(),
        decoder: ReplyDecoder::default(),
    };
    let greeting = client.final_reply(b"(greeting)").await?;
    if greeting.0 != 220 {
        return Err(Violation(format!("greeting {greeting:?}")));
    }
    let mut tree = Tree {
        fs,
        cwd: Some(VPath::root()),
        rename_from: None,
    };
    for line in lines {
        let (code, text) = client.command(line).await?;
        if code == 221 || code == 421 {
            // The session ends: nothing more may come.
            return client.closed(line).await;
        }
        tree.check(&mut client, line, code, &text).await?;
    }
    Ok(())
}

/// The tree every session starts with.
async fn setup(fs: &MemoryFs) -> Result<(), wharf_vfs::VfsError> {
    fs.mkdir(&VPath::parse("/d")?).await?;
    for name in ["/a", "/b", "/d/e"] {
        let mut upload = fs
            .create(&VPath::parse(name)?, wharf_vfs::WriteMode::Create)
            .await?;
        let path = VPath::parse(name)?;
        upload
            .write_all(PAYLOAD)
            .await
            .map_err(|e| wharf_vfs::VfsError::from_io(e, &path))?;
        upload.finish().await?;
    }
    Ok(())
}

/// The client's side of the control connection.
struct Client {
    stream: DuplexStream,
    buf: BytesMut,
    decoder: ReplyDecoder,
}

impl Client {
    /// Sends `line` and takes its replies: the final one's code and first
    /// line's text.
    async fn command(&mut self, line: &[u8]) -> Result<(u16, Vec<u8>), Violation> {
        let mut bytes = line.to_vec();
        bytes.extend_from_slice(b"\r\n");
        if let Err(e) = self.stream.write_all(&bytes).await {
            return Err(violation(line, format!("the server stopped reading: {e}")));
        }
        self.final_reply(line).await
    }

    /// After a closing reply: the end of the stream, and no byte before it.
    async fn closed(&mut self, line: &[u8]) -> Result<(), Violation> {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(REPLY_WAIT, self.stream.read_to_end(&mut rest));
        match read.await {
            Ok(_) if rest.is_empty() && self.buf.is_empty() => Ok(()),
            Ok(_) => Err(violation(
                line,
                format!(
                    "bytes after the closing reply: {:?}",
                    String::from_utf8_lossy(&rest)
                ),
            )),
            Err(_) => Err(violation(
                line,
                "the connection stays open after the closing reply",
            )),
        }
    }

    /// Preliminary replies, then the final one; then nothing more.
    async fn final_reply(&mut self, line: &[u8]) -> Result<(u16, Vec<u8>), Violation> {
        loop {
            let (code, text) = self.reply(line).await?;
            if code >= 200 {
                // Let every task run until all wait: a second reply would
                // be written by now.
                tokio::time::sleep(Duration::from_millis(1)).await;
                if let Some(extra) = self.ready_reply(line)? {
                    return Err(violation(
                        line,
                        format!("a second final reply after {code}: {extra:?}"),
                    ));
                }
                return Ok((code, text));
            }
        }
    }

    /// The next reply, with its code checked.
    async fn reply(&mut self, line: &[u8]) -> Result<(u16, Vec<u8>), Violation> {
        let next = tokio::time::timeout(REPLY_WAIT, async {
            loop {
                if let Some(reply) = self.ready_reply(line)? {
                    return Ok(reply);
                }
                match self.stream.read_buf(&mut self.buf).await {
                    Ok(0) | Err(_) => {
                        return Err(violation(line, "the connection closed without a reply"));
                    }
                    Ok(_) => {}
                }
            }
        });
        next.await
            .unwrap_or_else(|_| Err(violation(line, "no reply (a hang)")))
    }

    /// A reply already received in full, if any; its code checked against
    /// RFC 959's classes.
    fn ready_reply(&mut self, line: &[u8]) -> Result<Option<(u16, Vec<u8>)>, Violation> {
        loop {
            match self.decoder.decode(&mut self.buf) {
                Ok(Some(reply)) => {
                    let code = reply.code().get();
                    let (class, group) = (code / 100, code / 10 % 10);
                    if !(1..=5).contains(&class) || group > 5 {
                        return Err(violation(line, format!("reply code {code}")));
                    }
                    let text = reply
                        .lines()
                        .first()
                        .map(|t| t.as_bytes().to_vec())
                        .unwrap_or_default();
                    return Ok(Some((code, text)));
                }
                Ok(None) => {
                    // Anything left unread in the pipe?
                    let mut more = [0u8; 4096];
                    match self.stream.read(&mut more).now_or_never() {
                        Some(Ok(n)) if n > 0 => self.buf.extend_from_slice(&more[..n]),
                        _ => return Ok(None),
                    }
                }
                Err(e) => return Err(violation(line, format!("malformed reply: {e}"))),
            }
        }
    }
}

fn violation(line: &[u8], what: impl fmt::Display) -> Violation {
    Violation(format!("{:?}: {what}", String::from_utf8_lossy(line)))
}

/// What the file tree must show after the replies so far.
struct Tree {
    fs: Arc<MemoryFs>,
    /// The session's folder, while known.
    cwd: Option<VPath>,
    /// The path a `350` for RNFR accepted.
    rename_from: Option<VPath>,
}

impl Tree {
    async fn check(
        &mut self,
        client: &mut Client,
        line: &[u8],
        code: u16,
        _text: &[u8],
    ) -> Result<(), Violation> {
        // The engine reads the line with its Telnet commands taken out
        // (RFC 854: `IAC IAC` is one 0xFF byte, `IAC` before any other
        // byte is a command), and so must the names checked here.
        let unescaped = wharf_proto::telnet::unescape(line);
        let line = unescaped.as_slice();
        let (verb, argument) = match line.iter().position(|&b| b == b' ') {
            Some(space) => (&line[..space], &line[space + 1..]),
            None => (line, &[][..]),
        };
        let verb = verb.to_ascii_uppercase();
        let rename_from = self.rename_from.take();
        let path = self.cwd.as_ref().and_then(|cwd| cwd.resolve(argument).ok());
        let exists = |kind: Option<bool>| {
            let fs = self.fs.clone();
            let path = path.clone();
            async move {
                let path = path?;
                Some(match fs.metadata(&path).await {
                    Ok(meta) => kind.is_none_or(|dir| meta.is_dir() == dir),
                    Err(e) if e.kind() == VfsErrorKind::NotFound => false,
                    Err(_) => true,
                })
            }
        };
        let broken = |what: &str| Err(violation(line, format!("{code} but {what}")));
        match (verb.as_slice(), code) {
            (b"DELE" | b"RMD" | b"XRMD", 250) if exists(None).await == Some(true) => {
                broken("the name is still there")
            }
            (b"MKD" | b"XMKD", 257) if exists(Some(true)).await == Some(false) => {
                broken("no folder of that name")
            }
            (b"CWD" | b"XCWD", 250) if exists(Some(true)).await == Some(false) => {
                broken("no folder of that name")
            }
            (b"STOR" | b"APPE" | b"RETR", 226) | (b"SIZE" | b"MDTM", 213)
                if exists(Some(false)).await == Some(false) =>
            {
                broken("no file of that name")
            }
            (b"RNFR", 350) => {
                self.rename_from = path;
                Ok(())
            }
            (b"RNTO", 250) => {
                if exists(None).await == Some(false) {
                    return broken("the new name is missing");
                }
                let (Some(from), Some(to)) = (rename_from, path.clone()) else {
                    return Ok(());
                };
                let gone = matches!(self.fs.metadata(&from).await,
                    Err(e) if e.kind() == VfsErrorKind::NotFound);
                if from != to && !gone {
                    return broken("the old name is still there");
                }
                Ok(())
            }
            (b"CWD" | b"XCWD" | b"CDUP" | b"XCUP" | b"PASS" | b"USER" | b"REIN", _) => {
                self.cwd = working_folder(client).await?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// The session's folder as PWD tells it; `None` while logged out.
async fn working_folder(client: &mut Client) -> Result<Option<VPath>, Violation> {
    let (code, text) = client.command(b"PWD").await?;
    if code != 257 {
        return Ok(None);
    }
    // 257 "<path, quotes doubled>" comment
    let mut path = Vec::new();
    let mut rest = text.strip_prefix(b"\"").unwrap_or_default().iter();
    while let Some(&b) = rest.next() {
        match (b, rest.as_slice().first()) {
            (b'"', Some(b'"')) => {
                path.push(b'"');
                rest.next();
            }
            (b'"', _) => break,
            (b, _) => path.push(b),
        }
    }
    VPath::parse(&path)
        .map(Some)
        .map_err(|e| violation(b"PWD", format!("257 with a path that does not parse: {e}")))
}
