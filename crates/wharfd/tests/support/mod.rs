//! Shared harness of the end-to-end tests.
//!
//! [`Server`] starts the real `wharfd` binary on `127.0.0.1` port 0 with a
//! fresh temporary root and stops it when dropped; [`run`] runs an external
//! client (curl, lftp, python3) with a hard timeout; the rest builds and
//! compares file trees. Every wait here has a deadline and every loop a bound,
//! so a hung server fails a test instead of hanging the suite.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The read-write user every server is started with.
pub(crate) const USER: &str = "alice";
/// `USER`'s password.
pub(crate) const PASSWORD: &str = "secret";

/// How long the server may take to print its `listening on` line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// The prefix of the line announcing a listener (the contract with wharfd).
const LISTENING_PREFIX: &str = "wharfd: listening on ftp://";
/// How much of the server's stderr is kept for failure messages.
const LOG_KEEP: usize = 256 * 1024;

/// Options for starting a server; see [`Server::builder`].
pub(crate) struct ServerBuilder {
    args: Vec<String>,
    no_login_delay: bool,
}

impl ServerBuilder {
    /// Adds one command-line argument after the defaults.
    pub(crate) fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// Adds several command-line arguments after the defaults.
    pub(crate) fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
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
        let base = tempfile::Builder::new()
            .prefix("wharfd-e2e-")
            .tempdir()
            .expect("create a temporary directory");
        let root = base.path().join("root");
        fs::create_dir(&root).expect("create the server root");

        let mut command = Command::new(env!("CARGO_BIN_EXE_wharfd"));
        command
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--root")
            .arg(&root)
            .arg("--user")
            .arg(format!("{USER}:{PASSWORD}"));
        if self.no_login_delay {
            command.args(["--failed-login-delay-ms", "0"]);
        }
        command.args(&self.args);
        let description = format!("{command:?}");
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("NO_COLOR", "1");

        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start wharfd ({description}): {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));

        // From here on, a panic drops `server`, which kills the child.
        let mut server = Server {
            child,
            base,
            root,
            addr: None,
            log: Arc::clone(&log),
        };

        // stderr: kept (its tail) for failure messages.
        thread::spawn(move || drain_into(stderr, &log));
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
                server.fail_start(&description, &seen, "no `listening on` line within 20 s");
            }
            match lines_rx.recv_timeout(left.min(Duration::from_millis(100))) {
                Ok(line) => {
                    if let Some(addr) = parse_listening_line(&line) {
                        server.addr = Some(addr);
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
    /// Holds `root` and nothing else the server can reach, so tests can put
    /// files "outside the root" in it.
    base: tempfile::TempDir,
    root: PathBuf,
    addr: Option<SocketAddr>,
    log: Arc<Mutex<Vec<u8>>>,
}

impl Server {
    /// A server with the default test options: user `alice:secret`, no
    /// delay after failed logins.
    pub(crate) fn builder() -> ServerBuilder {
        ServerBuilder {
            args: Vec::new(),
            no_login_delay: true,
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

    /// The control address (always 127.0.0.1).
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr.expect("the server has started")
    }

    /// `ftp://127.0.0.1:PORT` (no trailing slash).
    pub(crate) fn url(&self) -> String {
        format!("ftp://{}", self.addr())
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

/// Reads the address out of `wharfd: listening on ftp://127.0.0.1:PORT`.
fn parse_listening_line(line: &str) -> Option<SocketAddr> {
    let addr: SocketAddr = line
        .trim_end()
        .strip_prefix(LISTENING_PREFIX)?
        .parse()
        .ok()?;
    (addr.ip().is_loopback() && addr.is_ipv4()).then_some(addr)
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

/// Waits at most `timeout` for `child` to exit.
fn wait_for_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            _ => return None,
        }
    }
}

// ---------------------------------------------------------------------------
// External commands

/// What a finished external command printed.
pub(crate) struct Finished {
    /// Its exit status.
    pub(crate) status: ExitStatus,
    /// Everything it wrote to stdout.
    pub(crate) stdout: Vec<u8>,
    /// Everything it wrote to stderr.
    pub(crate) stderr: Vec<u8>,
}

impl Finished {
    /// stdout as text (lossy).
    pub(crate) fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as text (lossy).
    pub(crate) fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// A report of the command's output, for failure messages.
    pub(crate) fn report(&self) -> String {
        format!(
            "exit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status,
            tail(&self.stdout_text(), 12 * 1024),
            tail(&self.stderr_text(), 12 * 1024),
        )
    }
}

/// The last `max` bytes of `text` (cut on a character boundary).
fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// Panics with a clear message when `program` cannot be run at all.
///
/// The end-to-end tests never pass silently without their client: a missing
/// client is a failed test. `scripts/test` installs them.
pub(crate) fn require_tool(program: &str, package: &str) {
    let found = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Err(e) = found {
        panic!(
            "`{program}` is not installed or cannot run ({e}); the end-to-end tests need it: \
             install it (apt-get install -y {package}); scripts/test does this"
        );
    }
}

/// Runs `command` to completion with no stdin; kills it and panics when it
/// takes longer than `timeout`.
pub(crate) fn run(command: &mut Command, timeout: Duration) -> Finished {
    let description = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {description}: {e}"));
    let stdout = read_in_background(child.stdout.take().expect("piped stdout"));
    let stderr = read_in_background(child.stderr.take().expect("piped stderr"));

    let status = wait_for_exit(&mut child, timeout);
    if status.is_none() {
        let _ = child.kill();
        let _ = wait_for_exit(&mut child, Duration::from_secs(5));
    }
    // The pipes close when the process ends; a grandchild holding them is
    // not waited for longer than this.
    let collect =
        |rx: mpsc::Receiver<Vec<u8>>| rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    let stdout = collect(stdout);
    let stderr = collect(stderr);
    match status {
        Some(status) => Finished {
            status,
            stdout,
            stderr,
        },
        None => panic!(
            "{description} did not finish within {timeout:?} and was killed\n--- stdout ---\n{}\n--- stderr ---\n{}",
            tail(&String::from_utf8_lossy(&stdout), 12 * 1024),
            tail(&String::from_utf8_lossy(&stderr), 12 * 1024),
        ),
    }
}

fn read_in_background(mut from: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut all = Vec::new();
        let _ = from.read_to_end(&mut all);
        let _ = tx.send(all);
    });
    rx
}

// ---------------------------------------------------------------------------
// Data and file trees

/// `len` pseudo-random bytes, the same for the same `seed` (xorshift64*).
pub(crate) fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Writes `data` to `base/rel`, creating parent directories.
pub(crate) fn write_file(base: &Path, rel: &str, data: &[u8]) -> PathBuf {
    let path = base.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
    }
    fs::write(&path, data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

/// Reads `path`, panicking with its name when it cannot.
pub(crate) fn read_file(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Asserts two byte strings are equal without printing megabytes.
#[track_caller]
pub(crate) fn assert_same_bytes(what: &str, expected: &[u8], actual: &[u8]) {
    if expected != actual {
        let first_diff = expected
            .iter()
            .zip(actual)
            .position(|(a, b)| a != b)
            .unwrap_or(expected.len().min(actual.len()));
        panic!(
            "{what}: content differs: expected {} bytes, got {} bytes, first difference at byte {first_diff}",
            expected.len(),
            actual.len()
        );
    }
}

/// The nested tree of 50 files the mirror tests move around: three levels,
/// sizes from 0 B to 200 KiB, a name with spaces, a name in Unicode, an empty
/// directory. Paths are relative, with `/` separators.
pub(crate) fn sample_tree() -> (Vec<(String, Vec<u8>)>, Vec<String>) {
    let dirs = [
        "",
        "docs/",
        "docs/old/",
        "images/",
        "images/2024/",
        "data set/",
    ];
    let mut files = vec![
        ("empty.txt".to_owned(), Vec::new()),
        ("one byte.txt".to_owned(), b"x".to_vec()),
        (
            "docs/with spaces in name.txt".to_owned(),
            b"spaces\n".to_vec(),
        ),
        ("docs/ünïcødé-日本語.bin".to_owned(), random_bytes(3000, 99)),
        (
            "images/2024/max.bin".to_owned(),
            random_bytes(200 * 1024, 7),
        ),
    ];
    let mut n = 0u64;
    while files.len() < 50 {
        let dir = dirs[(n % dirs.len() as u64) as usize];
        // Sizes spread over 0..200 KiB, with a few round ones.
        let size = match n % 7 {
            0 => 0,
            1 => 1,
            2 => 4096,
            3 => 65_536 + 1,
            _ => ((n * 7919) % (200 * 1024)) as usize,
        };
        files.push((
            format!("{dir}file-{n:02}.dat"),
            random_bytes(size, 1000 + n),
        ));
        n += 1;
    }
    let empty_dirs = vec!["empty dir".to_owned()];
    (files, empty_dirs)
}

/// Writes [`sample_tree`] under `base`.
pub(crate) fn write_sample_tree(base: &Path) {
    let (files, empty_dirs) = sample_tree();
    for (rel, data) in &files {
        write_file(base, rel, data);
    }
    for dir in &empty_dirs {
        fs::create_dir_all(base.join(dir)).expect("create an empty directory");
    }
}

/// One entry of a file tree, as compared by [`assert_same_tree`].
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Dir,
    File(Vec<u8>),
}

fn collect_tree(base: &Path) -> BTreeMap<String, Entry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    // Bounded: each directory is visited once and trees here are small.
    while let Some(rel) = stack.pop() {
        let dir = base.join(&rel);
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("list {}: {e}", dir.display()));
        for entry in entries {
            let entry = entry.expect("directory entry");
            let rel_child = rel.join(entry.file_name());
            let key = rel_child.to_string_lossy().into_owned();
            let kind = entry.file_type().expect("file type");
            if kind.is_dir() {
                out.insert(key, Entry::Dir);
                stack.push(rel_child);
            } else {
                out.insert(key, Entry::File(read_file(&entry.path())));
            }
        }
    }
    out
}

/// Asserts that the trees under `expected` and `actual` hold the same
/// directories and files with the same bytes; the message lists every
/// missing, extra and different entry.
#[track_caller]
pub(crate) fn assert_same_tree(expected: &Path, actual: &Path) {
    let want = collect_tree(expected);
    let got = collect_tree(actual);
    let mut problems = String::new();
    for (path, entry) in &want {
        match (entry, got.get(path)) {
            (_, None) => writeln!(problems, "missing: {path}").expect("write to String"),
            (Entry::Dir, Some(Entry::Dir)) => {}
            (Entry::File(a), Some(Entry::File(b))) if a == b => {}
            (Entry::File(a), Some(Entry::File(b))) => writeln!(
                problems,
                "different: {path} ({} bytes expected, {} bytes found)",
                a.len(),
                b.len()
            )
            .expect("write to String"),
            (_, Some(_)) => writeln!(problems, "wrong kind: {path}").expect("write to String"),
        }
    }
    for path in got.keys().filter(|p| !want.contains_key(*p)) {
        writeln!(problems, "unexpected: {path}").expect("write to String");
    }
    assert!(
        problems.is_empty(),
        "trees differ ({} expected entries, {} found under {}):\n{problems}",
        want.len(),
        got.len(),
        actual.display()
    );
}
