//! The classic Unix `ftp` client (GNU inetutils, `inetutils-ftp`), driven
//! the way Windows `ftp.exe` batch scripts drive theirs: a script on stdin,
//! one client command a line, logged in with `user` (`-n`), replies shown
//! (`-v`) and, with `-d`, every command it sends (`---> CMD`).

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::{Finished, PASSWORD, Server, USER};

/// The client; the package that has it is `inetutils-ftp`.
const FTP: &str = "inetutils-ftp";

/// Longest one scripted session may take.
const FTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A finished session: what the client printed, and its version.
pub(crate) struct ClassicFtpRun {
    pub(crate) finished: Finished,
    /// The first line of `inetutils-ftp --version`.
    pub(crate) version: String,
}

impl ClassicFtpRun {
    /// stdout and stderr together (the client prints replies on stdout and
    /// some refusals on stderr).
    pub(crate) fn output(&self) -> String {
        self.finished.stdout_text() + &self.finished.stderr_text()
    }

    /// Whether the client sent a command starting with `command` (needs
    /// `-d`, which shows them as `---> CMD`).
    pub(crate) fn sent(&self, command: &str) -> bool {
        self.output()
            .lines()
            .filter_map(|line| line.strip_prefix("---> "))
            .any(|sent| sent.starts_with(command))
    }

    /// The client's version and output, with the server's log tail, for
    /// failure messages.
    pub(crate) fn report(&self, server: &Server) -> String {
        format!(
            "client: {}\n{}\n--- wharfd log (tail) ---\n{}",
            self.version,
            self.finished.report(),
            server.log_tail()
        )
    }
}

/// The first line of `inetutils-ftp --version` (`ftp (GNU inetutils) 2.4`
/// on Debian 12).
pub(crate) fn classic_ftp_version() -> String {
    super::require_tool(FTP, "inetutils-ftp");
    let out = super::run(Command::new(FTP).arg("--version"), Duration::from_secs(10));
    let first = out.stdout_text().lines().next().unwrap_or("").to_owned();
    assert!(
        first.starts_with("ftp (GNU inetutils) "),
        "not GNU inetutils' ftp\n{}",
        out.report()
    );
    first
}

/// Runs `inetutils-ftp <flags> 127.0.0.1 PORT` in `local` with `user
/// alice secret`, then `script` (one client command a line), then `quit`
/// on stdin.
pub(crate) fn run_classic_ftp(
    server: &Server,
    local: &Path,
    flags: &str,
    script: &str,
) -> ClassicFtpRun {
    let version = classic_ftp_version();
    let script_dir = tempfile::tempdir().expect("tempdir");
    let script_path = script_dir.path().join("script.ftp");
    fs::write(
        &script_path,
        format!("user {USER} {PASSWORD}\n{script}\nquit\n"),
    )
    .expect("write the script");
    // `run` gives no stdin, so a shell hands the client its script.
    let finished = super::run(
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "exec {FTP} {flags} 127.0.0.1 {} < \"$0\"",
                server.port()
            ))
            .arg(&script_path)
            .current_dir(local),
        FTP_TIMEOUT,
    );
    ClassicFtpRun { finished, version }
}
