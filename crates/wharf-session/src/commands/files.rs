//! MKD, RMD, DELE, RNFR/RNTO, SIZE, MDTM, MFMT, SITE (RFC 959 4.1.3,
//! RFC 3659, draft-somers-ftp-mfxx).

use std::time::SystemTime;

use wharf_proto::site::SiteCommand;
use wharf_proto::text::Pathname;
use wharf_proto::timestamp::Timestamp;
use wharf_proto::{Reply, ReplyCode};
use wharf_vfs::{VPath, VfsError};

use super::{Handled, reply};
use crate::data::ascii_offsets;
use crate::permissions::Permission;
use crate::quota::{bytes_text, utc_text};
use crate::session::reply_map::{reply_for, shown};
use crate::session::state::denied;
use crate::session::{Outcome, Session};

impl Session {
    /// A path and the storage, for a command that changes `path` and
    /// needs `permission` there. `/` itself never changes.
    fn writable_target(
        &self,
        path: &Pathname,
        permission: Permission,
    ) -> Result<(std::sync::Arc<dyn wharf_vfs::Vfs>, VPath), Reply> {
        self.state.login()?;
        let target = self.state.resolve(path)?;
        if target.is_root() {
            return Err(Reply::new(
                ReplyCode::FILE_UNAVAILABLE,
                "/: Permission denied.",
            ));
        }
        let vfs = self.state.permitted(&target, permission)?.vfs.clone();
        Ok((vfs, target))
    }

    /// A path and the storage, for SIZE and MDTM: `list` or `download`.
    fn readable_target(
        &self,
        path: &Pathname,
    ) -> Result<(std::sync::Arc<dyn wharf_vfs::Vfs>, VPath), Reply> {
        self.state.login()?;
        let target = self.state.resolve(path)?;
        let either = [Permission::List, Permission::Download];
        let vfs = self.state.permitted_either(&target, either)?.vfs.clone();
        Ok((vfs, target))
    }

    pub(super) async fn mkd(&mut self, path: &Pathname) -> Handled {
        let (vfs, target) = self.writable_target(path, Permission::Mkdir)?;
        vfs.mkdir(&target)
            .await
            .map_err(|e| reply_for(&e, &target))?;
        Ok(Outcome::Reply(Reply::with_quoted_path(
            ReplyCode::PATHNAME_CREATED,
            target.as_bytes(),
            "created.",
        )))
    }

    pub(super) async fn rmd(&mut self, path: &Pathname) -> Handled {
        let (vfs, target) = self.writable_target(path, Permission::Rmdir)?;
        vfs.rmdir(&target)
            .await
            .map_err(|e| reply_for(&e, &target))?;
        Ok(reply(ReplyCode::FILE_ACTION_OK, "Directory removed."))
    }

    pub(super) async fn dele(&mut self, path: &Pathname) -> Handled {
        let (vfs, target) = self.writable_target(path, Permission::Delete)?;
        vfs.remove_file(&target)
            .await
            .map_err(|e| reply_for(&e, &target))?;
        Ok(reply(ReplyCode::FILE_ACTION_OK, "File deleted."))
    }

    pub(super) async fn rnfr(&mut self, path: &Pathname) -> Handled {
        let (vfs, source) = self.writable_target(path, Permission::Rename)?;
        vfs.metadata(&source)
            .await
            .map_err(|e| reply_for(&e, &source))?;
        self.state.rename_from = Some(source);
        Ok(reply(ReplyCode::FILE_ACTION_PENDING, "Ready for RNTO."))
    }

    pub(super) async fn rnto(&mut self, path: &Pathname) -> Handled {
        let Some(source) = self.state.take_rename_from() else {
            return Ok(reply(ReplyCode::BAD_SEQUENCE, "Send RNFR first."));
        };
        let (vfs, target) = self.writable_target(path, Permission::Rename)?;
        // Replacing a file is overwriting it: asked only of a login that
        // may not overwrite there, so others pay no extra lookup.
        if self
            .state
            .permitted(&target, Permission::Overwrite)
            .is_err()
            && vfs.metadata(&target).await.is_ok_and(|m| m.is_file())
        {
            return Err(denied(&target, Permission::Overwrite.name()));
        }
        // Object stores rename a folder or container by copying what is in
        // it; the client is told, since that takes time and is no atomic
        // move.
        let by_copy = vfs.capabilities().renames_by_copy
            && vfs.metadata(&source).await.is_ok_and(|m| m.is_dir());
        vfs.rename(&source, &target)
            .await
            .map_err(|e| reply_for(&e, &target))?;
        if by_copy {
            return Ok(reply(
                ReplyCode::FILE_ACTION_OK,
                "Renamed: everything in it was copied to the new name on the storage side, then the old one deleted.",
            ));
        }
        Ok(reply(ReplyCode::FILE_ACTION_OK, "Rename successful."))
    }

    pub(super) async fn size(&mut self, path: &Pathname) -> Handled {
        let (vfs, target) = self.readable_target(path)?;
        let meta = vfs
            .metadata(&target)
            .await
            .map_err(|e| reply_for(&e, &target))?;
        if !meta.is_file() {
            return Ok(reply(
                ReplyCode::FILE_UNAVAILABLE,
                &format!("{}: not a plain file.", shown(&target)),
            ));
        }
        if !self.state.params.ascii() {
            return Ok(reply(ReplyCode::FILE_STATUS, &meta.size.to_string()));
        }
        // TYPE A: the size on the wire, which takes reading the file.
        let limit = self.ctx.options.ascii_scan_limit;
        if meta.size > limit {
            return Ok(reply(
                ReplyCode::FILE_UNAVAILABLE,
                &format!(
                    "{}: SIZE in TYPE A reads the whole file, done up to {} bytes; use TYPE I for the stored size.",
                    shown(&target),
                    limit
                ),
            ));
        }
        let failed = |e: VfsError| reply_for(&e, &target);
        let reader = vfs.open_read(&target, 0).await.map_err(failed)?;
        let size = ascii_offsets::wire_size(reader)
            .await
            .map_err(|e| failed(VfsError::from_io(e, &target)))?;
        Ok(reply(ReplyCode::FILE_STATUS, &size.to_string()))
    }

    pub(super) async fn mdtm(&mut self, path: &Pathname) -> Handled {
        let (vfs, target) = self.readable_target(path)?;
        let meta = vfs
            .metadata(&target)
            .await
            .map_err(|e| reply_for(&e, &target))?;
        match (meta.is_file(), meta.modified) {
            (true, Some(modified)) => {
                let ts = Timestamp::saturating_from(modified).truncate_to_seconds();
                Ok(reply(ReplyCode::FILE_STATUS, &ts.to_time_val()))
            }
            _ => Ok(reply(
                ReplyCode::FILE_UNAVAILABLE,
                &format!("{}: no modification time.", shown(&target)),
            )),
        }
    }

    pub(super) async fn mfmt(&mut self, modified: Timestamp, path: &Pathname) -> Handled {
        let (vfs, target) = self.writable_target(path, Permission::Chmod)?;
        vfs.set_mtime(&target, SystemTime::from(modified))
            .await
            .map_err(|e| reply_for(&e, &target))?;
        let mut text = format!("Modify={}; ", modified.to_time_val()).into_bytes();
        text.extend_from_slice(path.as_bytes());
        Ok(Outcome::Reply(
            Reply::try_new(ReplyCode::FILE_STATUS, text)
                .unwrap_or_else(|_| Reply::new(ReplyCode::FILE_STATUS, "Modify time set.")),
        ))
    }

    pub(super) async fn site(&mut self, site: SiteCommand) -> Handled {
        match site {
            SiteCommand::Chmod { mode, path } => {
                let (vfs, target) = self.writable_target(&path, Permission::Chmod)?;
                // Setuid, setgid and sticky never come from a client: a
                // server that runs as root would store root-owned setuid
                // files for anyone who may write.
                if mode.bits() & !PERMISSION_BITS != 0 {
                    return Ok(reply(
                        ReplyCode::FILE_UNAVAILABLE,
                        &format!(
                            "{}: only permission bits (0-777) can be set; setuid, setgid and sticky are refused.",
                            shown(&target)
                        ),
                    ));
                }
                vfs.set_permissions(&target, mode.bits())
                    .await
                    .map_err(|e| reply_for(&e, &target))?;
                Ok(reply(ReplyCode::OK, "SITE CHMOD command ok."))
            }
            SiteCommand::Help(_) => Ok(Outcome::Reply(Reply::multiline(
                ReplyCode::HELP_MESSAGE,
                [
                    "SITE commands:",
                    " CHMOD <octal-mode> <path>",
                    " HELP",
                    " QUOTA",
                    " UTIME <YYYYMMDDhhmm[ss]> <path> (UTC, as MFMT)",
                    "End",
                ],
            ))),
            SiteCommand::Quota => self.site_quota(),
            SiteCommand::Utime { modified, path } => {
                self.mfmt(modified, &path).await?;
                Ok(reply(ReplyCode::OK, "SITE UTIME command ok."))
            }
            _ => Ok(reply(ReplyCode::NOT_IMPLEMENTED, "Unknown SITE command.")),
        }
    }
}

/// The bits SITE CHMOD may set: read, write and execute for owner, group
/// and others.
const PERMISSION_BITS: u32 = 0o777;

impl Session {
    /// `SITE QUOTA`: used, limit and reset time of each quota on the login.
    fn site_quota(&self) -> Handled {
        let statuses: Vec<_> = self
            .quota_hooks()?
            .iter()
            .filter_map(|hook| hook.status())
            .collect();
        if statuses.is_empty() {
            return Ok(reply(ReplyCode::OK, "No traffic quota on this login."));
        }
        let mut lines = Vec::new();
        for status in &statuses {
            let limit = match status.limit {
                0 => "unlimited".to_owned(),
                limit => bytes_text(limit),
            };
            lines.push(format!(
                "Quota for {} ({}):",
                status.account.escape_default(),
                status.period
            ));
            lines.push(format!(" Used: {}", bytes_text(status.used)));
            lines.push(format!(" Limit: {limit}"));
            if status.limit > 0 {
                let left = status.limit.saturating_sub(status.used);
                lines.push(format!(" Left: {}", bytes_text(left)));
            }
            lines.push(format!(" Resets: {}", utc_text(status.resets)));
        }
        lines.push("End".to_owned());
        Ok(Outcome::Reply(Reply::multiline(
            ReplyCode::OK,
            lines.iter().map(String::as_str),
        )))
    }
}
