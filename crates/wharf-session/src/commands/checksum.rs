//! HASH and OPTS HASH (draft-bryan-ftpext-hash-02), RANG for HASH
//! (draft-bryan-ftp-range), and the de-facto XCRC, XMD5, XSHA1, XSHA256 and
//! XSHA512 that WinSCP, FlashFXP and others send.
//!
//! - HASH replies `213 <algorithm> <first>-<last> <hash> <pathname>`, the
//!   range inclusive; the X commands reply `250 <hash>`.
//! - The hash is of the stored bytes, as a TYPE I, MODE S download would
//!   see them, whatever TYPE is in force.
//! - RANG sets the range of the next HASH only. RETR and STOR do not read
//!   it: a transfer while a range waits gets `503` rather than a whole file
//!   the client took for a part (RANG is not in FEAT for that reason).
//! - More than `Options::max_hash_size` bytes get `556` before any byte is
//!   read; the bytes read count as downloads toward quotas and rates.
//! - The MD5 of a whole file comes from the store when it keeps one it
//!   trusts (`Vfs::stored_md5`: Azure's Content-MD5, a plain S3 ETag):
//!   nothing is read or counted then.

use std::sync::atomic::AtomicU64;

use tracing::debug;
use wharf_proto::checksum::{ChecksumArgs, HashAlgorithm, RangArg};
use wharf_proto::text::{Pathname, Text};
use wharf_proto::{Reply, ReplyCode};
use wharf_vfs::{Metadata, VPath, Vfs};

use super::{Handled, reply};
use crate::data::digest::{self, digest};
use crate::data::meter::Meter;
use crate::permissions::Permission;
use crate::quota::Direction;
use crate::session::reply_map::{final_reply, reply_for, shown};
use crate::session::{Outcome, Session};

/// The draft's reply for a file the server's hashing policy refuses.
fn policy_code() -> ReplyCode {
    ReplyCode::new(556).unwrap_or(ReplyCode::FILE_UNAVAILABLE)
}

impl Session {
    /// `OPTS HASH [<name>]`: shows or changes the algorithm HASH uses.
    pub(super) fn opts_hash(&mut self, name: Option<&Text>) -> Outcome {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return reply(ReplyCode::OK, self.state.hash.name());
        };
        match HashAlgorithm::from_name(name.as_bytes()).filter(|a| digest::supported(*a)) {
            Some(algorithm) => {
                self.state.hash = algorithm;
                reply(ReplyCode::OK, algorithm.name())
            }
            None => reply(
                ReplyCode::SYNTAX_ERROR_IN_PARAMETERS,
                "Unknown algorithm, current selection not changed.",
            ),
        }
    }

    /// The FEAT line: every algorithm, the selected one marked.
    pub(super) fn hash_feat_line(&self) -> String {
        let names: Vec<String> = HashAlgorithm::ALL
            .into_iter()
            .filter(|a| digest::supported(*a))
            .map(|a| {
                let mark = if a == self.state.hash { "*" } else { "" };
                format!("{}{mark}", a.name())
            })
            .collect();
        format!(" HASH {}", names.join(";"))
    }

    pub(super) fn rang(&mut self, range: RangArg) -> Outcome {
        match range {
            RangArg::Reset => {
                self.state.hash_range = None;
                reply(
                    ReplyCode::FILE_ACTION_PENDING,
                    "Range reset: HASH covers whole files.",
                )
            }
            RangArg::Bytes { first, last } => {
                self.state.hash_range = Some((first, last));
                reply(
                    ReplyCode::FILE_ACTION_PENDING,
                    &format!("Restarting at {first}. Ending at {last}. The next HASH covers it."),
                )
            }
        }
    }

    /// A transfer command while a RANG range waits for HASH.
    pub(super) fn refuse_ranged_transfer(&mut self) -> Result<(), Reply> {
        if self.state.hash_range.take().is_some() {
            return Err(Reply::new(
                ReplyCode::BAD_SEQUENCE,
                "RANG applies to HASH only here; the range is dropped, send the transfer again.",
            ));
        }
        Ok(())
    }

    pub(super) async fn hash(&mut self, path: &Pathname) -> Handled {
        let range = self.state.hash_range.take();
        let algorithm = self.state.hash;
        let (target, meta) = self.hashable(path).await?;
        let (start, end) = match range {
            None => (0, meta.size),
            Some((first, _)) if first >= meta.size && meta.size > 0 => {
                return Err(Reply::new(
                    ReplyCode::SYNTAX_ERROR_IN_PARAMETERS,
                    &format!(
                        "{}: the range starts past the end of the file ({} bytes).",
                        shown(&target),
                        meta.size
                    ),
                ));
            }
            Some((first, last)) => (first, last.saturating_add(1).min(meta.size)),
        };
        let (hash, bytes) = self
            .digest_range(&target, algorithm, start..end, meta.size)
            .await?;
        let last = (start + bytes).saturating_sub(1).max(start);
        Ok(reply(
            ReplyCode::FILE_STATUS,
            &format!(
                "{} {start}-{last} {hash} {}",
                algorithm.name(),
                path.to_string_lossy()
            ),
        ))
    }

    /// XCRC, XMD5, XSHA1, XSHA256, XSHA512: the first reading of the
    /// argument that names a file.
    pub(super) async fn x_checksum(&mut self, args: &ChecksumArgs) -> Handled {
        let readings = args.readings();
        let usage = || {
            Reply::new(
                ReplyCode::SYNTAX_ERROR_IN_PARAMETERS,
                &format!(
                    "Usage: {} <path> [<start> [<end>]], or a quoted \"path\" with a range.",
                    args.algorithm.x_verb()
                ),
            )
        };
        let count = readings.len();
        for (i, reading) in readings.into_iter().enumerate() {
            let found = match self.hashable(&reading.path).await {
                Err(refused) if i + 1 < count && refused.code() == ReplyCode::FILE_UNAVAILABLE => {
                    continue;
                }
                found => found?,
            };
            let (target, meta) = found;
            let end = reading.end.map_or(meta.size, |end| end.min(meta.size));
            if reading.start > end {
                return Err(usage());
            }
            let (hash, _) = self
                .digest_range(&target, args.algorithm, reading.start..end, meta.size)
                .await?;
            return Ok(reply(ReplyCode::FILE_ACTION_OK, &hash));
        }
        Err(usage())
    }

    /// The target of a checksum command and its metadata: a file, or a
    /// `550`/`553` reply.
    async fn hashable(&self, path: &Pathname) -> Result<(VPath, Metadata), Reply> {
        self.state.login()?;
        let target = self.state.resolve(path)?;
        // A hash tells what the bytes are: a download's permission.
        let vfs = self
            .state
            .permitted(&target, Permission::Download)?
            .vfs
            .clone();
        let meta = vfs
            .metadata(&target)
            .await
            .map_err(|e| reply_for(&e, &target))?;
        if !meta.is_file() {
            return Err(Reply::new(
                ReplyCode::FILE_NAME_NOT_ALLOWED,
                &format!(
                    "{}: not a plain file; only files have a hash.",
                    shown(&target)
                ),
            ));
        }
        Ok((target, meta))
    }

    /// The MD5 the store keeps of `target`, as hex; `None` when it keeps
    /// none it trusts, or fails to say (the file is read instead).
    async fn stored_md5(vfs: &dyn Vfs, target: &VPath) -> Option<String> {
        match vfs.stored_md5(target).await {
            Ok(Some(md5)) => Some(digest::hex(&md5)),
            Ok(None) => None,
            Err(error) => {
                debug!(%error, "the store's MD5 is unavailable; reading the file");
                None
            }
        }
    }

    /// Hashes bytes `range` of `target`, a file of `size` bytes: from the
    /// store's own MD5 for a whole file where it keeps one, else read
    /// through the download meter.
    async fn digest_range(
        &mut self,
        target: &VPath,
        algorithm: HashAlgorithm,
        range: std::ops::Range<u64>,
        size: u64,
    ) -> Result<(String, u64), Reply> {
        let (start, end) = (range.start, range.end);
        let vfs = self.state.login()?.vfs.clone();
        if algorithm == HashAlgorithm::Md5
            && start == 0
            && end == size
            && let Some(md5) = Self::stored_md5(vfs.as_ref(), target).await
        {
            return Ok((md5, size));
        }
        let len = end.saturating_sub(start);
        let limit = self.ctx.options.max_hash_size;
        if len > limit {
            return Err(Reply::new(
                policy_code(),
                &format!(
                    "{}: hashing {len} bytes is above this server's limit of {limit}.",
                    shown(target)
                ),
            ));
        }
        let (quotas, rate_limits) = self.quota_for(Direction::Download)?;
        let reader = vfs
            .open_read(target, start)
            .await
            .map_err(|e| reply_for(&e, target))?;
        let progress = AtomicU64::new(0);
        let mut meter = Meter::new(&progress, &quotas, &rate_limits, Direction::Download);
        let limits = self.limits();
        digest(reader, len, algorithm, &mut meter, limits, target)
            .await
            .map_err(|e| final_reply(&Err(e), target))
    }
}
