//! LIST, NLST, MLSD over the data connection; MLST and `STAT <path>` over the
//! control connection (RFC 959 4.1.3, RFC 3659 section 7).

use std::time::SystemTime;

use wharf_proto::list_args::ListArgs;
use wharf_proto::listing::{ListingEntry, format_mlsx_line};
use wharf_proto::text::{Pathname, Text};
use wharf_proto::timestamp::Timestamp;
use wharf_proto::{Reply, ReplyCode};
use wharf_vfs::{VPath, next_entry};

use super::Handled;
use crate::data::listing::{
    ListFormat, Listed, Listing, TreeLimits, entry_kind, format_entry, listing_entry, mlsx_perms,
};
use crate::data::meter::RateLimits;
use crate::data::transfer::{TransferJob, Work};
use crate::permissions::{Permission, Permissions};
use crate::quota::Direction;
use crate::session::reply_map::{reply_for, shown};
use crate::session::{Outcome, Session};

/// Lines of a STAT listing sent over the control connection, at most.
const STAT_MAX_ENTRIES: usize = 10_000;

impl Session {
    /// Starts the data transfer of `listing`; `path` names it in replies.
    fn listing_job(&mut self, listing: Listing, path: VPath) -> Handled {
        // A listing is a download: once the quota is used up it is refused
        // like RETR (its bytes are counted, never cut mid-listing).
        let (quotas, _) = self.quota_for(Direction::Download)?;
        let plan = self.take_data_plan()?;
        let job = TransferJob {
            plan,
            work: Work::List(listing),
            path,
            quotas,
            rate_limits: RateLimits::default(),
            block: self.state.params.block(),
            running: None,
        };
        Ok(Outcome::Transfer(
            Reply::new(
                ReplyCode::FILE_STATUS_OK,
                "Here comes the directory listing.",
            ),
            Box::new(job),
        ))
    }

    /// LIST: `ls -l` lines of a directory's entries, of one file, of a
    /// directory itself (`-d`), of the entries a wildcard in the last
    /// component matches (`LIST *.txt`), or of a whole tree (`-R`). How a
    /// path is read is `listing_target.rs`'s; a pattern that matches
    /// nothing gets `550`, as NLST does (`ls` also fails there), rather
    /// than an empty listing a script could take for an empty directory.
    pub(super) async fn list(&mut self, args: ListArgs) -> Handled {
        let format = ListFormat::Long {
            all: args.options.all,
        };
        self.ls_job(&args, format).await
    }

    /// NLST: names only (or `ls -l` lines with `-l`), read as LIST reads
    /// its path; the matches of a wildcard are written with the directory
    /// as the client wrote it (`NLST dir/*.txt` gives `dir/a.txt`), so that
    /// `mget` can fetch each line as it is.
    pub(super) async fn nlst(&mut self, args: ListArgs) -> Handled {
        let format = if args.options.long {
            ListFormat::Long {
                all: args.options.all,
            }
        } else {
            ListFormat::Names {
                all: args.options.all,
            }
        };
        self.ls_job(&args, format).await
    }

    async fn ls_job(&mut self, args: &ListArgs, format: ListFormat) -> Handled {
        let login = self.state.login()?;
        let (vfs, rules) = (login.vfs.clone(), login.permissions.clone());
        let target = self.listing_target(&vfs, args, format).await?;
        let options = &self.ctx.options;
        // `-d` lists the entry itself, so there is nothing to go down into.
        let recursive = (args.options.recursive && !args.options.directory).then_some(TreeLimits {
            depth: options.max_list_depth,
            entries: options.max_list_entries,
        });
        let listing = Listing {
            vfs,
            listed: target.listed,
            format: target.format,
            recursive,
            rules,
        };
        self.listing_job(listing, target.path)
    }

    /// MLSD: the facts of a directory's entries (RFC 3659 7.2.1: a
    /// directory only, no options, no wildcards).
    pub(super) async fn mlsd(&mut self, path: Option<&Pathname>) -> Handled {
        self.state.login()?;
        let format = ListFormat::Facts {
            facts: self.state.facts,
        };
        let target = self.state.resolve_or_cwd(path)?;
        let login = self.state.permitted(&target, Permission::List)?;
        let (vfs, rules) = (login.vfs.clone(), login.permissions.clone());
        let meta = vfs
            .metadata(&target)
            .await
            .map_err(|e| reply_for(&e, &target))?;
        if !meta.is_dir() {
            return Err(Reply::new(
                ReplyCode::SYNTAX_ERROR_IN_PARAMETERS,
                &format!("{}: Not a directory.", shown(&target)),
            ));
        }
        let listing = Listing {
            vfs,
            listed: Listed::Dir {
                path: target.clone(),
                shown: Vec::new(),
            },
            format,
            recursive: None,
            rules,
        };
        self.listing_job(listing, target)
    }

    /// MLST: the facts of one entry, in a `250` multi-line reply whose
    /// middle line starts with a space (RFC 3659 7.2).
    pub(super) async fn mlst(&mut self, path: Option<&Pathname>) -> Handled {
        self.state.login()?;
        let target = self.state.resolve_or_cwd(path)?;
        let login = self.state.permitted(&target, Permission::List)?;
        let (vfs, allowed) = (login.vfs.clone(), login.permissions.at(&target));
        let meta = vfs
            .metadata(&target)
            .await
            .map_err(|e| reply_for(&e, &target))?;
        let kind = entry_kind(meta.kind);
        let entry = ListingEntry {
            perms: mlsx_perms(kind, allowed),
            ..listing_entry(target.as_bytes(), &meta)
        };
        let mut line = vec![b' '];
        format_mlsx_line(&entry, self.state.facts, &mut line)
            .map_err(|_| Reply::new(ReplyCode::FILE_NAME_NOT_ALLOWED, "Name cannot be listed."))?;
        let lines = [
            Text::try_from(format!("Listing {}", shown(&target)).as_str()).unwrap_or_default(),
            Text::new(line).unwrap_or_default(),
            Text::try_from("End").unwrap_or_default(),
        ];
        Ok(Outcome::Reply(Reply::from_lines(
            ReplyCode::FILE_ACTION_OK,
            lines,
        )))
    }

    /// STAT <path>: an `ls -l` listing over the control connection, `213`.
    pub(super) async fn stat_path(&mut self, path: &Pathname) -> Handled {
        self.state.login()?;
        let target = self.state.resolve(path)?;
        let login = self.state.permitted(&target, Permission::List)?;
        let vfs = login.vfs.clone();
        let meta = vfs
            .metadata(&target)
            .await
            .map_err(|e| reply_for(&e, &target))?;
        let now = Timestamp::saturating_from(SystemTime::now());
        let format = ListFormat::Long { all: true };
        let mut lines = vec![
            Text::try_from(format!("Status of {}:", shown(&target)).as_str()).unwrap_or_default(),
        ];
        let mut push = |name: &[u8], meta: &wharf_vfs::Metadata| {
            let mut buf = Vec::new();
            // LIST lines carry no permissions.
            format_entry(name, meta, format, Permissions::NONE, now, &mut buf);
            if let Some(line) = buf.strip_suffix(b"\r\n") {
                let mut padded = vec![b' '];
                padded.extend_from_slice(line);
                if let Ok(text) = Text::new(padded) {
                    lines.push(text);
                }
            }
        };
        if meta.is_dir() {
            let mut entries = vfs
                .list(&target)
                .await
                .map_err(|e| reply_for(&e, &target))?;
            let mut count = 0;
            while let Some(entry) = next_entry(&mut entries).await {
                let entry = entry.map_err(|e| reply_for(&e, &target))?;
                push(&entry.name, &entry.metadata);
                count += 1;
                if count >= STAT_MAX_ENTRIES {
                    break;
                }
            }
        } else {
            push(target.file_name().unwrap_or(b"/"), &meta);
        }
        lines.push(Text::try_from("End of status").unwrap_or_default());
        Ok(Outcome::Reply(Reply::from_lines(
            ReplyCode::FILE_STATUS,
            lines,
        )))
    }
}
