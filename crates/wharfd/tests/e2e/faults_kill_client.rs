//! The FTP client of the `faults_kill_*` suites: blocking, one control
//! connection read reply by reply, EPSV data connections, and an upload
//! that hands its data connection back so the caller can stop anywhere.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::faults_kill::Kind;

/// How long any reply or connect may take.
const WAIT: Duration = Duration::from_secs(20);

/// A control connection, read reply by reply.
pub(crate) struct Ftp {
    addr: SocketAddr,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Ftp {
    /// Connects and logs in as `user`.
    pub(crate) fn login(addr: SocketAddr, user: &str, password: &str) -> io::Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, WAIT)?;
        stream.set_read_timeout(Some(WAIT))?;
        stream.set_write_timeout(Some(WAIT))?;
        let mut ftp = Self {
            addr,
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        };
        expect(ftp.reply()?, 220)?;
        expect(ftp.cmd(&format!("USER {user}"))?, 331)?;
        expect(ftp.cmd(&format!("PASS {password}"))?, 230)?;
        expect(ftp.cmd("TYPE I")?, 200)?;
        Ok(ftp)
    }

    /// The next reply (multi-line replies read to their last line).
    pub(crate) fn reply(&mut self) -> io::Result<(u16, String)> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let code: u16 = line
            .get(..3)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| io::Error::other(format!("not a reply: {line:?}")))?;
        if line.as_bytes().get(3) == Some(&b'-') {
            let end = format!("{code} ");
            loop {
                let mut more = String::new();
                if self.reader.read_line(&mut more)? == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                line.push_str(&more);
                if more.starts_with(&end) {
                    break;
                }
            }
        }
        Ok((code, line))
    }

    /// Sends `command` and reads its reply.
    pub(crate) fn cmd(&mut self, command: &str) -> io::Result<(u16, String)> {
        self.send(command)?;
        self.reply()
    }

    fn send(&mut self, command: &str) -> io::Result<()> {
        self.writer.write_all(format!("{command}\r\n").as_bytes())
    }

    /// EPSV, then the data connection.
    fn data(&mut self) -> io::Result<TcpStream> {
        let (code, text) = self.cmd("EPSV")?;
        expect((code, text.clone()), 229)?;
        let port: u16 = text
            .split("|||")
            .nth(1)
            .and_then(|rest| rest.split('|').next())
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| io::Error::other(format!("no port in {text:?}")))?;
        let stream = TcpStream::connect_timeout(&SocketAddr::new(self.addr.ip(), port), WAIT)?;
        stream.set_read_timeout(Some(WAIT))?;
        stream.set_write_timeout(Some(WAIT))?;
        Ok(stream)
    }

    /// Opens an upload of `kind` to `name` (`REST offset` first for
    /// `RestStor`): the data connection, after the `150`.
    pub(crate) fn start(&mut self, kind: Kind, name: &str, offset: usize) -> io::Result<TcpStream> {
        if kind == Kind::RestStor {
            expect(self.cmd(&format!("REST {offset}"))?, 350)?;
        }
        let data = self.data()?;
        let verb = if kind == Kind::Appe { "APPE" } else { "STOR" };
        let reply = self.cmd(&format!("{verb} {name}"))?;
        if !(reply.0 == 150 || reply.0 == 125) {
            return Err(io::Error::other(format!("{verb} {name}: {}", reply.1)));
        }
        Ok(data)
    }

    /// A whole upload that must end in `226`.
    pub(crate) fn upload(&mut self, kind: Kind, name: &str, offset: usize, body: &[u8]) {
        let done = self.start(kind, name, offset).and_then(|mut data| {
            data.write_all(body)?;
            drop(data);
            expect(self.reply()?, 226)
        });
        if let Err(err) = done {
            panic!("{kind:?} {name} ({} bytes): {err}", body.len());
        }
    }

    /// RETR `name`: its bytes, or `None` on `550`.
    pub(crate) fn retrieve(&mut self, name: &str) -> io::Result<Option<Vec<u8>>> {
        let mut data = self.data()?;
        let (code, text) = self.cmd(&format!("RETR {name}"))?;
        if code == 550 {
            return Ok(None);
        }
        if !(code == 150 || code == 125) {
            return Err(io::Error::other(format!("RETR {name}: {text}")));
        }
        let mut bytes = Vec::new();
        data.read_to_end(&mut bytes)?;
        expect(self.reply()?, 226)?;
        Ok(Some(bytes))
    }

    /// The names `NLST` lists in `/`.
    pub(crate) fn names(&mut self) -> io::Result<Vec<String>> {
        let mut data = self.data()?;
        let (code, text) = self.cmd("NLST")?;
        if !(code == 150 || code == 125) {
            return Err(io::Error::other(format!("NLST: {text}")));
        }
        let mut listing = String::new();
        data.read_to_string(&mut listing)?;
        expect(self.reply()?, 226)?;
        Ok(listing
            .lines()
            .map(|l| l.trim_start_matches('/').to_owned())
            .collect())
    }
}

fn expect(reply: (u16, String), code: u16) -> io::Result<()> {
    if reply.0 == code {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "expected {code}, got {}",
            reply.1
        )))
    }
}
