//! Storage errors to FTP replies, in one place.
//!
//! | kind | reply |
//! |---|---|
//! | NotFound, PermissionDenied, AlreadyExists, NotADirectory, IsADirectory, DirectoryNotEmpty | 550 |
//! | InvalidName | 553 |
//! | QuotaExceeded | 552 |
//! | InvalidOffset | 554 (RFC 1123: invalid REST parameter) |
//! | Unsupported | 504 |
//! | Transient | 450 (busy: try again) |
//! | Other | 451 |

use wharf_proto::{Reply, ReplyCode};
use wharf_vfs::{VPath, VfsError, VfsErrorKind};

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
        K::QuotaExceeded => (552, "Storage quota exceeded"),
        K::InvalidOffset => (554, "Invalid REST offset"),
        K::Unsupported => (504, "Not supported by this storage"),
        K::Transient => (450, "Storage busy, try again"),
        _ => (451, "Local error in processing"),
    };
    let code = ReplyCode::new(code).unwrap_or(ReplyCode::LOCAL_ERROR);
    Reply::new(code, &format!("{}: {what}.", shown(path)))
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
        assert_eq!(code(VfsErrorKind::Transient), 450);
        assert_eq!(code(VfsErrorKind::Unsupported), 504);
        assert_eq!(code(VfsErrorKind::Other), 451);
        assert_eq!(code(VfsErrorKind::InvalidOffset), 554);
        let reply = reply_for(&VfsError::new(VfsErrorKind::NotFound), &path);
        assert_eq!(reply.to_bytes(), b"550 /a: No such file or directory.\r\n");
    }

    #[test]
    fn long_paths_are_cut_in_replies() {
        let path = VPath::parse("x".repeat(5000)).unwrap();
        let reply = reply_for(&VfsError::new(VfsErrorKind::InvalidName), &path);
        assert!(reply.to_bytes().len() < 260, "{}", reply.to_bytes().len());
        assert!(shown(&path).ends_with("..."));
    }
}
