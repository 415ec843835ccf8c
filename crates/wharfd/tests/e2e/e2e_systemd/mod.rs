//! wharfd as a service: signals never end it except SIGTERM/SIGINT, and
//! it speaks systemd's notify protocol to a socket the test binds (here);
//! it serves a listening socket passed the way systemd passes one
//! (`activation.rs`); the shipped unit passes `systemd-analyze verify`
//! (`unit.rs`); `check-config` checks without serving (`check_config.rs`).

mod activation;
mod check_config;
mod unit;

use crate::support::{self, Server, Tls};

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

/// How long a signal's log line or a notification may take.
const PATIENCE: Duration = Duration::from_secs(20);

/// Waits until the server's log holds `count` lines containing `text`;
/// panics if the server exits first (a signal's default action) or the
/// lines do not come.
fn wait_for_log(server: &mut Server, text: &str, count: usize) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = server.exited() {
            panic!(
                "wharfd ended ({status}) while waiting for {text:?}\n{}",
                server.log_tail()
            );
        }
        if server.log_text().matches(text).count() >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no {count} × {text:?} in the log\n{}",
            server.log_tail()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGHUP twice and SIGUSR1 once: the server logs what it did each time,
/// stays up, still serves a login (over TLS when it has a certificate),
/// and SIGTERM then ends it with status 0.
fn signals_keep_it_serving(tls: Tls, reloaded: &str) {
    let mut server = tls.server().start();
    server.signal("HUP");
    wait_for_log(&mut server, "SIGHUP: reload done", 1);
    server.signal("HUP");
    wait_for_log(&mut server, "SIGHUP: reload done", 2);
    server.signal("USR1");
    wait_for_log(&mut server, "SIGUSR1: reopening log files", 1);
    assert_eq!(
        server.log_text().matches(reloaded).count(),
        2,
        "the reload lines do not say {reloaded:?}\n{}",
        server.log_tail()
    );
    assert_eq!(server.exited(), None);

    let finished = tls.curl(&["--list-only", &format!("{}/", server.url())]);
    support::assert_success(&finished, &server);
    tls.assert_protected(&finished, 2);

    let status = server.terminate_status();
    assert_eq!(status.code(), Some(0), "{}", server.log_tail());
}

#[test]
fn signals_keep_a_plain_server_serving() {
    signals_keep_it_serving(Tls::Plain, "no TLS certificate files");
}

#[test]
fn signals_keep_a_self_signed_server_serving() {
    signals_keep_it_serving(Tls::Explicit, "the self-signed certificate");
}

/// SIGINT (Ctrl-C in a terminal) drains as SIGTERM does, and wharfd
/// exits 0.
#[test]
fn sigint_shuts_down_gracefully() {
    let mut server = Server::start();
    server.signal("INT");
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = server.exited() {
            break status;
        }
        assert!(Instant::now() < deadline, "wharfd still runs after SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        status.code(),
        Some(0),
        "{status}\n{}",
        server.stop_and_log()
    );
    assert!(server.stop_and_log().contains("SIGINT: graceful shutdown"));
}

/// The datagrams wharfd sends to the test's `NOTIFY_SOCKET`.
struct NotifySocket {
    socket: UnixDatagram,
    _dir: tempfile::TempDir,
    path: String,
}

impl NotifySocket {
    fn bind() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("notify.sock");
        let socket = UnixDatagram::bind(&path).expect("bind the notify socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("read timeout");
        let path = path.to_str().expect("UTF-8 path").to_owned();
        Self {
            socket,
            _dir: dir,
            path,
        }
    }

    /// The next message, or None after `wait`.
    fn next_within(&self, wait: Duration) -> Option<String> {
        let deadline = Instant::now() + wait;
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            if let Ok(n) = self.socket.recv(&mut buf) {
                return Some(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        }
        None
    }

    /// The next message; panics after [`PATIENCE`], naming `expected`.
    fn next(&self, expected: &str, server: &Server) -> String {
        self.next_within(PATIENCE).unwrap_or_else(|| {
            panic!(
                "no notification ({expected} expected)\n{}",
                server.log_tail()
            )
        })
    }
}

/// The fields of one notification, `KEY=VALUE` per line.
fn fields(message: &str) -> Vec<(&str, &str)> {
    message
        .lines()
        .filter_map(|line| line.split_once('='))
        .collect()
}

#[test]
fn notifies_ready_reloading_and_stopping() {
    let notify = NotifySocket::bind();
    let mut server = Server::builder().env("NOTIFY_SOCKET", &notify.path).start();
    assert_eq!(fields(&notify.next("READY=1", &server)), [("READY", "1")]);

    server.signal("HUP");
    let reloading = notify.next("RELOADING=1", &server);
    let reloading = fields(&reloading);
    assert_eq!(
        reloading.first(),
        Some(&("RELOADING", "1")),
        "{reloading:?}"
    );
    let usec = reloading
        .iter()
        .find(|(key, _)| *key == "MONOTONIC_USEC")
        .map(|(_, value)| value.parse::<u64>());
    assert!(
        matches!(usec, Some(Ok(usec)) if usec > 0),
        "RELOADING=1 without a MONOTONIC_USEC: {reloading:?}"
    );
    assert_eq!(
        fields(&notify.next("READY=1 after the reload", &server)),
        [("READY", "1")]
    );

    let status = server.terminate_status();
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        fields(&notify.next("STOPPING=1", &server)),
        [("STOPPING", "1")]
    );
    assert_eq!(notify.next_within(Duration::from_millis(300)), None);
}

/// `WATCHDOG_USEC` makes wharfd ping every half of it; `WATCHDOG_PID`
/// naming another process means the watchdog is not wharfd's.
#[test]
fn pings_the_watchdog_when_systemd_asks() {
    let notify = NotifySocket::bind();
    let server = Server::builder()
        .env("NOTIFY_SOCKET", &notify.path)
        .env("WATCHDOG_USEC", "200000")
        .start();
    // A ping every 100 ms: about 20 in two seconds. At least 5 leaves
    // room for a loaded machine and still catches a ping per timeout.
    let until = Instant::now() + Duration::from_secs(2);
    let mut pings = 0;
    while let Some(message) = notify.next_within(until.saturating_duration_since(Instant::now())) {
        if message == "WATCHDOG=1\n" {
            pings += 1;
        } else {
            assert_eq!(message, "READY=1\n");
        }
    }
    assert!(
        pings >= 5,
        "{pings} watchdog pings in 2 s\n{}",
        server.log_tail()
    );
    drop(server);

    let notify = NotifySocket::bind();
    let server = Server::builder()
        .env("NOTIFY_SOCKET", &notify.path)
        .env("WATCHDOG_USEC", "200000")
        .env("WATCHDOG_PID", "1")
        .start();
    assert_eq!(notify.next("READY=1", &server), "READY=1\n");
    assert_eq!(notify.next_within(Duration::from_millis(500)), None);
}
