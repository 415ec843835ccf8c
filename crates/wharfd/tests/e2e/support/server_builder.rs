//! Starting the `wharfd` process under test: [`ServerBuilder`] collects
//! flags, files and the address family, starts the real binary on port 0
//! with a fresh temporary root, and waits for its `listening on` lines.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::family::Family;
use super::process::wait_for_exit;
use super::server::{PASSWORD, Server, USER};

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
    /// Called with the empty root before the server opens it.
    prepare_root: Option<PrepareRoot>,
}

/// What [`ServerBuilder::prepare_root`] runs.
type PrepareRoot = Box<dyn FnOnce(&std::path::Path)>;

impl ServerBuilder {
    /// Adds one command-line argument after the defaults. `{base}` stands
    /// for the temporary directory holding the root, `{loopback}` for the
    /// server's loopback address (`127.0.0.1` or `::1`, no brackets).
    pub(crate) fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// Runs `prepare` on the empty root directory before the server starts
    /// (and opens it), e.g. to mount a small file system there.
    pub(crate) fn prepare_root(mut self, prepare: impl FnOnce(&std::path::Path) + 'static) -> Self {
        self.prepare_root = Some(Box::new(prepare));
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
    pub(crate) fn start(mut self) -> Server {
        self.family.require();
        let base = tempfile::Builder::new()
            .prefix("wharfd-e2e-")
            .tempdir()
            .expect("create a temporary directory");
        let root = base.path().join("root");
        fs::create_dir(&root).expect("create the server root");
        if let Some(prepare) = self.prepare_root.take() {
            prepare(&root);
        }
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
            prepare_root: None,
        }
    }

    /// Starts a server with the default test options.
    pub(crate) fn start() -> Server {
        Self::builder().start()
    }
}
