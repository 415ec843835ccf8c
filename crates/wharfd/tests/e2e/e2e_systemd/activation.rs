//! Socket activation: a listening socket on descriptor 3 with
//! `LISTEN_FDS=1` and `LISTEN_PID` set to wharfd's pid, as systemd passes
//! it, is served instead of the configured addresses.

use crate::support;

use std::io::{BufRead, BufReader};
use std::os::fd::OwnedFd;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use super::PATIENCE;

/// A wharfd started through `sh`, which puts `socket` on descriptor 3 and
/// sets `LISTEN_FDS=1` and `LISTEN_PID` to its own pid before exec'ing
/// wharfd, as systemd does. Killed when dropped.
struct Activated {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// What wharfd logged, for failure messages.
    log: Arc<Mutex<String>>,
}

impl Activated {
    fn start(socket: std::net::TcpListener, names: Option<&str>, args: &[&str]) -> Self {
        let script = r#"exec 3<&0 0</dev/null; export LISTEN_PID=$$ LISTEN_FDS=1; exec "$@""#;
        let mut command = Command::new("sh");
        command
            .args(["-c", script, "sh", env!("CARGO_BIN_EXE_wharfd")])
            .args(args)
            .stdin(Stdio::from(OwnedFd::from(socket)))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("NO_COLOR", "1");
        if let Some(names) = names {
            command.env("LISTEN_FDNAMES", names);
        }
        let mut child = command.spawn().expect("start sh and wharfd");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut log = sink.lock().unwrap_or_else(|e| e.into_inner());
                log.push_str(&line);
                log.push('\n');
            }
        });
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines, log }
    }

    /// The first `wharfd: listening on` line.
    fn listening(&mut self) -> String {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) if line.starts_with("wharfd: listening on ") => return line,
                Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let status = self.child.try_wait();
        panic!(
            "no listening line from the activated wharfd ({status:?})\n{}",
            self.log()
        );
    }

    fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "the activated wharfd did not exit after SIGTERM\n{}",
            self.log()
        );
    }

    fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for Activated {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs wharfd on a passed socket, with `--listen` and `--implicit-listen`
/// naming ports the test holds: binding those would fail, so serving
/// shows the passed socket replaced them. `scheme` is what wharfd
/// announces it as (`ftp`, or `ftps` for implicit FTPS).
fn serves_a_passed_socket(names: Option<&str>, scheme: &str, extra: &[&str]) {
    let passed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = passed.local_addr().expect("address").port();
    let held_socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let held = held_socket.local_addr().expect("address").to_string();
    let dir = tempfile::tempdir().expect("temporary directory");
    let root = dir.path().join("root");
    let root = root.to_str().expect("UTF-8 path");
    let user = format!("{}:{}", support::USER, support::PASSWORD);
    let mut args = vec!["--listen", &held, "--root", root, "--user", &user];
    args.extend_from_slice(extra);
    let mut wharfd = Activated::start(passed, names, &args);

    assert_eq!(
        wharfd.listening(),
        format!("wharfd: listening on {scheme}://127.0.0.1:{port}")
    );
    let finished = support::curl(&["--list-only", &format!("{scheme}://127.0.0.1:{port}/")]);
    assert!(
        finished.status.success(),
        "{}\n--- wharfd ---\n{}",
        finished.report(),
        wharfd.log()
    );
    assert_eq!(wharfd.terminate().code(), Some(0), "{}", wharfd.log());
}

#[test]
fn serves_a_socket_passed_by_socket_activation() {
    serves_a_passed_socket(Some("ftp"), "ftp", &[]);
}

#[test]
fn serves_implicit_ftps_on_a_passed_socket_named_ftps() {
    let held_socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let held = held_socket.local_addr().expect("address").to_string();
    serves_a_passed_socket(
        Some("ftps"),
        "ftps",
        &["--tls-self-signed", "--implicit-listen", &held],
    );
}
