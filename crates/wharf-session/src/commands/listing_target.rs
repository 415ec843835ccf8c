//! What the path of a LIST or NLST names: a directory, a file, a
//! directory itself (`-d`), or the entries a wildcard matches.
//!
//! The path is first taken as written: when it exists it is listed as a
//! name, so a file called `report*.txt` is still reachable by its exact
//! path. Only when it does not, and only its last component holds `*`, `?`
//! or `[` (`glob.rs` has the grammar), is that component a pattern: the
//! directory before it is listed through the `Vfs` (so every back-end
//! takes wildcards) and its names are matched, as vsftpd and ProFTPD
//! expand them. A wildcard in an earlier component is an ordinary name.
//!
//! - Dot files match only with `-a`, or when the pattern itself starts
//!   with `.` (vsftpd's rule, which then shows them in the whole listing).
//! - Matches are listed sorted by name, bytewise; a directory that matches
//!   is listed as one entry, not opened (vsftpd's filter, not `ls`'s
//!   expansion).
//! - At most `Options::max_wildcard_scan` entries of the directory are
//!   read: a bigger one gets `550` naming the limit, never a partial set
//!   of matches.
//! - A pattern that matches nothing gets `550` for LIST and NLST alike.

use std::sync::Arc;

use wharf_proto::list_args::ListArgs;
use wharf_proto::text::Pathname;
use wharf_proto::{Reply, ReplyCode};
use wharf_vfs::{DirEntry, VPath, Vfs, VfsErrorKind, next_entry};

use super::glob;
use crate::data::listing::{Chosen, ListFormat, Listed};
use crate::permissions::Permission;
use crate::session::Session;
use crate::session::reply_map::{reply_for, shown};

/// What to list, how, and the path that names it in replies.
pub(super) struct Target {
    pub(super) listed: Listed,
    /// The format asked for, showing dot files where the target asks to.
    pub(super) format: ListFormat,
    pub(super) path: VPath,
}

impl Session {
    /// Reads the path of `args` (see the module docs).
    pub(super) async fn listing_target(
        &self,
        vfs: &Arc<dyn Vfs>,
        args: &ListArgs,
        format: ListFormat,
    ) -> Result<Target, Reply> {
        let path = self.state.resolve_or_cwd(args.path.as_ref())?;
        self.state.permitted(&path, Permission::List)?;
        let written = args.path.as_ref().map(Pathname::as_bytes);
        let meta = match vfs.metadata(&path).await {
            Ok(meta) => meta,
            Err(e) if matches!(e.kind(), VfsErrorKind::NotFound | VfsErrorKind::InvalidName) => {
                return match written {
                    Some(written) => self.expand(vfs, written, format, path.clone()).await?,
                    None => None,
                }
                .ok_or_else(|| reply_for(&e, &path));
            }
            Err(e) => return Err(reply_for(&e, &path)),
        };
        let (listed, format) = if args.options.directory {
            // `ls -ld dir`: the entry itself, under the name the client
            // gave it (`.` for none), dot or not.
            let name = written.unwrap_or(b".");
            let chosen = Chosen {
                parent: path.parent().unwrap_or_else(VPath::root),
                prefix: Vec::new(),
                entries: vec![DirEntry::new(name, meta)],
            };
            (Listed::Chosen(chosen), format.showing_all())
        } else if meta.is_dir() {
            let shown = written.unwrap_or(b".").to_vec();
            let listed = Listed::Dir {
                path: path.clone(),
                shown,
            };
            (listed, format)
        } else {
            // A file is its own one-line listing.
            let name = path.file_name().unwrap_or(b"/");
            let chosen = Chosen {
                parent: path.parent().unwrap_or_else(VPath::root),
                prefix: Vec::new(),
                entries: vec![DirEntry::new(name, meta)],
            };
            (Listed::Chosen(chosen), format)
        };
        Ok(Target {
            listed,
            format,
            path,
        })
    }

    /// The matches of a wildcard in the last component of `written`;
    /// `None` when that component is no pattern.
    async fn expand(
        &self,
        vfs: &Arc<dyn Vfs>,
        written: &[u8],
        format: ListFormat,
        path: VPath,
    ) -> Result<Option<Target>, Reply> {
        let (prefix, pattern) = match written.iter().rposition(|&b| b == b'/') {
            Some(slash) => written.split_at(slash + 1),
            None => (&b""[..], written),
        };
        if !glob::is_pattern(pattern) {
            return Ok(None);
        }
        let parent = match Pathname::new(prefix) {
            Ok(dir) if !prefix.is_empty() => self.state.resolve(&dir)?,
            _ => self.state.resolve_or_cwd(None)?,
        };
        let format = if pattern.first() == Some(&b'.') {
            format.showing_all()
        } else {
            format
        };
        self.state.permitted(&parent, Permission::List)?;
        let limit = self.ctx.options.max_wildcard_scan;
        let mut stream = vfs.list(&parent).await.map_err(|e| reply_for(&e, &path))?;
        let (mut read, mut entries) = (0usize, Vec::new());
        while let Some(entry) = next_entry(&mut stream).await {
            let entry = entry.map_err(|e| reply_for(&e, &path))?;
            read += 1;
            if read > limit {
                return Err(Reply::new(
                    ReplyCode::FILE_UNAVAILABLE,
                    &format!(
                        "{}: the directory holds more than {limit} entries, the server's \
                         wildcard limit; name the files, or list the directory.",
                        shown(&path)
                    ),
                ));
            }
            if format.shows(&entry.name) && glob::matches(pattern, &entry.name) {
                entries.push(entry);
            }
        }
        if entries.is_empty() {
            return Err(Reply::new(
                ReplyCode::FILE_UNAVAILABLE,
                &format!("{}: No files found.", shown(&path)),
            ));
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let chosen = Chosen {
            parent,
            prefix: prefix.to_vec(),
            entries,
        };
        Ok(Some(Target {
            listed: Listed::Chosen(chosen),
            format,
            path,
        }))
    }
}
