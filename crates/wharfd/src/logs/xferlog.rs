//! The transfer log in the xferlog format that wu-ftpd introduced and
//! vsftpd (`xferlog_std_format`) and ProFTPD (`TransferLog`) write, so that
//! the tools that read theirs read wharfd's. `man 5 xferlog` gives the
//! fields, separated by single spaces:
//!
//! ```text
//! current-time transfer-time remote-host file-size filename transfer-type
//! special-action-flag direction access-mode username service-name
//! authentication-method authenticated-user-id completion-status
//! ```
//!
//! - current-time: local time as `ctime(3)` prints it, `Sun Dec  6 05:18:15 2026`
//!   (five space-separated words).
//! - transfer-time: whole seconds, at least 1 as the peers write it.
//! - remote-host: the client's IP address (a PROXY header's, when one named it).
//! - file-size: the bytes moved.
//! - filename: the path in the user's view. A field holds no spaces, so
//!   spaces and control characters become `_`, as ProFTPD writes them.
//! - transfer-type: `a` (TYPE A) or `b` (TYPE I).
//! - special-action-flag: `_` (wharfd neither compresses nor tars).
//! - direction: `o` (download) or `i` (upload).
//! - access-mode: `a` (anonymous) or `r` (an account).
//! - username: the login name.
//! - service-name: `ftp`.
//! - authentication-method: `0` (none: no RFC 931 ident).
//! - authenticated-user-id: `*` (none).
//! - completion-status: `c` (complete) or `i` (incomplete: failed or aborted).
//!
//! Listings are not file transfers: the format has no line for them.

use chrono::{DateTime, TimeZone};
use wharf_session::observe::{SessionInfo, TransferKind, TransferRecord, TransferStatus};

/// The line for `transfer` at `now`, or `None` for a listing.
pub(crate) fn line<Tz: TimeZone>(
    now: &DateTime<Tz>,
    session: &SessionInfo<'_>,
    transfer: &TransferRecord<'_>,
) -> Option<String>
where
    Tz::Offset: std::fmt::Display,
{
    let direction = match transfer.kind {
        TransferKind::Download => 'o',
        TransferKind::Upload => 'i',
        _ => return None,
    };
    let seconds = transfer.elapsed.as_secs_f64().round().max(1.0);
    let name = field(&transfer.path.to_string());
    let user = field(session.user.unwrap_or("-"));
    Some(format!(
        "{} {seconds} {} {} {name} {} _ {direction} {} {user} ftp 0 * {}",
        now.format("%a %b %e %H:%M:%S %Y"),
        session.peer.ip().to_canonical(),
        transfer.bytes,
        if transfer.ascii { 'a' } else { 'b' },
        if session.anonymous { 'a' } else { 'r' },
        if transfer.status == TransferStatus::Complete {
            'c'
        } else {
            'i'
        },
    ))
}

/// One whitespace-free field.
fn field(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if text.is_empty() {
        "_".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn names_lose_their_spaces_and_controls() {
        assert_eq!(field("/a b/c\td\u{7f}"), "/a_b/c_d_");
        assert_eq!(field(""), "_");
    }

    #[test]
    fn the_time_has_ctime_s_five_words() {
        let at = Utc.with_ymd_and_hms(2026, 12, 6, 5, 8, 9).unwrap();
        assert_eq!(
            at.format("%a %b %e %H:%M:%S %Y").to_string(),
            "Sun Dec  6 05:08:09 2026"
        );
    }
}
