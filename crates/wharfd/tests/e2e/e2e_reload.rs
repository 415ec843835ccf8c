//! A reload on SIGHUP: the configuration file read again, new sessions
//! under the new users and options, a session already logged in going on
//! untouched, and a broken file leaving the old settings in force. The
//! client here is a plain control connection, so each step is explicit.

use crate::support;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use support::Server;

/// A control connection that speaks one line at a time.
struct Control {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Control {
    /// Connects and returns the connection and its greeting.
    fn connect(addr: SocketAddr) -> (Self, String) {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a timeout");
        let writer = stream.try_clone().expect("clone the stream");
        let mut control = Self {
            reader: BufReader::new(stream),
            writer,
        };
        let greeting = control.reply();
        (control, greeting)
    }

    /// The last line of the next reply (a multi-line reply ends at
    /// `NNN `).
    fn reply(&mut self) -> String {
        loop {
            let mut line = String::new();
            let read = self.reader.read_line(&mut line).expect("a reply");
            assert!(read > 0, "the server closed the connection");
            let bytes = line.as_bytes();
            if bytes.len() >= 4 && bytes[..3].iter().all(u8::is_ascii_digit) && bytes[3] == b' ' {
                return line.trim_end().to_owned();
            }
        }
    }

    fn cmd(&mut self, line: &str) -> String {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("send a command");
        self.reply()
    }

    /// Logs in; the reply to PASS.
    fn login(&mut self, user: &str, password: &str) -> String {
        assert!(self.cmd(&format!("USER {user}")).starts_with("331"));
        self.cmd(&format!("PASS {password}"))
    }
}

fn config(greeting: &str, user: &str) -> String {
    format!("greeting = \"{greeting}\"\n[[user]]\nname = \"{user}\"\npassword = \"pw\"\n")
}

/// Waits until a new session is greeted with `greeting`.
fn wait_for_greeting(server: &Server, greeting: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, got) = Control::connect(server.addr());
        if got == format!("220 {greeting}") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still greeted with {got:?}\n{}",
            server.log_tail()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sighup_reloads_users_and_options_for_new_sessions_only() {
    let server = Server::builder()
        .file("wharfd.toml", &config("Before.", "carol"))
        .args(&["--config", "{base}/wharfd.toml"])
        .start();
    let (mut before, greeting) = Control::connect(server.addr());
    assert_eq!(greeting, "220 Before.");
    assert!(
        before.login("carol", "pw").starts_with("230"),
        "carol logs in"
    );

    let file = server.outside().join("wharfd.toml");
    std::fs::write(&file, config("After.", "dave")).expect("rewrite the config");
    server.signal("HUP");
    wait_for_greeting(&server, "After.");

    // The session logged in before goes on as carol.
    assert!(before.cmd("PWD").starts_with("257"));
    assert!(before.cmd("NOOP").starts_with("200"));
    // New sessions: carol is gone, dave is there.
    let (mut after, _) = Control::connect(server.addr());
    assert!(after.login("carol", "pw").starts_with("530"));
    let (mut after, _) = Control::connect(server.addr());
    assert!(after.login("dave", "pw").starts_with("230"));
    assert!(
        server.log_text().contains("configuration reloaded"),
        "{}",
        server.log_tail()
    );

    // A broken file: the reload fails, the old settings stay, the server
    // serves on.
    std::fs::write(&file, "greeting = \n").expect("break the config");
    server.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.log_text().contains("configuration reload failed") {
        assert!(Instant::now() < deadline, "{}", server.log_tail());
        std::thread::sleep(Duration::from_millis(50));
    }
    let (mut later, greeting) = Control::connect(server.addr());
    assert_eq!(greeting, "220 After.");
    assert!(later.login("dave", "pw").starts_with("230"));
    assert!(before.cmd("NOOP").starts_with("200"));
}

#[test]
fn a_reload_that_changes_the_listeners_says_they_need_a_restart() {
    let server = Server::builder()
        .file("wharfd.toml", &config("Same.", "carol"))
        .args(&["--config", "{base}/wharfd.toml"])
        .start();
    let file = server.outside().join("wharfd.toml");
    let moved = format!(
        "{}[passive]\nports = \"41000-41009\"\n",
        config("Moved.", "carol")
    );
    std::fs::write(&file, moved).expect("rewrite the config");
    server.signal("HUP");
    wait_for_greeting(&server, "Moved.");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.log_text().contains("need a restart") {
        assert!(Instant::now() < deadline, "{}", server.log_tail());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        server.log_text().contains("passive_ports"),
        "{}",
        server.log_tail()
    );
}
