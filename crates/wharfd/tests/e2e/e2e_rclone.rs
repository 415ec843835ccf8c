//! rclone's FTP back-end (Debian's `rclone`): a tree of 200 files in
//! nested folders copied up to wharfd and back, then `rclone check`, in
//! plain FTP, in explicit FTPS, and with eight connections at once.
//!
//! rclone is configured by flags alone (an `:ftp:` remote with
//! `--ftp-host`, `--ftp-port`, `--ftp-user` and the password as `rclone
//! obscure` gives it) and an empty config file of its own, so nothing on
//! the machine changes a run. Its debug log (`-vv --dump headers`, which
//! for FTP is the protocol exchange) goes to a file shown when a test
//! fails.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support;

use support::{Finished, PASSWORD, Server, USER, pattern, write_file};

/// Longest a single rclone run may take.
const RCLONE_TIMEOUT: Duration = Duration::from_secs(40);

/// How many files the tree holds.
const FILES: usize = 200;

/// The tree the tests copy: 200 files over eleven folders up to four
/// levels deep, 0 B to 48 KiB each (a few round sizes among them), one
/// name with spaces and one in Unicode. Paths are relative, with `/`.
fn tree() -> Vec<(String, Vec<u8>)> {
    let dirs = [
        "",
        "a/",
        "a/b/",
        "a/b/c/",
        "a/b/c/d/",
        "a/e/",
        "f/",
        "f/g/",
        "with space/",
        "with space/ünïcødé/",
        "h/",
    ];
    (0..FILES)
        .map(|n| {
            let dir = dirs[n % dirs.len()];
            let size = match n % 5 {
                0 => 0,
                1 => 1,
                2 => 32 * 1024,
                _ => (n * 7919) % (48 * 1024),
            };
            (
                format!("{dir}file {n:03}.dat"),
                pattern(size, 5000 + n as u64),
            )
        })
        .collect()
}

/// The first line of `rclone version` (`rclone v1.60.1-DEV` on Debian 12).
fn rclone_version() -> String {
    support::require_tool("rclone", "rclone");
    let out = support::run(
        Command::new("rclone").arg("version"),
        Duration::from_secs(10),
    );
    let first = out.stdout_text().lines().next().unwrap_or("").to_owned();
    assert!(
        out.status.success() && first.starts_with("rclone v1."),
        "rclone version\n{}",
        out.report()
    );
    first
}

/// rclone set up for one server: its own config file, the `--ftp-*` flags
/// naming the server, and a log file per run.
struct Rclone {
    dir: tempfile::TempDir,
    flags: Vec<String>,
    version: String,
    runs: usize,
}

/// One rclone run and its `-vv` log.
struct RcloneRun {
    finished: Finished,
    log: String,
}

impl RcloneRun {
    fn report(&self, rclone: &Rclone, server: &Server) -> String {
        let log = &self.log;
        let mut start = log.len().saturating_sub(16 * 1024);
        while !log.is_char_boundary(start) {
            start += 1;
        }
        format!(
            "{}\n{}\n--- rclone -vv log (tail) ---\n{}\n--- wharfd log (tail) ---\n{}",
            rclone.version,
            self.finished.report(),
            &log[start..],
            server.log_tail()
        )
    }
}

impl Rclone {
    /// rclone for `server`, with `extra` flags on every run.
    fn new(server: &Server, extra: &[&str]) -> Self {
        let version = rclone_version();
        // The client's version goes with the test's output.
        #[allow(clippy::print_stdout)]
        {
            println!("client: {version}");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let obscured = support::run(
            Command::new("rclone").args(["obscure", PASSWORD]),
            Duration::from_secs(10),
        );
        assert!(obscured.status.success(), "{}", obscured.report());
        let mut flags: Vec<String> = vec![
            "--config".into(),
            dir.path().join("rclone.conf").display().to_string(),
            "--ftp-host".into(),
            "127.0.0.1".into(),
            "--ftp-port".into(),
            server.port().to_string(),
            "--ftp-user".into(),
            USER.into(),
            "--ftp-pass".into(),
            obscured.stdout_text().trim().to_owned(),
            // Fail fast: one try, no hidden retries of a failed operation.
            "--retries".into(),
            "1".into(),
            "--low-level-retries".into(),
            "1".into(),
            "--contimeout".into(),
            "5s".into(),
            "--timeout".into(),
            "10s".into(),
            "-vv".into(),
            // For FTP, the protocol exchange.
            "--dump".into(),
            "headers".into(),
        ];
        flags.extend(extra.iter().map(|f| (*f).to_owned()));
        fs::write(dir.path().join("rclone.conf"), "").expect("write rclone.conf");
        Rclone {
            dir,
            flags,
            version,
            runs: 0,
        }
    }

    /// Runs `rclone <args> <flags>` and returns what it printed and logged.
    fn run(&mut self, args: &[&str]) -> RcloneRun {
        self.runs += 1;
        let log_path = self.dir.path().join(format!("run-{}.log", self.runs));
        let finished = support::run(
            Command::new("rclone")
                .args(args)
                .args(&self.flags)
                .arg("--log-file")
                .arg(&log_path)
                .env("HOME", self.dir.path())
                .env_remove("RCLONE_CONFIG")
                .env_remove("ftp_proxy")
                .env_remove("FTP_PROXY"),
            RCLONE_TIMEOUT,
        );
        let log = fs::read(&log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        RcloneRun { finished, log }
    }

    /// Runs `rclone <args>` and panics with its log unless it exited 0.
    fn ok(&mut self, server: &Server, args: &[&str]) -> RcloneRun {
        let run = self.run(args);
        assert!(
            run.finished.status.success(),
            "rclone {args:?} failed\n{}",
            run.report(self, server)
        );
        run
    }
}

fn text(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// [`support::assert_same_tree`], adding the report of the rclone `run`
/// that made `actual` when the trees differ.
#[track_caller]
fn same_tree(expected: &Path, actual: &Path, run: &RcloneRun, rclone: &Rclone, server: &Server) {
    let compared = std::panic::catch_unwind(|| support::assert_same_tree(expected, actual));
    if let Err(differences) = compared {
        let differences = differences
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        panic!("{differences}\n{}", run.report(rclone, server));
    }
}

/// Copies the tree up into `/up` (twice: the second finds nothing to do)
/// and back into a new local folder, checks both copies byte for byte,
/// and has `rclone check` compare the local tree with the server's;
/// returns the local tree's folder.
fn round_trip(server: &Server, rclone: &mut Rclone) -> (tempfile::TempDir, PathBuf) {
    let local = tempfile::tempdir().expect("tempdir");
    let source = local.path().join("source");
    for (rel, data) in tree() {
        write_file(&source, &rel, &data);
    }
    let back = local.path().join("back");

    let up = rclone.ok(server, &["copy", text(&source), ":ftp:up"]);
    same_tree(&source, &server.root().join("up"), &up, rclone, server);
    // rclone set each file's time with MFMT and reads it back from MLSD:
    // when sizes and times agree, a second copy moves nothing.
    let again = rclone.ok(server, &["copy", text(&source), ":ftp:up"]);
    assert!(
        again.log.contains("There was nothing to transfer"),
        "a second copy transferred again\n{}",
        again.report(rclone, server)
    );
    let down = rclone.ok(server, &["copy", ":ftp:up", text(&back)]);
    same_tree(&source, &back, &down, rclone, server);

    let check = rclone.ok(server, &["check", text(&source), ":ftp:up"]);
    assert!(
        check.log.contains("0 differences found")
            && check.log.contains(&format!("{FILES} matching files")),
        "rclone check\n{}",
        check.report(rclone, server)
    );
    (local, source)
}

/// Plain FTP: the round trip, then `rclone check --download` (which
/// compares the bytes) finds the one byte changed on the server.
#[test]
fn rclone_copy_up_and_back_and_check() {
    let server = Server::start();
    let mut rclone = Rclone::new(&server, &[]);
    let (_local, source) = round_trip(&server, &mut rclone);

    let changed = server.root().join("up/a/b/c/file 003.dat");
    let mut bytes = support::read_file(&changed);
    bytes[10] ^= 1;
    fs::write(&changed, bytes).expect("change a byte");
    let check = rclone.run(&["check", "--download", text(&source), ":ftp:up"]);
    assert!(
        !check.finished.status.success()
            && check.log.contains("1 differences found")
            && check.log.contains("file 003.dat"),
        "rclone check --download missed a changed byte\n{}",
        check.report(&rclone, &server)
    );
}

/// Explicit FTPS (`AUTH TLS`, then `PROT P` on every data connection):
/// the same round trip and check, over one connection at a time.
#[test]
fn rclone_copy_up_and_back_and_check_over_explicit_ftps() {
    let server = Server::builder().tls().start();
    let mut rclone = Rclone::new(
        &server,
        &[
            "--ftp-explicit-tls",
            "--ftp-no-check-certificate",
            "--ftp-concurrency",
            "1",
        ],
    );
    let _local = round_trip(&server, &mut rclone);
    let run = rclone.ok(&server, &["lsf", ":ftp:up"]);
    for sent in ["AUTH TLS", "PROT P"] {
        assert!(
            run.log.contains(sent),
            "rclone did not send {sent}\n{}",
            run.report(&rclone, &server)
        );
    }
}

/// rclone's default number of connections over explicit FTPS, against
/// wharfd's defaults (data connections must resume a TLS session).
///
/// rclone keeps one TLS session cache for all its connections, keyed by
/// the host name, so with several control connections a data connection
/// resumes whichever control session stored a ticket last. A server that
/// accepts only the data connection's own control session refuses those
/// with 425, as FileZilla Server does (rclone#7234, jlaffaye/ftp#342);
/// wharfd also accepts the sessions of the same user from the same
/// address (`tls/siblings.rs` in wharf-session).
#[test]
fn rclone_over_explicit_ftps_with_many_connections() {
    let server = Server::builder().tls().start();
    let mut rclone = Rclone::new(
        &server,
        &["--ftp-explicit-tls", "--ftp-no-check-certificate"],
    );
    let _local = round_trip(&server, &mut rclone);
    let most = most_sessions_at_once(&server.log_text());
    assert!(most >= 2, "{most} session at once\n{}", server.log_tail());
}

/// Eight connections at once (`--ftp-concurrency 8`, with the transfers
/// and checkers one fewer, as rclone's documentation asks): the same
/// round trip and check.
#[test]
fn rclone_copy_up_and_back_and_check_with_eight_connections() {
    let server = Server::start();
    let mut rclone = Rclone::new(
        &server,
        &[
            "--ftp-concurrency",
            "8",
            "--transfers",
            "4",
            "--checkers",
            "3",
        ],
    );
    let _local = round_trip(&server, &mut rclone);
    let most = most_sessions_at_once(&server.log_text());
    assert!(
        (2..=8).contains(&most),
        "{most} sessions at once, expected 2 to 8\n{}",
        server.log_tail()
    );
}

/// The most sessions wharfd served at once, from its `session start` and
/// `session end` log lines.
fn most_sessions_at_once(log: &str) -> i64 {
    let mut now = 0i64;
    let mut most = 0;
    for line in log.lines() {
        if line.contains("session start") {
            now += 1;
            most = most.max(now);
        } else if line.contains("session end") {
            now -= 1;
        }
    }
    most
}
