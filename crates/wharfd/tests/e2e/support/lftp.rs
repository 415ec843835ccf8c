//! lftp for the end-to-end suites: one scripted run with its protocol log
//! (`debug 5`), and what can be read from that log.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::{Finished, PASSWORD, USER};

/// Longest a single lftp run may take.
const LFTP_TIMEOUT: Duration = Duration::from_secs(25);

/// The outcome of an lftp run, with its protocol log.
pub(crate) struct LftpRun {
    pub(crate) finished: Finished,
    pub(crate) protocol_log: String,
}

impl LftpRun {
    pub(crate) fn report(&self) -> String {
        let log = &self.protocol_log;
        let mut start = log.len().saturating_sub(12 * 1024);
        while !log.is_char_boundary(start) {
            start += 1;
        }
        format!(
            "{}\n--- lftp protocol log (tail) ---\n{}",
            self.finished.report(),
            &log[start..]
        )
    }

    /// The reply code to the first command lftp sent starting with
    /// `command`, or None when it never sent one.
    pub(crate) fn reply_to(&self, command: &str) -> Option<String> {
        let mut lines = self.protocol_log.lines().skip_while(|line| {
            !line
                .split_once("---> ")
                .is_some_and(|(_, sent)| sent.starts_with(command))
        });
        lines.next()?;
        lines
            .find_map(|line| line.split_once("<--- ").map(|(_, reply)| reply))
            .map(|reply| reply.chars().take(3).collect())
    }

    /// How many data connections lftp opened, asserting each one went
    /// through a TLS handshake (GnuTLS reports on the certificate of every
    /// TLS connection, which `ssl:verify-certificate no` turns into a
    /// warning).
    pub(crate) fn tls_data_connections(&self) -> usize {
        let mut count = 0;
        let mut pending = false;
        for line in self.protocol_log.lines() {
            if line.contains("Connecting data socket") {
                assert!(
                    !pending,
                    "a data connection without a TLS handshake\n{}",
                    self.report()
                );
                pending = true;
                count += 1;
            } else if line.contains("Certificate verification") {
                pending = false;
            }
        }
        assert!(
            !pending,
            "the last data connection had no TLS handshake\n{}",
            self.report()
        );
        count
    }

    /// How many TLS handshakes (control and data) GnuTLS reported.
    pub(crate) fn tls_handshakes(&self) -> usize {
        self.protocol_log
            .lines()
            .filter(|line| line.contains("Certificate verification"))
            .count()
    }

    /// Whether lftp sent a command starting with `command`.
    pub(crate) fn sent(&self, command: &str) -> bool {
        self.protocol_log
            .lines()
            .filter_map(|line| line.split_once("---> ").map(|(_, sent)| sent))
            .any(|sent| sent.starts_with(command))
    }
}

/// Runs lftp with `settings`, logged in at `url` as the test user, then
/// `commands`; never reads a user's rc files.
pub(crate) fn run_lftp(url: &str, settings: &str, commands: &str) -> LftpRun {
    super::require_tool("lftp", "lftp");
    let home = tempfile::tempdir().expect("tempdir");
    let log_path = home.path().join("protocol.log");
    let script = format!(
        "debug -o \"{log}\" 5; {settings}; open -u {USER},{PASSWORD} {url}; {commands}; quit",
        log = log_path.display(),
    );
    let finished = super::run(
        Command::new("lftp")
            .arg("--norc")
            .arg("-c")
            .arg(&script)
            .env("HOME", home.path())
            .env("LC_ALL", "C.UTF-8")
            .env_remove("LFTP_HOME")
            .env_remove("ftp_proxy")
            .env_remove("FTP_PROXY"),
        LFTP_TIMEOUT,
    );
    let protocol_log = fs::read(&log_path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    LftpRun {
        finished,
        protocol_log,
    }
}

pub(crate) fn quoted(path: &Path) -> String {
    let text = path.to_str().expect("temporary paths are UTF-8");
    assert!(!text.contains('"'), "path with a quote: {text}");
    format!("\"{text}\"")
}
