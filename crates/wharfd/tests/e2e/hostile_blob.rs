//! Issue #17, blob upload memory: 64 clients upload at once through wharfd
//! into Azurite, and the server's peak resident memory stays within its
//! `--blob-upload-memory` budget (plus what the process needs anyway),
//! where without a budget it would buffer every upload whole.
//!
//! The clients are plain FTP over std sockets in threads, in active mode
//! (PORT), so the per-address passive port cap does not get in the way.

use crate::support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use support::azurite::{ACCOUNT, Azurite, KEY};
use support::{PASSWORD, Server, USER};

const MIB: u64 = 1024 * 1024;
/// Uploads at once.
const CLIENTS: usize = 64;
/// Each upload: less than one 8 MiB part, so without a budget each is
/// buffered whole until it ends (64 × 6 MiB = 384 MiB).
const UPLOAD: usize = 6 * 1024 * 1024;
/// The budget under test.
const BUDGET: u64 = 32 * MIB;
/// What the process may grow by beyond the budget: 64 sessions' own
/// transfer buffers (two of 256 KiB each: 32 MiB), their tasks and HTTP
/// connections, and allocator slack. Measured: 55 to 67 MiB above the
/// budget with it (16 and 32 MiB budgets), 409 MiB in all without it.
const SLACK: u64 = 96 * MIB;
/// Every socket wait.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A control connection, reply by reply.
struct Control {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Control {
    fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).expect("connect to wharfd");
        stream.set_read_timeout(Some(TIMEOUT)).expect("socket");
        let writer = stream.try_clone().expect("socket");
        let mut control = Self {
            reader: BufReader::new(stream),
            writer,
        };
        control.expect("220");
        control
    }

    /// The next reply (the last line of a multi-line one).
    fn reply(&mut self) -> String {
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).expect("read a reply");
            assert!(n > 0, "wharfd closed the control connection");
            let bytes = line.as_bytes();
            if bytes.len() >= 4 && bytes[..3].iter().all(u8::is_ascii_digit) && bytes[3] == b' ' {
                return line.trim_end().to_owned();
            }
        }
    }

    fn expect(&mut self, code: &str) -> String {
        let reply = self.reply();
        assert!(reply.starts_with(code), "expected {code}, got {reply:?}");
        reply
    }

    fn command(&mut self, line: &str, code: &str) -> String {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("send a command");
        self.expect(code)
    }

    fn login(addr: SocketAddr) -> Self {
        let mut control = Self::connect(addr);
        control.command(&format!("USER {USER}"), "331");
        control.command(&format!("PASS {PASSWORD}"), "230");
        control.command("TYPE I", "200");
        control
    }

    /// STOR `path` with `data` over an active-mode data connection.
    fn store(&mut self, path: &str, data: &[u8]) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("data listener");
        let port = listener.local_addr().expect("data listener").port();
        self.command(
            &format!("PORT 127,0,0,1,{},{}", port >> 8, port & 0xff),
            "200",
        );
        self.writer
            .write_all(format!("STOR {path}\r\n").as_bytes())
            .expect("send STOR");
        let (mut data_conn, _) = listener.accept().expect("wharfd connects back");
        self.expect("150");
        data_conn.set_write_timeout(Some(TIMEOUT)).expect("socket");
        for chunk in data.chunks(64 * 1024) {
            data_conn.write_all(chunk).expect("send data");
        }
        drop(data_conn);
        self.expect("226");
    }
}

/// A `kB` value of `/proc/<pid>/status`, in bytes.
fn status_bytes(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    let line = status
        .lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("no {key} in /proc/{pid}/status"));
    let kb: u64 = line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .expect("a number of kB");
    kb * 1024
}

/// The pid of the wharfd child of this test process serving `root`.
fn wharfd_pid(root: &Path) -> u32 {
    let root = root.to_str().expect("utf-8 root");
    let me = std::process::id().to_string();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let parent = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("PPid:").map(|p| p.trim().to_owned()))
            });
        if parent.as_deref() == Some(me.as_str()) && args.iter().any(|a| a == root) {
            return pid;
        }
    }
    panic!("no wharfd child serving {root}");
}

/// Runs the 64 uploads against a server with `budget`, checks every blob
/// arrived, and returns how far the server's peak RSS rose above its RSS
/// before the uploads.
fn peak_growth_with(budget: &str) -> u64 {
    let azurite = Azurite::start();
    let server = Server::builder()
        .file("storage.key", KEY)
        .args(&[
            "--storage",
            &format!("azure://{ACCOUNT}"),
            "--storage-key-file",
            "{base}/storage.key",
            "--azure-endpoint",
            &azurite.endpoint(),
            "--blob-upload-memory",
            budget,
            "--max-sessions-per-ip",
            "200",
            "--max-unauthenticated-sessions-per-ip",
            "200",
            "--max-unauthenticated-sessions",
            "200",
        ])
        .start();
    let pid = wharfd_pid(server.root());
    let addr = server.addr();
    let mut first = Control::login(addr);
    first.command("MKD /box", "257");
    let before = status_bytes(pid, "VmRSS:");

    let start = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                let mut control = Control::login(addr);
                let data = vec![i as u8; UPLOAD];
                start.wait();
                control.store(&format!("/box/f{i}"), &data);
            })
        })
        .collect();
    for client in clients {
        client.join().expect("a client failed");
    }
    let peak = status_bytes(pid, "VmHWM:");

    // Every upload arrived whole.
    for i in [0, CLIENTS / 2, CLIENTS - 1] {
        let reply = first.command(&format!("SIZE /box/f{i}"), "213");
        assert_eq!(reply, format!("213 {UPLOAD}"));
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("data listener");
    let port = listener.local_addr().expect("data listener").port();
    first.command(
        &format!("PORT 127,0,0,1,{},{}", port >> 8, port & 0xff),
        "200",
    );
    first.writer.write_all(b"NLST /box\r\n").expect("send NLST");
    let (mut data_conn, _) = listener.accept().expect("wharfd connects back");
    first.expect("150");
    let mut names = String::new();
    data_conn.read_to_string(&mut names).expect("read NLST");
    first.expect("226");
    assert_eq!(names.lines().count(), CLIENTS, "{names}");
    peak.saturating_sub(before)
}

#[test]
fn concurrent_blob_uploads_stay_within_the_memory_budget() {
    let growth = peak_growth_with("32MiB");
    assert!(
        growth < BUDGET + SLACK,
        "peak RSS rose by {} MiB with a {} MiB budget (allowed {} MiB)",
        growth / MIB,
        BUDGET / MIB,
        (BUDGET + SLACK) / MIB
    );
}
