//! End-to-end tests with GNU Wget, the downloader many scripts use for
//! `ftp://` URLs: a recursive download (which reads LIST's `ls -l` lines),
//! active mode, resuming with `--continue` (REST), and explicit and implicit
//! FTPS. Each run writes Wget's debug log (`-d`, the FTP commands it sent
//! and the replies) to stderr; a failure shows it with the version and the
//! server log.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support;

use support::{Finished, PASSWORD, Server, USER, require_tool, run};

/// `wget -d --no-verbose` with the test user, no retries and short
/// timeouts, writing below `dir`.
fn wget(dir: &Path, args: &[&str]) -> Finished {
    require_tool("wget", "wget");
    let mut command = Command::new("wget");
    command
        .current_dir(dir)
        .args(["-d", "--no-config", "--tries=1", "--timeout=10"])
        .args([&format!("--user={USER}"), &format!("--password={PASSWORD}")])
        .args(args);
    run(&mut command, Duration::from_secs(60))
}

/// `GNU Wget 1.21.3 ...`: the version line, checked to be Wget's.
fn version() -> String {
    require_tool("wget", "wget");
    let out = run(
        Command::new("wget").arg("--version"),
        Duration::from_secs(10),
    );
    let line = out
        .stdout_text()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(line.starts_with("GNU Wget "), "wget --version: {line:?}");
    line
}

#[track_caller]
fn assert_success(finished: &Finished, server: &Server) {
    assert!(
        finished.status.success(),
        "{} failed\n{}\n--- wharfd log (tail) ---\n{}",
        version(),
        finished.report(),
        server.log_tail()
    );
}

/// Whether Wget's debug log shows it sent `command` (`--> COMMAND ...`).
fn sent(finished: &Finished, command: &str) -> bool {
    finished
        .stderr_text()
        .lines()
        .any(|line| line.starts_with(&format!("--> {command}")))
}

/// `wget -r` mirrors the nested sample tree (names with spaces and
/// Unicode, an empty file and directory) in passive mode, reading
/// wharfd's LIST lines to find each file, byte for byte.
#[test]
fn wget_recursive_download_reads_list_lines() {
    let server = Server::start();
    support::write_sample_tree(server.root());
    let local = tempfile::tempdir().expect("tempdir");
    let url = format!("{}/", server.url());
    let got = wget(
        local.path(),
        &[
            "-r",
            "-nH",
            "-l",
            "inf",
            "-P",
            "down",
            "--restrict-file-names=nocontrol",
            &url,
        ],
    );
    assert_success(&got, &server);
    assert!(sent(&got, "PASV") || sent(&got, "EPSV"), "{}", got.report());
    assert!(sent(&got, "LIST"), "{}", got.report());
    // Wget leaves no `.listing` files behind without --no-remove-listing.
    support::assert_same_tree(server.root(), &local.path().join("down"));
}

/// `--no-passive-ftp` (PORT), then `--continue` of a partial local copy
/// sends REST and appends only the rest.
#[test]
fn wget_active_mode_and_resume() {
    let server = Server::start();
    let data = support::pattern(300_000, 3);
    support::write_file(server.root(), "big.bin", &data);
    let local = tempfile::tempdir().expect("tempdir");
    let url = format!("{}/big.bin", server.url());

    let active = wget(
        local.path(),
        &["--no-passive-ftp", "-O", "active.bin", &url],
    );
    assert_success(&active, &server);
    assert!(
        sent(&active, "PORT") || sent(&active, "EPRT"),
        "{}",
        active.report()
    );
    assert!(!sent(&active, "PASV"), "{}", active.report());
    let got = support::read_file(&local.path().join("active.bin"));
    support::assert_same_bytes("active download", &data, &got);

    support::write_file(local.path(), "big.bin", &data[..123_456]);
    let resumed = wget(local.path(), &["--continue", &url]);
    assert_success(&resumed, &server);
    assert!(sent(&resumed, "REST 123456"), "{}", resumed.report());
    let got = support::read_file(&local.path().join("big.bin"));
    support::assert_same_bytes("resumed download", &data, &got);
}

/// `ftps://` (explicit: AUTH TLS on the control port) and
/// `--ftps-implicit`, each downloading a file over a PROT P data
/// connection that resumes the control connection's TLS session (wharfd
/// requires that by default, so a download is the proof).
#[test]
fn wget_over_explicit_and_implicit_ftps() {
    let server = Server::builder().tls().implicit().start();
    let data = support::pattern(200_000, 5);
    support::write_file(server.root(), "secret.bin", &data);
    let local = tempfile::tempdir().expect("tempdir");

    let explicit = format!("ftps://{}/secret.bin", server.addr());
    let got = wget(
        local.path(),
        &["--no-check-certificate", "-O", "explicit.bin", &explicit],
    );
    assert_success(&got, &server);
    for command in ["AUTH TLS", "PROT P"] {
        assert!(sent(&got, command), "no {command}\n{}", got.report());
    }
    let bytes = support::read_file(&local.path().join("explicit.bin"));
    support::assert_same_bytes("explicit FTPS download", &data, &bytes);

    let implicit = format!("{}/secret.bin", server.ftps_url());
    let got = wget(
        local.path(),
        &[
            "--no-check-certificate",
            "--ftps-implicit",
            "-O",
            "implicit.bin",
            &implicit,
        ],
    );
    assert_success(&got, &server);
    assert!(!sent(&got, "AUTH TLS"), "{}", got.report());
    let bytes = support::read_file(&local.path().join("implicit.bin"));
    support::assert_same_bytes("implicit FTPS download", &data, &bytes);
}
