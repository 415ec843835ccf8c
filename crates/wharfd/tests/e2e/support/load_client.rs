//! [`LoadClient`]: a small FTP client for the load suites (`faults_load*`),
//! thousands of them at once in one test process. It returns errors rather
//! than panicking, so that a suite can count what failed across all its
//! sessions and report them together, and it keeps its buffers small
//! (the client's memory is not measured, but 10,000 of them share the
//! machine with the server that is).
//!
//! Replies are read as RFC 959 4.2 defines them: one line `ddd text`, or a
//! first line `ddd-text` and everything up to a line starting `ddd `.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

/// How long a connect, a reply or one write or read of data may take.
/// Generous: thousands of sessions share two loaded cores, and blob
/// uploads wait for room in the server's upload memory (back-pressure),
/// but every wait ends.
const WAIT: Duration = Duration::from_secs(120);

/// How long the end of an upload may take: from the client's last byte to
/// the server's close of the data connection and its `226`. The server
/// sends the upload's last parts to the store first, and with hundreds of
/// blob uploads at once those wait their turn for room and for the store.
const END_WAIT: Duration = Duration::from_secs(600);

/// A TCP connection to `addr` from `source` (any port).
pub(crate) async fn connect_load(source: IpAddr, addr: SocketAddr) -> Result<TcpStream> {
    let socket = match source {
        IpAddr::V4(_) => TcpSocket::new_v4(),
        IpAddr::V6(_) => TcpSocket::new_v6(),
    }
    .context("a socket")?;
    socket
        .bind(SocketAddr::new(source, 0))
        .with_context(|| format!("bind to {source}"))?;
    let stream = timeout(WAIT, socket.connect(addr))
        .await
        .with_context(|| format!("connect to {addr} timed out"))?
        .with_context(|| format!("connect to {addr}"))?;
    stream.set_nodelay(true).context("TCP_NODELAY")?;
    Ok(stream)
}

/// One control connection from a chosen loopback source address.
pub(crate) struct LoadClient {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    addr: SocketAddr,
    source: IpAddr,
}

impl LoadClient {
    /// Connects from `source` and expects the `220` greeting.
    pub(crate) async fn connect(addr: SocketAddr, source: IpAddr) -> Result<Self> {
        let (read, writer) = connect_load(source, addr).await?.into_split();
        let mut client = Self {
            reader: BufReader::with_capacity(512, read),
            writer,
            addr,
            source,
        };
        client.expect(220).await.context("greeting")?;
        Ok(client)
    }

    /// Connects, logs in as `user` and sets `TYPE I`.
    pub(crate) async fn open(
        addr: SocketAddr,
        source: IpAddr,
        user: &str,
        password: &str,
    ) -> Result<Self> {
        let mut client = Self::connect(addr, source).await?;
        client.command(&format!("USER {user}"), 331).await?;
        client.command(&format!("PASS {password}"), 230).await?;
        client.command("TYPE I", 200).await?;
        Ok(client)
    }

    /// The next whole reply: its code and its text.
    pub(crate) async fn reply(&mut self) -> Result<(u16, String)> {
        self.reply_within(WAIT).await
    }

    /// The next whole reply, which must begin within `wait`.
    async fn reply_within(&mut self, wait: Duration) -> Result<(u16, String)> {
        let first = self.line(wait).await?;
        let code: u16 = first
            .get(..3)
            .and_then(|digits| digits.parse().ok())
            .with_context(|| format!("not a reply: {first:?}"))?;
        let mut text = first.clone();
        if first.as_bytes().get(3) == Some(&b'-') {
            let end = format!("{code} ");
            loop {
                let line = self.line(WAIT).await?;
                text.push_str(&line);
                if line.starts_with(&end) {
                    break;
                }
            }
        }
        Ok((code, text))
    }

    /// One line; an error when the server closed the connection.
    async fn line(&mut self, wait: Duration) -> Result<String> {
        let mut line = String::new();
        let read = timeout(wait, self.reader.read_line(&mut line))
            .await
            .context("no reply in time")?
            .context("read a reply")?;
        ensure!(read > 0, "the server closed the control connection");
        Ok(line)
    }

    /// Expects a reply with `code`.
    async fn expect(&mut self, code: u16) -> Result<String> {
        let (got, text) = self.reply().await?;
        ensure!(got == code, "expected {code}, got {:?}", text.trim_end());
        Ok(text)
    }

    /// Sends one command line.
    pub(crate) async fn send(&mut self, line: &str) -> Result<()> {
        timeout(
            WAIT,
            self.writer.write_all(format!("{line}\r\n").as_bytes()),
        )
        .await
        .context("send timed out")?
        .with_context(|| format!("send {line}"))
    }

    /// Sends `line` and expects `code`; the reply's text.
    pub(crate) async fn command(&mut self, line: &str, code: u16) -> Result<String> {
        self.send(line).await?;
        let verb = line.split(' ').next().unwrap_or(line).to_owned();
        self.expect(code).await.context(verb)
    }

    /// `EPSV`, then `line` (STOR, RETR...): the open data connection,
    /// after the `150`.
    pub(crate) async fn transfer(&mut self, line: &str) -> Result<TcpStream> {
        let text = self.command("EPSV", 229).await?;
        // 229 Entering Extended Passive Mode (|||port|)  (RFC 2428)
        let port: u16 = text
            .split("|||")
            .nth(1)
            .and_then(|rest| rest.split('|').next())
            .and_then(|port| port.parse().ok())
            .with_context(|| format!("no port in {:?}", text.trim_end()))?;
        self.send(line).await?;
        let data = connect_load(self.source, SocketAddr::new(self.addr.ip(), port))
            .await
            .context("data connection")?;
        let (code, text) = self.reply().await?;
        ensure!(
            code == 150 || code == 125,
            "{line}: expected 150, got {:?}",
            text.trim_end()
        );
        Ok(data)
    }

    /// STORs `len` bytes to `path`, made a buffer at a time by `fill`
    /// (which is handed each next piece to fill), and expects `226`.
    pub(crate) async fn stor(
        &mut self,
        path: &str,
        len: u64,
        mut fill: impl FnMut(&mut [u8]),
    ) -> Result<()> {
        let mut data = self.transfer(&format!("STOR {path}")).await?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let piece = &mut buf[..usize::try_from(left.min(64 * 1024))?];
            fill(piece);
            timeout(WAIT, data.write_all(piece))
                .await
                .context("upload stalled")?
                .context("upload")?;
            left -= piece.len() as u64;
        }
        end_upload(data).await?;
        let (code, text) = self.reply_within(END_WAIT).await.context("end of STOR")?;
        ensure!(
            code == 226,
            "end of STOR: expected 226, got {:?}",
            text.trim_end()
        );
        Ok(())
    }

    /// RETRs `path`, handing every piece read to `sink`; expects `226`.
    pub(crate) async fn retr(&mut self, path: &str, mut sink: impl FnMut(&[u8])) -> Result<()> {
        let mut data = self.transfer(&format!("RETR {path}")).await?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = timeout(WAIT, data.read(&mut buf))
                .await
                .context("download stalled")?
                .context("download")?;
            if n == 0 {
                break;
            }
            sink(&buf[..n]);
        }
        self.command_reply(226).await.context("end of RETR")
    }

    /// Expects the next reply to be `code` (the end of a transfer).
    async fn command_reply(&mut self, code: u16) -> Result<()> {
        self.expect(code).await.map(|_| ())
    }

    /// `QUIT` and its `221`.
    pub(crate) async fn quit(mut self) -> Result<()> {
        self.command("QUIT", 221).await.map(|_| ())
    }
}

/// Ends an upload: shuts down the sending side and reads until the server
/// closes its side, so that no unread byte turns the close into a reset
/// (which could discard upload data the server has not read yet).
async fn end_upload(mut data: TcpStream) -> Result<()> {
    data.shutdown().await.context("shut down the upload")?;
    let mut rest = [0u8; 512];
    loop {
        match timeout(END_WAIT, data.read(&mut rest))
            .await
            .context("the server kept the data connection open")?
        {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) => bail!("data connection after the upload: {e}"),
        }
    }
}
