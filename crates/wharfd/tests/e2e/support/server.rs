//! The `wharfd` process under test: [`Server`] starts the real binary on
//! `127.0.0.1` (or, with [`ServerBuilder::family`], `[::1]`) port 0 with a
//! fresh temporary root, waits for its `listening on` line, keeps the tail
//! of its log and kills it when dropped.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::family::Family;
use super::process::wait_for_exit;

/// The read-write user every server is started with.
pub(crate) const USER: &str = "alice";
/// `USER`'s password.
pub(crate) const PASSWORD: &str = "secret";

/// How long the server may take to print its `listening on` line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// The prefix of the line announcing a listener (the contract with wharfd).
const LISTENING_PREFIX: &str = "wharfd: listening on ftp://";
/// The prefix of the line announcing an implicit FTPS listener; wharfd
/// prints these after its `ftp://` line(s).
const IMPLICIT_PREFIX: &str = "wharfd: listening on ftps://";
/// The prefix of the line announcing the admin listener; wharfd prints it
/// before its `listening on` lines.
const ADMIN_PREFIX: &str = "wharfd: admin on http://";
/// How much of the server's stderr is kept for failure messages.
const LOG_KEEP: usize = 256 * 1024;

/// Options for starting a server; see [`Server::builder`].
pub(crate) struct ServerBuilder {
    args: Vec<String>,
    no_login_delay: bool,
    /// Extra environment variables of the server process.
    env: Vec<(String, String)>,
    /// The address family of every listener.
    family: Family,
    /// The control listen address, when not the family's loopback.
    listen_ip: Option<String>,
    /// Whether the control port is chosen for the default data port
    /// ([`ServerBuilder::default_port_friendly`]) rather than 0.
    default_port_friendly: bool,
    /// How many implicit FTPS listeners to add (on the family's loopback).
    implicit: usize,
    /// Files to write into the temporary directory before start, with
    /// `{base}` and `{loopback}` replaced as in arguments.
    files: Vec<(String, String)>,
}

impl ServerBuilder {
    /// Adds one command-line argument after the defaults. `{base}` stands
    /// for the temporary directory holding the root, `{loopback}` for the
    /// server's loopback address (`127.0.0.1` or `::1`, no brackets).
    pub(crate) fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// Adds several command-line arguments after the defaults.
    pub(crate) fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    /// Writes `text` as `wharfd.toml` next to the root (with `{base}`
    /// standing for that directory) and passes `--config` for it.
    pub(crate) fn config(self, text: &str) -> Self {
        self.file("wharfd.toml", text)
            .arg("--config")
            .arg("{base}/wharfd.toml")
    }

    /// Writes `text` as `name` next to the root before start (with `{base}`
    /// and `{loopback}` replaced as in [`ServerBuilder::arg`]).
    pub(crate) fn file(mut self, name: &str, text: &str) -> Self {
        self.files.push((name.to_owned(), text.to_owned()));
        self
    }

    /// Listens on a control port P whose neighbour P-1 (the default data
    /// port) is free and below the kernel's ephemeral range, so no other
    /// socket can hold P-1 when the server binds it. For default-data-port
    /// tests; others listen on port 0.
    pub(crate) fn default_port_friendly(mut self) -> Self {
        self.default_port_friendly = true;
        self
    }

    /// Runs every listener on `family`'s loopback: `[::1]` for
    /// [`Family::V6`]. Panics at start when the machine has no such
    /// address ([`Family::require`]).
    pub(crate) fn family(mut self, family: Family) -> Self {
        self.family = family;
        self
    }

    /// Gives the server a throwaway self-signed certificate
    /// (`--tls-self-signed`): explicit FTPS (AUTH TLS) on the normal port.
    pub(crate) fn tls(self) -> Self {
        self.arg("--tls-self-signed")
    }

    /// Adds an implicit FTPS listener on the loopback of the server's
    /// family, port 0 (`--implicit-listen`); [`Server::implicit_port`]
    /// tells where it is. Needs a certificate too ([`ServerBuilder::tls`]).
    pub(crate) fn implicit(mut self) -> Self {
        self.implicit += 1;
        self
    }

    /// Listens on `ip` (a loopback address such as `127.0.0.2`), port 0.
    pub(crate) fn listen_ip(mut self, ip: &str) -> Self {
        self.listen_ip = Some(ip.to_owned());
        self
    }

    /// The `--listen` argument: the chosen address (the family's loopback
    /// unless [`ServerBuilder::listen_ip`]) and port.
    fn listen_address(&self) -> String {
        let loopback = self.family.loopback();
        let host = self
            .listen_ip
            .clone()
            .unwrap_or_else(|| self.family.url_host());
        if !self.default_port_friendly {
            return format!("{host}:0");
        }
        let port = (10_000u16..20_000)
            .step_by(7)
            .find(|&p| {
                std::net::TcpListener::bind((loopback, p)).is_ok()
                    && std::net::TcpListener::bind((loopback, p - 1)).is_ok()
            })
            .expect("a free control port with a free port below it");
        format!("{host}:{port}")
    }

    /// Sets an environment variable of the server process (e.g. `RUST_LOG`).
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Lets the server use its default delay after a failed login instead of
    /// the `--failed-login-delay-ms 0` every other test passes.
    pub(crate) fn default_login_delay(mut self) -> Self {
        self.no_login_delay = false;
        self
    }

    /// Spawns the server and waits for its `listening on` line.
    ///
    /// Panics, with what the server wrote to stderr, when it exits or stays
    /// silent for 20 s.
    pub(crate) fn start(self) -> Server {
        self.family.require();
        let base = tempfile::Builder::new()
            .prefix("wharfd-e2e-")
            .tempdir()
            .expect("create a temporary directory");
        let root = base.path().join("root");
        fs::create_dir(&root).expect("create the server root");
        let base_text = base.path().to_str().expect("temporary paths are UTF-8");
        let loopback = self.family.host();
        let expand = |text: &str| {
            text.replace("{base}", base_text)
                .replace("{loopback}", &loopback)
        };
        for (name, text) in &self.files {
            fs::write(base.path().join(name), expand(text)).expect("write a file for the server");
        }

        let mut command = Command::new(env!("CARGO_BIN_EXE_wharfd"));
        command
            .arg("--listen")
            .arg(self.listen_address())
            .arg("--root")
            .arg(&root)
            .arg("--user")
            .arg(format!("{USER}:{PASSWORD}"));
        if self.no_login_delay {
            command.args(["--failed-login-delay-ms", "0"]);
        }
        command.args(self.args.iter().map(|a| expand(a)));
        for _ in 0..self.implicit {
            command
                .arg("--implicit-listen")
                .arg(format!("{}:0", self.family.url_host()));
        }
        let description = format!("{command:?}");
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("NO_COLOR", "1");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        // One `ftps://` line follows the `ftp://` line(s) per implicit
        // listener asked for.
        let implicit_wanted = self.implicit
            + self
                .args
                .iter()
                .filter(|a| a.as_str() == "--implicit-listen")
                .count();

        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start wharfd ({description}): {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));

        // From here on, a panic drops `server`, which kills the child.
        let mut server = Server {
            child,
            family: self.family,
            base,
            root,
            addr: None,
            implicit: Vec::new(),
            admin: None,
            log: Arc::clone(&log),
            stderr_done: None,
        };

        // stderr: kept (its tail) for failure messages; `stderr_done` says
        // when all of it has been read.
        let (done_tx, stderr_done) = mpsc::channel::<()>();
        server.stderr_done = Some(stderr_done);
        thread::spawn(move || {
            drain_into(stderr, &log);
            let _ = done_tx.send(());
        });
        // stdout: every line goes to the channel; after the listening line
        // nobody receives, but the thread keeps reading so the server never
        // blocks on a full pipe.
        let (lines_tx, lines_rx) = mpsc::channel::<String>();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let _ = lines_tx.send(line.clone());
                    }
                }
            }
        });

        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let mut seen = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                server.fail_start(
                    &description,
                    &seen,
                    "no (or not every) `listening on` line within 20 s",
                );
            }
            match lines_rx.recv_timeout(left.min(Duration::from_millis(100))) {
                Ok(line) => {
                    if let Some(rest) = line.trim_end().strip_prefix(ADMIN_PREFIX) {
                        server.admin = rest
                            .strip_suffix("/metrics")
                            .and_then(|addr| addr.parse().ok());
                    }
                    if server.addr.is_none() {
                        if let Some(addr) = parse_listening_line(&line, LISTENING_PREFIX) {
                            server.addr = Some(addr);
                        }
                    } else if let Some(addr) = parse_listening_line(&line, IMPLICIT_PREFIX) {
                        server.implicit.push(addr);
                    }
                    if server.addr.is_some() && server.implicit.len() >= implicit_wanted {
                        return server;
                    }
                    seen.push_str(&line);
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Ok(Some(status)) = server.child.try_wait() {
                        server.fail_start(&description, &seen, &format!("it exited ({status})"));
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    // stdout closed: give the process a moment to exit so the
                    // message can say how it ended.
                    let status = wait_for_exit(&mut server.child, Duration::from_secs(2));
                    let how = match status {
                        Some(status) => format!("it exited ({status})"),
                        None => "it closed stdout".to_owned(),
                    };
                    server.fail_start(&description, &seen, &how);
                }
            }
        }
    }
}

/// A running `wharfd`, killed and reaped when dropped.
pub(crate) struct Server {
    child: Child,
    /// The family of its listeners.
    family: Family,
    /// Holds `root` and nothing else the server can reach, so tests can put
    /// files "outside the root" in it.
    base: tempfile::TempDir,
    root: PathBuf,
    addr: Option<SocketAddr>,
    /// The implicit FTPS listeners, in the order wharfd printed them.
    implicit: Vec<SocketAddr>,
    /// The admin HTTP listener, with `--admin-listen`.
    admin: Option<SocketAddr>,
    log: Arc<Mutex<Vec<u8>>>,
    /// Signalled when the server's stderr has been read to its end.
    stderr_done: Option<mpsc::Receiver<()>>,
}

impl Server {
    /// A server with the default test options: user `alice:secret`, no
    /// delay after failed logins.
    pub(crate) fn builder() -> ServerBuilder {
        ServerBuilder {
            args: Vec::new(),
            no_login_delay: true,
            family: Family::V4,
            listen_ip: None,
            default_port_friendly: false,
            implicit: 0,
            env: Vec::new(),
            files: Vec::new(),
        }
    }

    /// Starts a server with the default test options.
    pub(crate) fn start() -> Server {
        Self::builder().start()
    }

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

    fn fail_start(&mut self, command: &str, stdout: &str, why: &str) -> ! {
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

/// Reads the address out of `wharfd: listening on ftp://127.0.0.1:PORT`
/// or `ftp://[::1]:PORT` (or `ftps://` with [`IMPLICIT_PREFIX`]).
fn parse_listening_line(line: &str, prefix: &str) -> Option<SocketAddr> {
    let addr: SocketAddr = line.trim_end().strip_prefix(prefix)?.parse().ok()?;
    addr.ip().is_loopback().then_some(addr)
}

/// Copies `from` into `log`, keeping at most the last `LOG_KEEP` bytes.
fn drain_into(mut from: impl Read, log: &Mutex<Vec<u8>>) {
    let mut buf = [0u8; 8192];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                log.extend_from_slice(&buf[..n]);
                if log.len() > 2 * LOG_KEEP {
                    let cut = log.len() - LOG_KEEP;
                    log.drain(..cut);
                }
            }
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
