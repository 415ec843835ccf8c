//! Directory listings written to the data connection: LIST, NLST, MLSD.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::BytesMut;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use wharf_proto::listing::{
    EntryKind, FactSet, ListingEntry, Perms, format_list_line, format_mlsx_line, format_nlst_line,
};
use wharf_proto::timestamp::Timestamp;
use wharf_vfs::{DirEntry, FileKind, Metadata, VPath, Vfs, VfsError, next_entry};

/// How to write each entry.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ListFormat {
    /// LIST: `ls -l` lines; `all` shows dot files.
    Long { all: bool },
    /// NLST: names only.
    Names { all: bool },
    /// MLSD: fact lines.
    Facts { facts: FactSet, writable: bool },
}

/// A listing to produce.
pub(crate) struct Listing {
    pub(crate) vfs: Arc<dyn Vfs>,
    pub(crate) path: VPath,
    /// The metadata of `path`: a directory is listed, a file is its own
    /// one-line listing.
    pub(crate) target: Metadata,
    pub(crate) format: ListFormat,
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

/// Formats one entry into `out` (with CRLF); entries whose names cannot be
/// listed, and hidden ones when not asked for, are skipped.
pub(crate) fn format_entry(
    name: &[u8],
    meta: &Metadata,
    format: ListFormat,
    now: Timestamp,
    out: &mut Vec<u8>,
) {
    let hidden = name.first() == Some(&b'.');
    let kind = entry_kind(meta.kind);
    let unique = meta.unique_id.as_deref();
    let entry = ListingEntry {
        size: meta.size,
        modified: meta.modified.map(Timestamp::saturating_from),
        mode: meta.mode,
        unique,
        ..ListingEntry::new(name, kind)
    };
    let start = out.len();
    let written = match format {
        ListFormat::Long { all } if all || !hidden => format_list_line(&entry, now, out).is_ok(),
        ListFormat::Names { all } if all || !hidden => format_nlst_line(name, out).is_ok(),
        ListFormat::Facts { facts, writable } => {
            let entry = ListingEntry {
                perms: Perms::for_kind(kind, writable),
                ..entry
            };
            format_mlsx_line(&entry, facts, out).is_ok()
        }
        _ => false,
    };
    if written {
        out.extend_from_slice(b"\r\n");
    } else {
        out.truncate(start);
    }
}

impl Listing {
    /// Writes the listing (as MODE B blocks when `block`, ending with the
    /// EOF block); returns the listing's bytes.
    pub(crate) async fn write_to<W: AsyncWrite + Unpin>(
        &self,
        dst: &mut W,
        block: bool,
    ) -> Result<u64, ListError> {
        let now = Timestamp::saturating_from(SystemTime::now());
        let mut out = Vec::with_capacity(FLUSH_AT + 512);
        let mut total = 0u64;
        if !self.target.is_dir() {
            let name = self.path.file_name().unwrap_or(b"/");
            format_entry(name, &self.target, self.format, now, &mut out);
        } else {
            let mut entries = self
                .vfs
                .list(&self.path)
                .await
                .map_err(ListError::Storage)?;
            while let Some(entry) = next_entry(&mut entries).await {
                let DirEntry { name, metadata, .. } = entry.map_err(ListError::Storage)?;
                format_entry(&name, &metadata, self.format, now, &mut out);
                if out.len() >= FLUSH_AT {
                    total += write_chunk(dst, &out, block).await?;
                    out.clear();
                }
            }
        }
        total += write_chunk(dst, &out, block).await?;
        if block {
            let mut eof = BytesMut::new();
            wharf_proto::block::encode_eof(&mut eof);
            dst.write_all(&eof).await.map_err(ListError::Data)?;
        }
        Ok(total)
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
}
