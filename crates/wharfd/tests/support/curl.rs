//! curl for the end-to-end suites: checking that it succeeded and which
//! commands it really sent (its verbose log), so that a silent fallback
//! (PASV for EPSV, clear for PROT P) cannot pass a test.

use super::{Finished, Server};

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
