//! The `wharfd` process under test: a [`Server`] started by
//! [`ServerBuilder`](super::ServerBuilder) on `127.0.0.1` (or `[::1]`),
//! with its addresses, its root, the tail of its log; killed when dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::family::Family;
use super::process::wait_for_exit;

/// The read-write user every server is started with.
pub(crate) const USER: &str = "alice";
/// `USER`'s password.
pub(crate) const PASSWORD: &str = "secret";

/// A running `wharfd`, killed and reaped when dropped.
pub(crate) struct Server {
    pub(super) child: Child,
    /// The family of its listeners.
    pub(super) family: Family,
    /// Holds `root` and nothing else the server can reach, so tests can put
    /// files "outside the root" in it.
    pub(super) base: tempfile::TempDir,
    pub(super) root: PathBuf,
    pub(super) addr: Option<SocketAddr>,
    /// The implicit FTPS listeners, in the order wharfd printed them.
    pub(super) implicit: Vec<SocketAddr>,
    /// The admin HTTP listener, with `--admin-listen`.
    pub(super) admin: Option<SocketAddr>,
    pub(super) log: Arc<Mutex<Vec<u8>>>,
    /// Signalled when the server's stderr has been read to its end.
    pub(super) stderr_done: Option<mpsc::Receiver<()>>,
}

impl Server {
    /// The control port.
    pub(crate) fn port(&self) -> u16 {
        self.addr().port()
    }

    /// The control address (a loopback address of the server's family).
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr.expect("the server has started")
    }

    /// The address family the server listens on.
    pub(crate) fn family(&self) -> Family {
        self.family
    }

    /// `ftp://127.0.0.1:PORT` or `ftp://[::1]:PORT` (no trailing slash).
    pub(crate) fn url(&self) -> String {
        format!("ftp://{}", self.addr())
    }

    /// The first implicit FTPS listener (see [`ServerBuilder::implicit`]).
    pub(crate) fn implicit_addr(&self) -> SocketAddr {
        *self
            .implicit
            .first()
            .expect("the server was started with an implicit FTPS listener")
    }

    /// The implicit FTPS port, if the server has an implicit listener.
    pub(crate) fn implicit_port(&self) -> Option<u16> {
        self.implicit.first().map(SocketAddr::port)
    }

    /// `ftps://127.0.0.1:PORT` (`ftps://[::1]:PORT`) of the implicit
    /// listener (no trailing slash).
    pub(crate) fn ftps_url(&self) -> String {
        format!("ftps://{}", self.implicit_addr())
    }

    /// `http://IP:PORT` of the admin listener (`--admin-listen`).
    pub(crate) fn admin_url(&self) -> String {
        let addr = self
            .admin
            .expect("the server was started with --admin-listen");
        format!("http://{addr}")
    }

    /// The directory served as `/`.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The parent of `root()`: a private directory outside what is served.
    pub(crate) fn outside(&self) -> &Path {
        self.base.path()
    }

    /// The last part of what the server logged on stderr.
    pub(crate) fn log_tail(&self) -> String {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let start = log.len().saturating_sub(16 * 1024);
        String::from_utf8_lossy(&log[start..]).into_owned()
    }

    /// Everything the server logged on stderr so far (up to the last
    /// 256 KiB), for checks on the log itself.
    pub(crate) fn log_text(&self) -> String {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&log).into_owned()
    }

    /// Stops the server as an operator would (SIGTERM: graceful shutdown,
    /// which flushes usage counts) and waits, at most 20 s, for it to exit.
    pub(crate) fn terminate(&mut self) {
        self.terminate_status();
    }

    /// [`Server::terminate`], returning how the process exited.
    pub(crate) fn terminate_status(&mut self) -> ExitStatus {
        // Not `signal`: a server that already exited is no error here.
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let exited = wait_for_exit(&mut self.child, Duration::from_secs(20));
        exited.unwrap_or_else(|| panic!("wharfd did not exit after SIGTERM\n{}", self.log_tail()))
    }

    /// Sends the server `signal` (a name `kill -s` knows: `HUP`, `USR1`).
    pub(crate) fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-s", signal, &pid]).status();
        assert!(
            sent.is_ok_and(|status| status.success()),
            "kill -s {signal} {pid} failed"
        );
    }

    /// How the process ended, if it has.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Stops the server (kills it and waits, at most 10 s, for it to exit
    /// and for its stderr to be read to the end), then returns all it
    /// logged (up to the last 256 KiB): for checks on the complete log.
    pub(crate) fn stop_and_log(&mut self) -> String {
        let _ = self.child.kill();
        let _ = wait_for_exit(&mut self.child, Duration::from_secs(5));
        if let Some(done) = self.stderr_done.take() {
            let _ = done.recv_timeout(Duration::from_secs(5));
        }
        self.log_text()
    }

    pub(super) fn fail_start(&mut self, command: &str, stdout: &str, why: &str) -> ! {
        let _ = self.child.kill();
        let _ = wait_for_exit(&mut self.child, Duration::from_secs(5));
        // Let the stderr thread catch the last words.
        thread::sleep(Duration::from_millis(100));
        panic!(
            "wharfd did not start: {why}\ncommand: {command}\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
            self.log_tail()
        );
    }
}

impl Drop for Server {
    // The test harness captures this and shows it with the failing test.
    #[allow(clippy::print_stderr)]
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = wait_for_exit(&mut self.child, Duration::from_secs(10));
        if thread::panicking() && self.addr.is_some() {
            eprintln!("--- wharfd stderr (tail) ---\n{}", self.log_tail());
        }
    }
}

/// Runs `wharfd --hash-password` with `password` on stdin and returns the
/// hash it prints.
pub(crate) fn hash_password(password: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_wharfd"))
        .arg("--hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wharfd --hash-password");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write the password");
    let output = child.wait_with_output().expect("wharfd --hash-password");
    assert!(
        output.status.success(),
        "wharfd --hash-password failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let hash = String::from_utf8(output.stdout).expect("the hash is text");
    let hash = hash.trim().to_owned();
    assert!(
        hash.starts_with("$argon2id$"),
        "not an argon2id hash: {hash:?}"
    );
    hash
}
