//! The clients, run in a client namespace with `ip netns exec`: the Python
//! suite's `nat_*` functions (`tests/ftplib/wharf_e2e/nat.py`), curl and
//! lftp, each bounded by a timeout.

use super::lab::Lab;
use super::wharfd::{CONNECT_SECS, Wharfd};
use crate::support::{Finished, LftpRun, PASSWORD, USER, run, suite_path};

use std::fs;
use std::time::Duration;

/// Longest one client run may take (the failure cases wait out
/// [`CONNECT_SECS`] a few times).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `suite.py FUNCTION HOST 21 ROOT` in `ns`, `pasv` being the address
/// PASV must announce there; panics with its output and the server's log
/// unless it passes. What it prints (the replies and times of the failure
/// cases) is shown with `--nocapture`.
// Showing a passing run's measurements is what stderr is for in a test.
#[allow(clippy::print_stderr)]
pub(super) fn suite(lab: &Lab, ns: &str, function: &str, host: &str, pasv: &str, server: &Wharfd) {
    let mut command = lab.command(ns, "python3");
    command
        .arg(suite_path())
        .args([function, host, "21"])
        .arg(server.root())
        .env("WHARF_NAT_PASV", pasv)
        .env("WHARF_NAT_CONNECT_SECS", CONNECT_SECS.to_string())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONIOENCODING", "utf-8");
    let finished = run(&mut command, CLIENT_TIMEOUT);
    assert!(
        finished.status.success(),
        "`{function}` from {ns} to {host} failed\n{}\n--- wharfd log (tail) ---\n{}",
        finished.report(),
        server.log_tail()
    );
    eprint!("{function} from {ns}:\n{}", finished.stdout_text());
}

/// `curl -v -k` in `ns` as the test user with `args`, as
/// `support::curl` runs it on the host.
pub(super) fn curl(lab: &Lab, ns: &str, args: &[&str]) -> Finished {
    run(
        lab.command(ns, "curl")
            .arg("--disable")
            .args(["--silent", "--show-error", "--verbose", "--noproxy", "*"])
            .args(["--insecure", "--connect-timeout", "5", "--max-time", "20"])
            .args(["--user", &format!("{USER}:{PASSWORD}")])
            .args(args),
        CLIENT_TIMEOUT,
    )
}

/// lftp in `ns` with `settings`, logged in at `url`, then `commands`, as
/// `support::run_lftp` runs it on the host (no rc files, a protocol log).
pub(super) fn lftp(lab: &Lab, ns: &str, url: &str, settings: &str, commands: &str) -> LftpRun {
    let home = tempfile::tempdir_in(lab.dir()).expect("create lftp's home");
    let log_path = home.path().join("protocol.log");
    let script = format!(
        "debug -o \"{log}\" 5; {settings}; open -u {USER},{PASSWORD} {url}; {commands}; quit",
        log = log_path.display(),
    );
    let finished = run(
        lab.command(ns, "lftp")
            .args(["--norc", "-c", &script])
            .env("HOME", home.path())
            .env("LC_ALL", "C.UTF-8")
            .env_remove("LFTP_HOME")
            .env_remove("ftp_proxy")
            .env_remove("FTP_PROXY"),
        CLIENT_TIMEOUT,
    );
    let protocol_log = fs::read(&log_path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    LftpRun {
        finished,
        protocol_log,
    }
}
