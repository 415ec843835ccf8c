//! Directory listing formats: `ls -l` lines for LIST, bare names for NLST,
//! and RFC 3659 fact lines for MLSD and MLST.
//!
//! Formatting is sans-IO: each function appends one line, without its
//! `<CRLF>`, to a buffer, from a [`ListingEntry`] that the caller fills from
//! its storage. Names carry any byte but CR and LF; a name holding either
//! cannot be listed on a line-based channel and is refused with
//! [`NameNotListable`], so the caller can skip it instead of corrupting the
//! listing.

mod list_line;
mod mlsx;

pub use list_line::{format_list_line, format_nlst_line};
pub use mlsx::{FactSet, Perms, format_mlsx_line};

use crate::timestamp::Timestamp;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
}

/// The role of a directory entry in an MLSD listing (RFC 3659 7.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DirRole {
    /// An ordinary entry.
    #[default]
    Entry,
    /// `cdir`: the directory being listed.
    Current,
    /// `pdir`: its parent.
    Parent,
}

/// One entry to format.
#[derive(Debug, Clone, Copy)]
pub struct ListingEntry<'a> {
    /// The name to show: a file name, or a path for MLST.
    pub name: &'a [u8],
    /// File, directory or link.
    pub kind: EntryKind,
    /// For `cdir`/`pdir` entries of MLSD.
    pub role: DirRole,
    /// Size in bytes.
    pub size: u64,
    /// Last modification, if known.
    pub modified: Option<Timestamp>,
    /// Unix permission bits (`0o7777` at most), if known.
    pub mode: Option<u32>,
    /// Hard links; 1 when the storage has no such notion.
    pub links: u64,
    /// Owner to show, where known: LIST shows `ftp` for an unknown one,
    /// MLSx leaves `UNIX.owner` out.
    pub owner: Option<Principal<'a>>,
    /// Group to show, where known, as `owner`.
    pub group: Option<Principal<'a>>,
    /// An identifier unique to the file on this server (MLSx `unique`).
    pub unique: Option<&'a str>,
    /// What the user may do with the entry (MLSx `perm`).
    pub perms: Perms,
    /// Where a symbolic link points, if known.
    pub link_target: Option<&'a [u8]>,
}

impl<'a> ListingEntry<'a> {
    /// An entry with the given name and kind and neutral defaults: size 0,
    /// no time, no mode, one link, no owner or group.
    pub fn new(name: &'a [u8], kind: EntryKind) -> Self {
        Self {
            name,
            kind,
            role: DirRole::Entry,
            size: 0,
            modified: None,
            mode: None,
            links: 1,
            owner: None,
            group: None,
            unique: None,
            perms: Perms::NONE,
            link_target: None,
        }
    }
}

/// An owner or group as a listing shows it: a name, or a numeric id that
/// is written straight into the line (listings of 10,000 entries format
/// 10,000 of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal<'a> {
    /// A user or group name.
    Name(&'a str),
    /// A numeric uid or gid.
    Id(u32),
}

/// A name holds CR or LF and cannot stand on a listing line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("file name holds CR or LF and cannot be listed")]
pub struct NameNotListable;

fn check_name(name: &[u8]) -> Result<(), NameNotListable> {
    if name.iter().any(|&b| b == b'\r' || b == b'\n') {
        Err(NameNotListable)
    } else {
        Ok(())
    }
}
