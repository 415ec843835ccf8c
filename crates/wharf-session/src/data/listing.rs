//! Directory listings written to the data connection: LIST, NLST, MLSD.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::BytesMut;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use wharf_proto::listing::{
    EntryKind, FactSet, ListingEntry, Perms, Principal, format_list_line, format_mlsx_line,
    format_nlst_line,
};
use wharf_proto::timestamp::Timestamp;
use wharf_vfs::{DirEntry, FileKind, Metadata, VPath, Vfs, VfsError, next_entry};

use crate::permissions::{PathRules, Permission, Permissions};

/// How to write each entry.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ListFormat {
    /// LIST: `ls -l` lines; `all` shows dot files.
    Long { all: bool },
    /// NLST: names only.
    Names { all: bool },
    /// MLSD: fact lines, whose `perm` fact says what the login's
    /// permissions allow on each entry.
    Facts { facts: FactSet },
}

/// What a listing shows.
pub(crate) enum Listed {
    /// A directory's contents; `shown` is the directory as the client
    /// wrote it (`.` for the working directory), the first header of `-R`.
    Dir { path: VPath, shown: Vec<u8> },
    /// Entries found before the `150`: a file, a directory itself (`-d`),
    /// the matches of a wildcard.
    Chosen(Chosen),
}

/// Entries of one directory, chosen up front.
pub(crate) struct Chosen {
    /// The directory that holds them, where `-R` goes down from.
    pub(crate) parent: VPath,
    /// The directory as the client wrote it, empty or ending in `/`: put
    /// before each NLST name (`NLST dir/*.txt` gives `dir/a.txt`, as vsftpd
    /// writes it; LIST's long lines keep the bare name) and before each
    /// `-R` header.
    pub(crate) prefix: Vec<u8>,
    pub(crate) entries: Vec<DirEntry>,
}

/// How far `-R` may go; past either bound the listing stops with
/// [`ListError::Limit`], never a shorter listing that looks complete.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TreeLimits {
    /// Levels of subdirectories below the listed one.
    pub(crate) depth: usize,
    /// Entries read, over every directory of the listing.
    pub(crate) entries: usize,
}

/// The bound a recursive listing ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ListLimit {
    #[error("the tree is deeper than {0} levels, the server's recursive listing depth limit")]
    Depth(usize),
    #[error("the tree holds more than {0} entries, the server's recursive listing limit")]
    Entries(usize),
}

/// A listing to produce.
pub(crate) struct Listing {
    pub(crate) vfs: Arc<dyn Vfs>,
    pub(crate) listed: Listed,
    pub(crate) format: ListFormat,
    /// `-R`: each subdirectory too, after a blank line and a `dir:` header.
    pub(crate) recursive: Option<TreeLimits>,
    /// The login's permissions: MLSD's `perm` facts, and `-R` goes into no
    /// subdirectory the login may not list.
    pub(crate) rules: PathRules,
}

/// Flush to the socket past this many buffered bytes.
const FLUSH_AT: usize = 64 * 1024;

pub(crate) fn entry_kind(kind: FileKind) -> EntryKind {
    match kind {
        FileKind::Dir => EntryKind::Dir,
        FileKind::Symlink => EntryKind::Symlink,
        _ => EntryKind::File,
    }
}

impl ListFormat {
    /// The same format with dot files shown: for `-d` (the client named
    /// the entry) and for a pattern that starts with `.` (as vsftpd does).
    pub(crate) fn showing_all(self) -> Self {
        match self {
            Self::Long { .. } => Self::Long { all: true },
            Self::Names { .. } => Self::Names { all: true },
            facts @ Self::Facts { .. } => facts,
        }
    }

    /// Whether entries named `name` are listed at all.
    pub(crate) fn shows(self, name: &[u8]) -> bool {
        match self {
            Self::Long { all } | Self::Names { all } => all || name.first() != Some(&b'.'),
            Self::Facts { .. } => true,
        }
    }
}

/// The `perm` fact (RFC 3659 7.5.5) of an entry of `kind` where the login
/// holds `allowed`: `e` for any folder; `l` list; `c` upload; `m` mkdir;
/// `p` (delete entries) delete; `r` download; `w` overwrite and `a` upload
/// with overwrite (both change an existing file); `d` delete for a file,
/// rmdir for a folder; `f` rename.
pub(crate) fn mlsx_perms(kind: EntryKind, allowed: Permissions) -> Perms {
    let mut perms = Perms::NONE;
    let mut grant = |yes: bool, perm: Perms| {
        if yes {
            perms = perms.union(perm);
        }
    };
    let has = |p| allowed.contains(p);
    if kind == EntryKind::Dir {
        grant(true, Perms::ENTER);
        grant(has(Permission::List), Perms::LIST);
        grant(has(Permission::Upload), Perms::CREATE);
        grant(has(Permission::Rmdir), Perms::DELETE);
        grant(has(Permission::Rename), Perms::RENAME);
        grant(has(Permission::Mkdir), Perms::MKDIR);
        grant(has(Permission::Delete), Perms::PURGE);
    } else {
        grant(has(Permission::Download), Perms::READ);
        let overwrite = has(Permission::Upload) && has(Permission::Overwrite);
        grant(overwrite, Perms::APPEND);
        grant(has(Permission::Delete), Perms::DELETE);
        grant(has(Permission::Rename), Perms::RENAME);
        grant(overwrite, Perms::WRITE);
    }
    perms
}

/// Formats one entry into `out` (with CRLF); entries whose names cannot be
/// listed, and hidden ones when not asked for, are skipped. Says whether
/// the entry was written. `allowed` is what the login may do on the entry
/// (MLSD's `perm` fact).
pub(crate) fn format_entry(
    name: &[u8],
    meta: &Metadata,
    format: ListFormat,
    allowed: Permissions,
    now: Timestamp,
    out: &mut Vec<u8>,
) -> bool {
    let kind = entry_kind(meta.kind);
    let entry = listing_entry(name, meta);
    let start = out.len();
    let written = match format {
        _ if !format.shows(name) => false,
        ListFormat::Long { .. } => format_list_line(&entry, now, out).is_ok(),
        ListFormat::Names { .. } => format_nlst_line(name, out).is_ok(),
        ListFormat::Facts { facts } => {
            let entry = ListingEntry {
                perms: mlsx_perms(kind, allowed),
                ..entry
            };
            format_mlsx_line(&entry, facts, out).is_ok()
        }
    };
    if written {
        out.extend_from_slice(b"\r\n");
    } else {
        out.truncate(start);
    }
    written
}

/// What the storage knows of `name`, as a listing line shows it (the
/// `perm` fact and the role are the caller's).
pub(crate) fn listing_entry<'a>(name: &'a [u8], meta: &'a Metadata) -> ListingEntry<'a> {
    ListingEntry {
        size: meta.size,
        modified: meta.modified.map(Timestamp::saturating_from),
        mode: meta.mode,
        unique: meta.unique_id.as_deref(),
        owner: meta.owner.map(|(uid, _)| Principal::Id(uid)),
        group: meta.owner.map(|(_, gid)| Principal::Id(gid)),
        ..ListingEntry::new(name, entry_kind(meta.kind))
    }
}

/// A directory `-R` has still to list.
struct Pending {
    path: VPath,
    /// Its header, as the client would write its path.
    shown: Vec<u8>,
    depth: usize,
}

/// The listing's bytes on their way to the data connection.
struct Sink<'a, W> {
    dst: &'a mut W,
    block: bool,
    out: Vec<u8>,
    total: u64,
}

impl<W: AsyncWrite + Unpin> Sink<'_, W> {
    async fn flush_if_full(&mut self) -> Result<(), ListError> {
        if self.out.len() >= FLUSH_AT {
            self.total += write_chunk(self.dst, &self.out, self.block).await?;
            self.out.clear();
        }
        Ok(())
    }

    /// Writes what is left (and MODE B's EOF block); the listing's bytes.
    async fn finish(mut self) -> Result<u64, ListError> {
        self.total += write_chunk(self.dst, &self.out, self.block).await?;
        if self.block {
            let mut eof = BytesMut::new();
            wharf_proto::block::encode_eof(&mut eof);
            self.dst.write_all(&eof).await.map_err(ListError::Data)?;
        }
        Ok(self.total)
    }
}

impl Listing {
    /// Writes the listing (as MODE B blocks when `block`, ending with the
    /// EOF block); returns the listing's bytes.
    ///
    /// `-R` writes the `ls -lR` layout as vsftpd does: a `dir:` header
    /// first, the directory's entries, then for each subdirectory, depth
    /// first in listing order, a blank line, its `dir/sub:` header and its
    /// entries. Only directories that were listed (shown, listable names)
    /// and that the login may list are gone into; symbolic links are not
    /// followed.
    pub(crate) async fn write_to<W: AsyncWrite + Unpin>(
        &self,
        dst: &mut W,
        block: bool,
    ) -> Result<u64, ListError> {
        let now = Timestamp::saturating_from(SystemTime::now());
        let mut sink = Sink {
            dst,
            block,
            out: Vec::with_capacity(FLUSH_AT + 512),
            total: 0,
        };
        let mut pending = Vec::new();
        let mut read = 0usize;
        match &self.listed {
            Listed::Dir { path, shown } => {
                let top = Pending {
                    path: path.clone(),
                    shown: shown.clone(),
                    depth: 0,
                };
                if self.recursive.is_some() {
                    sink.out.extend_from_slice(shown);
                    sink.out.extend_from_slice(b":\r\n");
                }
                self.list_dir(&top, now, &mut sink, &mut pending, &mut read)
                    .await?;
            }
            Listed::Chosen(chosen) => {
                let mut subdirs = Vec::new();
                let mut shown = Vec::new();
                for entry in &chosen.entries {
                    // Hidden or not by the entry's own name, whatever the
                    // prefix.
                    if !self.format.shows(&entry.name) {
                        continue;
                    }
                    let format = self.format.showing_all();
                    let name = match self.format {
                        ListFormat::Names { .. } => {
                            shown.clear();
                            shown.extend_from_slice(&chosen.prefix);
                            shown.extend_from_slice(&entry.name);
                            &shown
                        }
                        _ => &entry.name,
                    };
                    let allowed = self.rules.at_entry(&chosen.parent, &entry.name);
                    if format_entry(name, &entry.metadata, format, allowed, now, &mut sink.out)
                        && entry.metadata.is_dir()
                        && allowed.contains(Permission::List)
                    {
                        subdirs.push(&entry.name);
                    }
                    sink.flush_if_full().await?;
                }
                if let Some(limits) = self.recursive {
                    for name in subdirs.into_iter().rev() {
                        pending.push(Pending {
                            path: chosen.parent.join(name).map_err(|e| {
                                ListError::Storage(VfsError::from(e).with_path(&chosen.parent))
                            })?,
                            shown: [&chosen.prefix[..], name].concat(),
                            depth: 1,
                        });
                    }
                    if !pending.is_empty() && limits.depth == 0 {
                        return Err(ListError::Limit(ListLimit::Depth(0)));
                    }
                }
            }
        }
        while let Some(dir) = pending.pop() {
            sink.out.extend_from_slice(b"\r\n");
            sink.out.extend_from_slice(&dir.shown);
            sink.out.extend_from_slice(b":\r\n");
            self.list_dir(&dir, now, &mut sink, &mut pending, &mut read)
                .await?;
        }
        sink.finish().await
    }

    /// Lists one directory; under `-R`, puts its subdirectories on
    /// `pending` (first one on top) and counts entries in `read`.
    async fn list_dir<W: AsyncWrite + Unpin>(
        &self,
        dir: &Pending,
        now: Timestamp,
        sink: &mut Sink<'_, W>,
        pending: &mut Vec<Pending>,
        read: &mut usize,
    ) -> Result<(), ListError> {
        let mut entries = self.vfs.list(&dir.path).await.map_err(ListError::Storage)?;
        let mut subdirs = Vec::new();
        while let Some(entry) = next_entry(&mut entries).await {
            let DirEntry { name, metadata, .. } = entry.map_err(ListError::Storage)?;
            let allowed = self.rules.at_entry(&dir.path, &name);
            let written = format_entry(&name, &metadata, self.format, allowed, now, &mut sink.out);
            if let Some(limits) = self.recursive {
                *read += 1;
                if *read > limits.entries {
                    return Err(ListError::Limit(ListLimit::Entries(limits.entries)));
                }
                if written && metadata.is_dir() && allowed.contains(Permission::List) {
                    subdirs.push(name);
                }
            }
            sink.flush_if_full().await?;
        }
        let Some(limits) = self.recursive else {
            return Ok(());
        };
        if !subdirs.is_empty() && dir.depth >= limits.depth {
            return Err(ListError::Limit(ListLimit::Depth(limits.depth)));
        }
        for name in subdirs.into_iter().rev() {
            let path = dir
                .path
                .join(&name)
                .map_err(|e| ListError::Storage(VfsError::from(e).with_path(&dir.path)))?;
            let mut shown = dir.shown.clone();
            if shown.last() != Some(&b'/') {
                shown.push(b'/');
            }
            shown.extend_from_slice(&name);
            pending.push(Pending {
                path,
                shown,
                depth: dir.depth + 1,
            });
        }
        Ok(())
    }
}

/// Writes `chunk`, framed as MODE B data blocks when `block`.
async fn write_chunk<W: AsyncWrite + Unpin>(
    dst: &mut W,
    chunk: &[u8],
    block: bool,
) -> Result<u64, ListError> {
    if block {
        let mut framed = BytesMut::with_capacity(chunk.len() + 16);
        wharf_proto::block::encode_data(chunk, &mut framed);
        dst.write_all(&framed).await.map_err(ListError::Data)?;
    } else {
        dst.write_all(chunk).await.map_err(ListError::Data)?;
    }
    Ok(chunk.len() as u64)
}

/// A listing failed on either side.
#[derive(Debug)]
pub(crate) enum ListError {
    Storage(VfsError),
    Data(std::io::Error),
    /// `-R` ran into a bound.
    Limit(ListLimit),
}
