//! curl for the end-to-end suites: running it, checking that it succeeded
//! and which commands it really sent (its verbose log), so that a silent
//! fallback (PASV for EPSV, clear for PROT P) cannot pass a test, and
//! [`Tls`], the form (plain or explicit FTPS) of the tests that run in both.

use std::process::Command;
use std::time::Duration;

use super::{
    Finished, PASSWORD, Server, ServerBuilder, USER, assert_same_bytes, read_file, require_tool,
    run,
};

/// Panics with curl's output and the server log unless curl exited 0.
#[track_caller]
pub(crate) fn assert_success(finished: &Finished, server: &Server) {
    assert!(
        finished.status.success(),
        "curl failed\n{}\n--- wharfd stderr (tail) ---\n{}",
        finished.report(),
        server.log_tail()
    );
}

/// [`curl`] with `args`, which must succeed (else the panic shows curl's
/// output and the server's log); its stdout.
#[track_caller]
pub(crate) fn curl_ok(server: &Server, args: &[&str]) -> Vec<u8> {
    let finished = curl(args);
    assert_success(&finished, server);
    finished.stdout
}

/// The reply code curl's verbose log shows for the first command starting
/// with `command` (e.g. "PROT P"), or None when curl never sent it.
pub(crate) fn reply_to(finished: &Finished, command: &str) -> Option<String> {
    let log = finished.stderr_text();
    let mut lines = log.lines().skip_while(|line| {
        !line
            .strip_prefix("> ")
            .is_some_and(|sent| sent.starts_with(command))
    });
    lines.next()?;
    lines
        .find_map(|line| line.strip_prefix("< "))
        .map(|reply| reply.chars().take(3).collect())
}

/// Asserts curl sent `command` and the server accepted it with one of
/// `codes`.
#[track_caller]
pub(crate) fn assert_used(finished: &Finished, command: &str, codes: &[&str]) {
    let reply = reply_to(finished, command);
    assert!(
        reply.as_deref().is_some_and(|code| codes.contains(&code)),
        "expected curl to send {command} and get {}, got {reply:?}\n{}",
        codes.join(" or "),
        finished.report()
    );
}

/// Longest one curl run may take.
const CURL_TIMEOUT: Duration = Duration::from_secs(25);

/// Runs `curl -v -k` with the test user's credentials and the given
/// arguments. `-k` (`--insecure`) because the servers' certificates are
/// throwaway self-signed ones; without TLS it changes nothing.
pub(crate) fn curl(args: &[&str]) -> Finished {
    require_tool("curl", "curl");
    run(
        Command::new("curl")
            // First, so that no ~/.curlrc is read.
            .arg("--disable")
            .args(["--silent", "--show-error", "--verbose", "--noproxy", "*"])
            .args(["--insecure", "--connect-timeout", "5", "--max-time", "20"])
            .args(["--user", &format!("{USER}:{PASSWORD}")])
            .args(args),
        CURL_TIMEOUT,
    )
}

/// Which form of FTP a test that runs in both drives: plain, or explicit
/// FTPS (`--ssl-reqd` on `ftp://`: AUTH TLS, PBSZ 0, PROT P) against a
/// server with a self-signed certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tls {
    Plain,
    Explicit,
}

impl Tls {
    /// A server for this form (`--tls-self-signed` for FTPS).
    pub(crate) fn server(self) -> ServerBuilder {
        match self {
            Self::Plain => Server::builder(),
            Self::Explicit => Server::builder().tls(),
        }
    }

    /// Runs curl in this form: `args` after `--ssl-reqd` for FTPS.
    pub(crate) fn curl(self, args: &[&str]) -> Finished {
        match self {
            Self::Plain => curl(args),
            Self::Explicit => curl(&[&["--ssl-reqd"], args].concat()),
        }
    }

    /// For FTPS, asserts what [`assert_protected`] does (any TLS version);
    /// nothing in plain FTP.
    #[track_caller]
    pub(crate) fn assert_protected(self, finished: &Finished, connections: usize) {
        if self == Self::Explicit {
            assert_protected(finished, None, connections);
        }
    }
}

/// Asserts, from curl's `-v` log, that the data was protected: PROT P got
/// 200, at least `connections` TLS handshakes of `version` (e.g.
/// "TLSv1.3"; any when None) completed (the control connection plus one per
/// data connection), and curl resumed the control session for its data
/// connections.
#[track_caller]
pub(crate) fn assert_protected(finished: &Finished, version: Option<&str>, connections: usize) {
    assert_used(finished, "PROT P", &["200"]);
    let log = finished.stderr_text();
    let handshakes: Vec<&str> = log
        .lines()
        .filter_map(|line| line.strip_prefix("* SSL connection using "))
        .collect();
    assert!(
        handshakes.len() >= connections,
        "expected at least {connections} TLS connections (control + data), curl shows {handshakes:?}\n{}",
        finished.report()
    );
    if let Some(version) = version {
        assert!(
            handshakes.iter().all(|h| h.starts_with(version)),
            "expected only {version}, curl negotiated {handshakes:?}"
        );
    }
    assert!(
        log.contains("SSL re-using session ID"),
        "curl did not resume the control session on a data connection\n{}",
        finished.report()
    );
}

/// Asserts the server's disk holds `data` as `name`, right after curl
/// reported the upload done.
#[track_caller]
pub(crate) fn assert_stored(server: &Server, name: &str, data: &[u8]) {
    let path = server.root().join(name);
    assert!(
        path.is_file(),
        "{name} is not on the server's disk\n--- wharfd stderr (tail) ---\n{}",
        server.log_tail()
    );
    assert_same_bytes(&format!("uploaded {name}"), data, &read_file(&path));
}

/// curl as `user` (`name:password`) with `args`.
pub(crate) fn curl_as(user: &str, args: &[&str]) -> Finished {
    curl(&[&["--user", user], args].concat())
}

/// The reply lines of curl's verbose log.
pub(crate) fn replies(finished: &Finished) -> Vec<String> {
    finished
        .stderr_text()
        .lines()
        .filter_map(|line| line.strip_prefix("< "))
        .map(str::to_owned)
        .collect()
}

/// Asserts that one of `finished`'s replies is `reply`.
#[track_caller]
pub(crate) fn assert_reply(finished: &Finished, reply: &str) {
    assert!(
        replies(finished).iter().any(|r| r == reply),
        "no {reply:?} in\n{}",
        finished.report()
    );
}

/// The sorted names of a `--list-only` listing of `path` as `user`, after
/// the quoted commands `before`.
pub(crate) fn names_as(server: &Server, user: &str, before: &[&str], path: &str) -> Vec<String> {
    let mut args = Vec::new();
    for command in before {
        args.extend(["-Q", command]);
    }
    let url = format!("{}{path}", server.url());
    args.extend(["--list-only", url.as_str()]);
    let listing = curl_as(user, &args);
    assert_success(&listing, server);
    let mut names: Vec<String> = listing.stdout_text().lines().map(str::to_owned).collect();
    names.sort();
    names
}
