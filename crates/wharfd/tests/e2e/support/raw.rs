//! [`Raw`]: a control connection from a chosen loopback source address
//! (any `127.x`), read line by line, for tests about who the client is
//! (bans, limits, access lists). Every reply these tests read is one line.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

use super::{PASSWORD, USER};

/// How long any connect or reply may take.
const WAIT: Duration = Duration::from_secs(10);

/// A control connection read line by line.
pub(crate) struct Raw {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

/// A TCP connection to `addr` from `from` (any port).
pub(crate) async fn connect_from(addr: SocketAddr, from: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("a socket");
    let source: IpAddr = from.parse().expect("an address");
    socket
        .bind(SocketAddr::new(source, 0))
        .expect("bind the source address");
    timeout(WAIT, socket.connect(addr))
        .await
        .expect("connect in time")
        .expect("connect")
}

/// Connects from `from` and reads until the server closes the
/// connection, without sending anything: what a server that refuses an
/// implicit-FTPS client sends (nothing, it just closes).
pub(crate) async fn read_until_closed(addr: SocketAddr, from: &str) -> Vec<u8> {
    let mut stream = connect_from(addr, from).await;
    let mut all = Vec::new();
    timeout(WAIT, stream.read_to_end(&mut all))
        .await
        .expect("the server closes in time")
        .expect("read until closed");
    all
}

impl Raw {
    /// Connects from `from` (any 127.x address) and returns the greeting.
    pub(crate) async fn connect(addr: SocketAddr, from: &str) -> (Self, String) {
        let (read, writer) = connect_from(addr, from).await.into_split();
        let mut raw = Self {
            reader: BufReader::new(read),
            writer,
        };
        let greeting = raw.line().await;
        (raw, greeting)
    }

    /// Connects from `from`, sends `header` (a PROXY header, as a load
    /// balancer would) and returns the greeting: empty when the server
    /// closed the connection instead (a reset too: closing with bytes it
    /// did not read, the server's kernel answers with one).
    pub(crate) async fn connect_proxied(
        addr: SocketAddr,
        from: &str,
        header: &[u8],
    ) -> (Self, String) {
        let mut stream = connect_from(addr, from).await;
        stream.write_all(header).await.expect("send the header");
        let (read, writer) = stream.into_split();
        let mut raw = Self {
            reader: BufReader::new(read),
            writer,
        };
        let mut greeting = String::new();
        let read = timeout(WAIT, raw.reader.read_line(&mut greeting))
            .await
            .expect("a greeting or a close in time");
        if read.is_err() {
            greeting.clear();
        }
        (raw, greeting)
    }

    /// The next line; empty when the server closed the connection.
    pub(crate) async fn line(&mut self) -> String {
        let mut line = String::new();
        timeout(WAIT, self.reader.read_line(&mut line))
            .await
            .expect("a reply in time")
            .expect("read a reply");
        line
    }

    /// Sends `command` and returns the first line of its reply.
    pub(crate) async fn cmd(&mut self, command: &str) -> String {
        self.writer
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .expect("send a command");
        self.line().await
    }

    /// `USER name`, then `PASS password`: the reply to PASS.
    pub(crate) async fn login_as(&mut self, name: &str, password: &str) -> String {
        let reply = self.cmd(&format!("USER {name}")).await;
        assert!(reply.starts_with("331"), "USER {name}: {reply:?}");
        self.cmd(&format!("PASS {password}")).await
    }

    /// Logs in as the test user; panics unless it gets `230`.
    pub(crate) async fn login(&mut self) {
        let reply = self.login_as(USER, PASSWORD).await;
        assert!(reply.starts_with("230"), "{reply:?}");
    }
}
