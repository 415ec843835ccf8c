//! RETR, STOR, APPE, STOU (RFC 959 4.1.3; REST per RFC 3659 section 5).

use std::sync::Arc;

use wharf_proto::text::Pathname;
use wharf_proto::{Reply, ReplyCode};
use wharf_vfs::{VPath, Vfs, VfsError, VfsErrorKind, WriteMode};

use super::Handled;
use crate::data::ascii_offsets;
use crate::data::downloads::Way;
use crate::data::meter::RateLimits;
use crate::data::plan::DataPlan;
use crate::data::transfer::{TransferJob, Work};
use crate::permissions::Permission;
use crate::quota::{Direction, QuotaHook};
use crate::session::reply_map::quota_code;
use crate::session::reply_map::{reply_for, sentence, shown};
use crate::session::security::DataProtection;
use crate::session::state::denied;
use crate::session::{Outcome, Session};

impl Session {
    /// The prepared data connection, or the `425` a transfer gets without
    /// one. Taking it means the next transfer needs a new PASV/PORT.
    pub(super) fn take_data_plan(&mut self) -> Result<DataPlan, Reply> {
        if self.tls_required_for_data() && self.state.security.data() == DataProtection::Clear {
            return Err(Reply::new(
                ReplyCode::DENIED_FOR_POLICY,
                "Data connections must be encrypted: send PBSZ 0 and PROT P.",
            ));
        }
        let plan = std::mem::take(&mut self.data);
        if plan.is_expired() {
            return Err(Reply::new(
                ReplyCode::CANT_OPEN_DATA_CONNECTION,
                "The passive data connection timed out unused; send PASV or EPSV again.",
            ));
        }
        if plan.is_none() {
            return self.default_data_port();
        }
        Ok(plan)
    }

    /// The login's quota hooks and bandwidth limits for a transfer in
    /// `direction`, after asking the hooks whether it may start (`451` for
    /// a download, `552` for an upload, if not).
    pub(super) fn quota_for(
        &self,
        direction: Direction,
    ) -> Result<(Vec<Arc<dyn QuotaHook>>, RateLimits), Reply> {
        let quotas = self.quota_hooks()?;
        for hook in &quotas {
            hook.check(direction).map_err(|e| {
                self.observe(|o, s| o.quota_refused(s, direction));
                Reply::new(quota_code(direction), &sentence(&e.message))
            })?;
        }
        let login = self.state.login()?;
        let (session, server, user) = match direction {
            Direction::Download => (
                &self.throttles.0,
                &self.ctx.server_throttles.0,
                &login.rate_limits.0,
            ),
            Direction::Upload => (
                &self.throttles.1,
                &self.ctx.server_throttles.1,
                &login.rate_limits.1,
            ),
        };
        let rate_limits = RateLimits {
            session: session.clone(),
            shared: server.iter().chain(user).cloned().collect(),
            #[cfg(feature = "usage")]
            account: self.account.clone(),
        };
        Ok((quotas, rate_limits))
    }

    /// No PORT/PASV/EPRT/EPSV: the default data port (RFC 959 3.2, 5.2),
    /// from the control port minus one (or the configured source port) to
    /// the client's control address and port.
    fn default_data_port(&self) -> Result<DataPlan, Reply> {
        let options = &self.ctx.options;
        if !options.default_data_port || self.state.epsv_all {
            return Err(Reply::new(
                ReplyCode::CANT_OPEN_DATA_CONNECTION,
                "Use PASV, EPSV, PORT or EPRT first.",
            ));
        }
        let source = self.data_source().ok_or_else(|| {
            Reply::new(
                ReplyCode::CANT_OPEN_DATA_CONNECTION,
                "No default data port below the control port.",
            )
        })?;
        Ok(DataPlan::DefaultPort {
            source,
            target: self.peer,
            lately: self.default_pair.clone(),
        })
    }

    /// The default data connection's source: the configured port, or the
    /// control port minus one; `None` on control port 1 or 0.
    pub(super) fn data_source(&self) -> Option<std::net::SocketAddr> {
        let port = match self.ctx.options.default_data_source_port {
            Some(port) => port,
            None => self.local.port().checked_sub(1).filter(|&p| p > 0)?,
        };
        Some(std::net::SocketAddr::new(self.local.ip(), port))
    }

    /// How RETR reads the file, and how many bytes it has after `offset`:
    /// handed to the kernel (`sendfile`) when it is a local file going out
    /// plain, binary and in MODE S and `way` says so, else copied from the
    /// back-end's reader.
    async fn download_work(
        &self,
        vfs: &dyn Vfs,
        target: &VPath,
        offset: u64,
        way: Way,
    ) -> Result<(Work, u64), Reply> {
        let failed = |e: VfsError| reply_for(&e, target);
        #[cfg(target_os = "linux")]
        if way == Way::SendFile
            && !self.state.params.ascii()
            && !self.state.params.block()
            && self.state.security.data() == DataProtection::Clear
            && let Some(local) = vfs.open_local(target, offset).await.map_err(failed)?
        {
            // The open told the size: no second trip to the back-end
            // (open_local refuses directories as open_read does).
            let work = Work::SendFile {
                file: local.file,
                offset,
                end: local.size,
            };
            return Ok((work, local.size.saturating_sub(offset)));
        }
        #[cfg(not(target_os = "linux"))]
        let _ = way;
        let ascii = self.state.params.ascii();
        // In TYPE A the offset counts converted octets: read from the
        // start and drop them after the conversion.
        let (read_at, skip) = if ascii { (0, offset) } else { (offset, 0) };
        // Opened first: a back-end that learns the size from the open (a
        // blob's GET) costs one round trip, not a metadata one before it.
        // A folder fails the open as IsADirectory (550 "Is a directory").
        let opened = vfs.open_read_sized(target, read_at).await.map_err(failed)?;
        let size = match opened.size {
            Some(size) => size,
            None => vfs.metadata(target).await.map_err(failed)?.size,
        };
        let work = Work::Send {
            reader: opened.reader,
            ascii,
            skip,
        };
        Ok((work, size.saturating_sub(offset)))
    }

    fn mode_name(&self) -> &'static str {
        self.state.params.type_name()
    }

    pub(super) async fn retr(&mut self, path: &Pathname) -> Handled {
        self.state.login()?;
        let target = self.state.resolve(path)?;
        let vfs = self
            .state
            .permitted(&target, Permission::Download)?
            .vfs
            .clone();
        let offset = self.state.take_restart();
        let (quotas, rate_limits) = self.quota_for(Direction::Download)?;
        let (running, way) = self.ctx.downloads.start();
        let (work, size) = self
            .download_work(vfs.as_ref(), &target, offset, way)
            .await?;
        let plan = self.take_data_plan()?;
        let text = format!(
            "Opening {} mode data connection for {} ({} bytes).",
            self.mode_name(),
            shown(&target),
            size
        );
        let job = TransferJob {
            plan,
            work,
            path: target,
            quotas,
            rate_limits,
            block: self.state.params.block(),
            running: Some(running),
        };
        Ok(Outcome::Transfer(
            Reply::new(ReplyCode::FILE_STATUS_OK, &text),
            Box::new(job),
        ))
    }

    pub(super) async fn stor(&mut self, path: &Pathname) -> Handled {
        let (vfs, target) = self.upload_target(path).await?;
        let mode = match self.state.take_restart() {
            0 => WriteMode::Create,
            offset if self.state.params.ascii() => {
                let limit = self.ctx.options.ascii_scan_limit;
                WriteMode::Resume(stored_offset(vfs.as_ref(), &target, offset, limit).await?)
            }
            offset => WriteMode::Resume(offset),
        };
        self.receive(vfs, target, mode, None).await
    }

    pub(super) async fn appe(&mut self, path: &Pathname) -> Handled {
        let (vfs, target) = self.upload_target(path).await?;
        self.state.take_restart();
        self.receive(vfs, target, WriteMode::Append, None).await
    }

    /// The path and storage of STOR and APPE: `upload` there, and
    /// `overwrite` too when a file is there already (STOR replaces it,
    /// APPE and REST + STOR change its bytes).
    async fn upload_target(&self, path: &Pathname) -> Result<(Arc<dyn Vfs>, VPath), Reply> {
        self.state.login()?;
        let target = self.state.resolve(path)?;
        let vfs = self
            .state
            .permitted(&target, Permission::Upload)?
            .vfs
            .clone();
        // Looked up only for a login that may not overwrite there, so
        // others pay no extra round trip.
        if self
            .state
            .permitted(&target, Permission::Overwrite)
            .is_err()
            && vfs.metadata(&target).await.is_ok_and(|m| m.is_file())
        {
            return Err(denied(&target, Permission::Overwrite.name()));
        }
        Ok((vfs, target))
    }

    /// STOU: store under a name that does not exist yet, the one given (or
    /// `file`) plus a random suffix, and say which in the 150 reply as
    /// `150 FILE: <name>` (RFC 1123 4.1.2.9).
    pub(super) async fn stou(&mut self, path: Option<&Pathname>) -> Handled {
        let vfs = self.state.login()?.vfs.clone();
        self.state.take_restart();
        let base = match path {
            Some(p) => self.state.resolve(p)?,
            None => self.state.cwd.join("file").map_err(|_| bad_name())?,
        };
        let (dir, stem) = match (base.parent(), base.file_name()) {
            (Some(dir), Some(name)) => (dir, name.to_vec()),
            _ => return Err(bad_name()),
        };
        // One random suffix and one look: probing name.1, name.2, ... costs
        // a storage round trip per taken name (up to a thousand on blob
        // storage) and tells a client which names exist.
        let mut name = stem;
        name.push(b'.');
        name.extend_from_slice(&unique_suffix());
        let candidate = dir.join(&name).map_err(|_| bad_name())?;
        self.state.permitted(&candidate, Permission::Upload)?;
        match vfs.metadata(&candidate).await {
            Err(e) if e.kind() == VfsErrorKind::NotFound => {
                self.receive(vfs, candidate, WriteMode::Create, Some(name))
                    .await
            }
            Err(e) => Err(reply_for(&e, &candidate)),
            Ok(_) => Err(Reply::new(
                ReplyCode::FILE_UNAVAILABLE_BUSY,
                "The unique name chosen is taken; try STOU again.",
            )),
        }
    }

    async fn receive(
        &mut self,
        vfs: Arc<dyn Vfs>,
        target: VPath,
        mode: WriteMode,
        unique_name: Option<Vec<u8>>,
    ) -> Handled {
        if target.is_root() {
            return Err(bad_name());
        }
        let (quotas, rate_limits) = self.quota_for(Direction::Upload)?;
        // The data connection first: without one (or against the TLS
        // policy) nothing is created.
        let plan = self.take_data_plan()?;
        let upload = match vfs.create(&target, mode).await {
            Ok(upload) => upload,
            Err(e) => {
                // Refused before any byte moved: the data connection (a
                // MODE B one kept open, a passive listener) stays usable.
                self.data = plan;
                return Err(reply_for(&e, &target));
            }
        };
        let preliminary = match unique_name {
            Some(name) => {
                let mut text = b"FILE: ".to_vec();
                text.extend_from_slice(&name);
                Reply::try_new(ReplyCode::FILE_STATUS_OK, text).map_err(|_| bad_name())?
            }
            None => Reply::new(
                ReplyCode::FILE_STATUS_OK,
                &format!(
                    "Opening {} mode data connection for {}.",
                    self.mode_name(),
                    shown(&target)
                ),
            ),
        };
        let job = TransferJob {
            plan,
            work: Work::Receive {
                upload,
                ascii: self.state.params.ascii(),
                splice: self.ctx.options.splice_uploads,
            },
            path: target,
            quotas,
            rate_limits,
            block: self.state.params.block(),
            running: None,
        };
        Ok(Outcome::Transfer(preliminary, Box::new(job)))
    }
}

/// Where a TYPE A restart at wire octet `offset` resumes the stored
/// file. A file that cannot be read keeps the offset: creating the upload
/// then fails as a binary restart would.
async fn stored_offset(
    vfs: &dyn Vfs,
    target: &VPath,
    offset: u64,
    limit: u64,
) -> Result<u64, Reply> {
    if offset > limit {
        return Err(Reply::new(
            ReplyCode::FILE_UNAVAILABLE,
            &format!(
                "A TYPE A restart is worked out by reading the file, done up to {limit} octets; resume in TYPE I."
            ),
        ));
    }
    let Ok(reader) = vfs.open_read(target, 0).await else {
        return Ok(offset);
    };
    ascii_offsets::stored_offset(reader, offset)
        .await
        .map_err(|e| reply_for(&VfsError::from_io(e, target), target))
}

/// Eight random letters and digits: 36^8 (about 2.8e12) names, so two
/// STOUs in one directory meet with negligible odds.
fn unique_suffix() -> [u8; 8] {
    use password_hash::rand_core::{OsRng, RngCore};
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut random = [0u8; 8];
    OsRng.fill_bytes(&mut random);
    random.map(|b| ALPHABET[usize::from(b) % ALPHABET.len()])
}

fn bad_name() -> Reply {
    Reply::new(ReplyCode::FILE_NAME_NOT_ALLOWED, "File name not allowed.")
}
