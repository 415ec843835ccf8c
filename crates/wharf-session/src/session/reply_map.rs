//! Storage errors and transfer outcomes to FTP replies, in one place: the
//! data layer returns typed results and knows no reply codes.
//!
//! | kind | reply |
//! |---|---|
//! | NotFound, PermissionDenied, AlreadyExists, NotADirectory, IsADirectory, DirectoryNotEmpty | 550 |
//! | CrossesMount (a rename between two mounts of a `MountFs`) | 553 |
//! | InvalidName | 553 |
//! | QuotaExceeded | 552 |
//! | InvalidOffset | 554 (RFC 1123: invalid REST parameter) |
//! | Unsupported | 504 |
//! | Transient | 451 (busy after the back-end's retries: try again; 421/451 as the storage issue asks, and what a transfer cut by it gets) |
//! | Other | 451 |
//!
//! A transfer ends in `226`, or `425` (no data connection), `426` (broken,
//! stalled, too slow), `451`/`552` (quota, by direction), `451` (a `LIST
//! -R` past its depth or entry limit: RFC 959 allows LIST no `5xx` after
//! the `150`), or the storage error's reply above (`451` mid-transfer
//! unless it is `552`-`554`).

use wharf_proto::{Reply, ReplyCode};
use wharf_vfs::{VPath, VfsError, VfsErrorKind};

use crate::data::outcome::TransferError;
use crate::quota::Direction;

/// The reply for a storage error on `path`.
pub(crate) fn reply_for(error: &VfsError, path: &VPath) -> Reply {
    use VfsErrorKind as K;
    let (code, what) = match error.kind() {
        K::NotFound => (550, "No such file or directory"),
        K::PermissionDenied => (550, "Permission denied"),
        K::AlreadyExists => (550, "File exists"),
        K::NotADirectory => (550, "Not a directory"),
        K::IsADirectory => (550, "Is a directory"),
        K::DirectoryNotEmpty => (550, "Directory not empty"),
        K::InvalidName => (553, "File name not allowed"),
        // RFC 959 gives RNTO 553 "file name not allowed": the name is on
        // another mount, where no rename can put it.
        K::CrossesMount => (
            553,
            "Cannot rename across mounts; download and upload it instead",
        ),
        K::QuotaExceeded => (552, "Storage quota exceeded"),
        K::InvalidOffset => (554, "Invalid REST offset"),
        K::Unsupported => (504, "Not supported by this storage"),
        K::Transient => (451, "Storage busy, try again"),
        _ => (451, "Local error in processing"),
    };
    let code = ReplyCode::new(code).unwrap_or(ReplyCode::LOCAL_ERROR);
    match error.reason() {
        // The back-end's own words, e.g. the permission a credential lacks.
        Some(reason) => Reply::new(code, &format!("{}: {what}: {reason}.", shown(path))),
        None => Reply::new(code, &format!("{}: {what}.", shown(path))),
    }
}

/// An error message as a reply sentence: capital first letter, final
/// period.
pub(crate) fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).chain(['.']).collect(),
        None => String::new(),
    }
}

/// Paths quoted in replies, cut to a readable length: a client that sends
/// a path of thousands of bytes gets its error, not the path back.
pub(crate) fn shown(path: &VPath) -> String {
    const MAX: usize = 200;
    let text = path.to_string_lossy();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.into_owned(),
    }
}

/// The final reply of a transfer.
pub(crate) fn final_reply(result: &Result<u64, TransferError>, path: &VPath) -> Reply {
    match result {
        Ok(bytes) => Reply::new(
            ReplyCode::CLOSING_DATA_CONNECTION,
            &format!("Transfer complete, {bytes} bytes."),
        ),
        Err(TransferError::Connect(e)) => Reply::new(
            ReplyCode::CANT_OPEN_DATA_CONNECTION,
            &format!("Cannot open data connection: {e}."),
        ),
        Err(TransferError::Broken(e)) => Reply::new(
            ReplyCode::CONNECTION_CLOSED,
            &format!("Data connection broken, transfer aborted: {e}."),
        ),
        Err(TransferError::Quota(e, direction)) => {
            Reply::new(quota_code(*direction), &format!("Transfer stopped: {e}."))
        }
        Err(TransferError::Stalled) => Reply::new(
            ReplyCode::CONNECTION_CLOSED,
            "Data connection stalled, transfer aborted.",
        ),
        Err(TransferError::StorageStalled(limit)) => Reply::new(
            ReplyCode::LOCAL_ERROR,
            &format!(
                "{}: the storage did not answer within {} s, transfer aborted.",
                shown(path),
                limit.as_secs()
            ),
        ),
        Err(TransferError::TooSlow(why)) => Reply::new(
            ReplyCode::CONNECTION_CLOSED,
            &format!("Data connection too slow ({why}), transfer aborted."),
        ),
        Err(TransferError::ListLimit(limit)) => Reply::new(
            ReplyCode::LOCAL_ERROR,
            &format!(
                "{}: listing stopped, incomplete: {limit}; list a smaller part of the tree.",
                shown(path)
            ),
        ),
        Err(TransferError::Storage(e)) => {
            let reply = reply_for(e, path);
            // A storage failure mid-transfer is "local error" unless it is
            // the quota (552) or a name problem (553).
            match reply.code().get() {
                552..=554 => reply,
                _ => {
                    let reason = e.reason().map(|r| format!(": {r}")).unwrap_or_default();
                    Reply::new(
                        ReplyCode::LOCAL_ERROR,
                        &format!("{}: transfer failed: {e}{reason}.", shown(path)),
                    )
                }
            }
        }
    }
}

/// The reply code of a quota refusal: RFC 959 gives RETR `451` (local
/// error) and the storing commands `552` (storage allocation exceeded).
pub(crate) fn quota_code(direction: Direction) -> ReplyCode {
    match direction {
        Direction::Download => ReplyCode::LOCAL_ERROR,
        Direction::Upload => ReplyCode::EXCEEDED_STORAGE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_codes() {
        let path = VPath::parse("/a").unwrap();
        let code = |kind| reply_for(&VfsError::new(kind), &path).code().get();
        assert_eq!(code(VfsErrorKind::NotFound), 550);
        assert_eq!(code(VfsErrorKind::InvalidName), 553);
        assert_eq!(code(VfsErrorKind::QuotaExceeded), 552);
        assert_eq!(code(VfsErrorKind::Transient), 451);
        assert_eq!(code(VfsErrorKind::Unsupported), 504);
        assert_eq!(code(VfsErrorKind::Other), 451);
        assert_eq!(code(VfsErrorKind::InvalidOffset), 554);
        assert_eq!(code(VfsErrorKind::CrossesMount), 553);
        let reply = reply_for(&VfsError::new(VfsErrorKind::NotFound), &path);
        assert_eq!(reply.to_bytes(), b"550 /a: No such file or directory.\r\n");
    }

    #[test]
    fn a_reason_follows_the_kind() {
        let path = VPath::parse("/f").unwrap();
        let error = VfsError::new(VfsErrorKind::PermissionDenied)
            .with_reason("the SAS token lacks write (w) permission");
        assert_eq!(
            reply_for(&error, &path).to_bytes(),
            b"550 /f: Permission denied: the SAS token lacks write (w) permission.\r\n"
        );
    }

    #[test]
    fn long_paths_are_cut_in_replies() {
        let path = VPath::parse("x".repeat(5000)).unwrap();
        let reply = reply_for(&VfsError::new(VfsErrorKind::InvalidName), &path);
        assert!(reply.to_bytes().len() < 260, "{}", reply.to_bytes().len());
        assert!(shown(&path).ends_with("..."));
    }
}
