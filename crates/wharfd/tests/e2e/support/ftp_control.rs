//! [`Ftp`]: a blocking FTP client in passive mode whose every step is
//! separate (open the data connection, send some bytes, read the reply),
//! so a fault suite can break the store between two steps and time the
//! reply that follows. Every read has a deadline.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use super::{PASSWORD, USER};

/// A control connection, reply by reply.
pub(crate) struct Ftp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Ftp {
    /// Connects and reads the greeting; replies may take up to `wait`.
    pub(crate) fn connect(addr: SocketAddr, wait: Duration) -> Self {
        let stream = TcpStream::connect(addr).expect("connect to wharfd");
        stream.set_read_timeout(Some(wait)).expect("socket");
        let writer = stream.try_clone().expect("socket");
        let mut ftp = Self {
            reader: BufReader::new(stream),
            writer,
        };
        ftp.expect("220");
        ftp
    }

    /// Connects, reads the greeting and logs in as the test user; replies
    /// may take up to `wait`.
    pub(crate) fn login(addr: SocketAddr, wait: Duration) -> Self {
        let mut ftp = Self::connect(addr, wait);
        ftp.command(&format!("USER {USER}"), "331");
        ftp.command(&format!("PASS {PASSWORD}"), "230");
        ftp.command("TYPE I", "200");
        ftp
    }

    /// The next reply's last line (an error if none comes in time).
    pub(crate) fn reply(&mut self) -> std::io::Result<String> {
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let bytes = line.as_bytes();
            if bytes.len() >= 4 && bytes[..3].iter().all(u8::is_ascii_digit) && bytes[3] == b' ' {
                return Ok(line.trim_end().to_owned());
            }
        }
    }

    pub(crate) fn expect(&mut self, code: &str) -> String {
        let reply = self.reply().expect("a reply in time");
        assert!(reply.starts_with(code), "expected {code}, got {reply:?}");
        reply
    }

    pub(crate) fn send(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("send a command");
    }

    pub(crate) fn command(&mut self, line: &str, code: &str) -> String {
        self.send(line);
        self.expect(code)
    }

    /// `PASV`, then `verb path`: the data connection once the server
    /// answered `150`.
    pub(crate) fn open(&mut self, verb: &str, path: &str) -> TcpStream {
        let reply = self.command("PASV", "227");
        let inner = reply
            .split_once('(')
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(inner, _)| inner)
            .expect("227 (h1,h2,h3,h4,p1,p2)");
        let n: Vec<u16> = inner
            .split(',')
            .map(|x| x.trim().parse().expect("a number"))
            .collect();
        let port = n[4] * 256 + n[5];
        let data = TcpStream::connect(("127.0.0.1", port)).expect("the data connection");
        data.set_read_timeout(self.writer.read_timeout().ok().flatten())
            .expect("socket");
        self.command(&format!("{verb} {path}"), "150");
        data
    }

    /// A whole upload; returns the final reply.
    pub(crate) fn stor(&mut self, path: &str, bytes: &[u8]) -> String {
        let mut data = self.open("STOR", path);
        data.write_all(bytes).expect("send the file");
        drop(data);
        self.reply().expect("a reply in time")
    }

    /// A whole download: the bytes and the final reply.
    pub(crate) fn retr(&mut self, path: &str) -> (Vec<u8>, String) {
        let mut data = self.open("RETR", path);
        let mut bytes = Vec::new();
        let _ = data.read_to_end(&mut bytes);
        (bytes, self.reply().expect("a reply in time"))
    }

    /// `NLST path`: the names, one a line.
    pub(crate) fn nlst(&mut self, path: &str) -> (String, String) {
        let mut data = self.open("NLST", path);
        let mut text = String::new();
        let _ = data.read_to_string(&mut text);
        (text, self.reply().expect("a reply in time"))
    }
}
