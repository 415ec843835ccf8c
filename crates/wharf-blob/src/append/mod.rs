//! `Append` (`APPE`) and `Resume(offset)` (`REST` + `STOR`).
//!
//! Object stores cannot write into an object, so the new object is the
//! kept part of the old one followed by the upload, committed on `finish`
//! like any upload (an aborted append leaves the old object as it was,
//! which the `WriteMode` contract allows).
//!
//! - A small kept part (S3: under [`S3_MIN_PART`], 5 MiB, S3's smallest
//!   part but the last; Azure: at most [`FIRST_PART`], 8 MiB) is read with
//!   one ranged `GET` into the upload's first part.
//! - S3, larger: a multipart upload whose first parts are `UploadPartCopy`s
//!   of the kept range, conditional on the ETag read at open, then the new
//!   parts, completed with `If-Match` ([`s3_part_copy`]).
//! - Azure, larger: the new block list is the old blob's committed blocks
//!   that lie within the kept part, then blocks staged server-side from the
//!   rest of it (Put Block From URL with a read-only SAS of the blob: the
//!   whole start of a blob written in one piece, or the head of the block a
//!   `REST` offset falls in), then the new blocks, committed only if the
//!   blob's ETag is unchanged ([`azure_blocks`]).
//! - GCS, larger: an `APPE` uploads the new bytes beside the object and
//!   composes them onto it, conditional on its generation
//!   ([`crate::gcs::compose`]); a `REST` + `STOR` that keeps part of it is
//!   `Unsupported` ([`AppendError::NoServerSideCopy`]): GCS copies only
//!   whole objects.
//! - Where the store refuses the server-side copy, or the kept part would
//!   leave too few parts for the upload, the request fails with
//!   `Unsupported` and [`AppendError`] says why. Nothing large is ever
//!   rewritten through the server.

mod azure_blocks;
mod s3_part_copy;

use std::ops::Range;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use http::{Method, StatusCode};
use object_store::signer::Signer;
use object_store::{GetOptions, GetRange};
use wharf_vfs::{VPath, VfsError, WriteMode};

use crate::bucket::{Bucket, Loc};
use crate::client::Client;
use crate::errors::{ResultExt, rest_err};
use crate::memory::Grant;
use crate::parts::{FIRST_PART, Limits};
use crate::rest::RestError;
use crate::upload::Start;
use azure_blocks::BlockAppend;
pub(crate) use azure_blocks::os_err;
use s3_part_copy::{PartCopyAppend, Source};

/// S3's smallest part (but the last): a kept start this large or larger is
/// copied server-side.
pub(crate) const S3_MIN_PART: u64 = 5 * 1024 * 1024;
/// The largest block staged with one Put Block From URL (100 MiB, the limit
/// of the API's first versions; later ones allow more).
const MAX_STAGED_BLOCK: u64 = 100 * 1024 * 1024;
/// How long the SAS that lets Azure read the old blob is valid.
const SAS_LIFETIME: Duration = Duration::from_secs(3600);

/// Why an append or resume was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// Keeping the start server-side would take so many of the store's
    /// parts or blocks that the upload would have almost none left.
    #[error(
        "keeping {kept} bytes server-side takes {parts} of the store's parts or blocks, \
         too many to append to"
    )]
    TooLarge {
        /// Bytes that would have to be kept.
        kept: u64,
        /// Parts or blocks they would take.
        parts: usize,
    },
    /// The store has no server-side copy of part of an object (GCS), and
    /// the kept start is larger than one part.
    #[error(
        "the store cannot keep the first {kept} bytes server-side, and copying more than one part \
         through the server is not done"
    )]
    NoServerSideCopy {
        /// Bytes that would have been kept.
        kept: u64,
    },
    /// The store refused to copy the kept start server-side (S3
    /// `UploadPartCopy`, Azure Put Block From URL); copying it through the
    /// server instead is not done for anything larger than one part.
    #[error("the store refused to copy the kept {kept} bytes server-side: {source}")]
    CopyRefused {
        /// Bytes that would have been kept.
        kept: u64,
        /// The store's answer.
        #[source]
        source: RestError,
    },
}

/// `range` cut into pieces of at most `max` bytes, of nearly equal sizes.
pub(crate) fn split(range: Range<u64>, max: u64) -> Vec<Range<u64>> {
    let len = range.end.saturating_sub(range.start);
    if len == 0 {
        return Vec::new();
    }
    let count = len.div_ceil(max.max(1));
    let piece = len.div_ceil(count);
    (0..count)
        .map(|i| range.start + i * piece..(range.start + (i + 1) * piece).min(range.end))
        .collect()
}

/// A failed server-side copy of a kept start of `kept` bytes: `Unsupported`
/// where the store refused it, a transient failure where the object
/// changed meanwhile, else as any store failure.
pub(crate) fn copy_failed(err: RestError, kept: u64, path: &VPath) -> VfsError {
    let refused = |err| {
        VfsError::unsupported(path).with_source(AppendError::CopyRefused { kept, source: err })
    };
    let RestError::Status { status, code } = &err else {
        return rest_err(err, path);
    };
    let gone = matches!(
        code.as_deref(),
        Some("NoSuchKey" | "BlobNotFound" | "NoSuchUpload")
    );
    match *status {
        StatusCode::PRECONDITION_FAILED => VfsError::transient(ChangedMeanwhile).with_path(path),
        StatusCode::NOT_IMPLEMENTED => refused(err),
        StatusCode::NOT_FOUND if gone => rest_err(err, path),
        StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS => rest_err(err, path),
        status if status.is_client_error() => refused(err),
        _ => rest_err(err, path),
    }
}

/// `Unsupported` if `parts` kept parts leave the upload too few.
fn check_parts(parts: usize, limits: Limits, kept: u64, path: &VPath) -> Result<(), VfsError> {
    if parts + 1 >= limits.max_parts {
        return Err(VfsError::unsupported(path).with_source(AppendError::TooLarge { kept, parts }));
    }
    Ok(())
}

impl Bucket {
    /// How the new object starts for `mode`: empty, with the old one's
    /// first bytes, or with a multipart upload that holds them.
    pub(crate) async fn kept_prefix(
        &self,
        loc: &Loc<'_>,
        mode: WriteMode,
    ) -> Result<Start, VfsError> {
        let (keep, etag) = match mode {
            WriteMode::Append => match self.head(loc).await? {
                Some(info) => (info.size, info.etag),
                None => (0, None),
            },
            WriteMode::Resume(0) => (0, None),
            WriteMode::Resume(offset) => match self.head(loc).await? {
                Some(info) if offset > info.size => {
                    return Err(VfsError::invalid_offset(loc.path));
                }
                Some(info) => (offset, info.etag),
                None => return Err(VfsError::not_found(loc.path)),
            },
            _ => (0, None),
        };
        if keep == 0 {
            return Ok(Start::Bytes(Bytes::new(), Grant::default()));
        }
        let object = Bucket::object(&loc.key(), loc.path)?;
        match &self.client {
            Client::S3(store) if keep >= S3_MIN_PART => {
                let source = Source {
                    account: self.account.clone(),
                    store: store.clone(),
                    bucket: &self.name,
                    key: loc.key(),
                    object,
                    keep,
                    etag,
                };
                let parallelism = self.account.config.copy_parallelism;
                let upload = PartCopyAppend::start(source, parallelism, loc.path).await?;
                let used = upload.copied_parts();
                check_parts(used, Limits::S3, keep, loc.path)?;
                return Ok(Start::Multipart(Box::new(upload), used));
            }
            Client::Azure(_) if keep > FIRST_PART as u64 => {
                return self.kept_blocks(loc, keep).await;
            }
            Client::Gcs(_) if keep > FIRST_PART as u64 => {
                return self.gcs_compose_append(loc, keep, mode).await;
            }
            _ => {}
        }
        // Room for the kept start before it is read (it is the first part's
        // start: at most a first-size part).
        let held = self
            .account
            .config
            .upload_memory
            .whole(usize::try_from(keep).unwrap_or(usize::MAX))
            .await;
        let options = GetOptions {
            range: Some(GetRange::Bounded(0..keep)),
            ..GetOptions::default()
        };
        let result = self
            .client
            .store()
            .get_opts(&object, options)
            .await
            .at(loc.path)?;
        let bytes = result.bytes().await.at(loc.path)?;
        if bytes.len() as u64 != keep {
            return Err(VfsError::transient(ChangedMeanwhile).with_path(loc.path));
        }
        Ok(Start::Bytes(bytes, held))
    }

    /// GCS, an `APPE` to a large object: the new bytes are composed onto
    /// it server-side ([`crate::gcs::compose`]). A `REST` + `STOR` that
    /// keeps only part of it cannot be: GCS copies whole objects only.
    async fn gcs_compose_append(
        &self,
        loc: &Loc<'_>,
        keep: u64,
        mode: WriteMode,
    ) -> Result<Start, VfsError> {
        if mode != WriteMode::Append {
            return Err(VfsError::unsupported(loc.path)
                .with_source(AppendError::NoServerSideCopy { kept: keep }));
        }
        let key = loc.key();
        let rest = &self.account.rest;
        let Some(object) = rest.gcs_object(&self.name, &key).await.at(loc.path)? else {
            return Err(VfsError::not_found(loc.path));
        };
        let Some(generation) = object.generation else {
            return Err(VfsError::unsupported(loc.path)
                .with_source(AppendError::NoServerSideCopy { kept: keep }));
        };
        let upload =
            crate::gcs::compose::ComposeAppend::start(rest.clone(), &self.name, &key, generation)
                .await
                .at(loc.path)?;
        Ok(Start::Multipart(Box::new(upload), 0))
    }

    /// The Azure blocks that make up the first `keep` bytes: the committed
    /// blocks that lie within them, then the rest staged from the blob.
    async fn kept_blocks(&self, loc: &Loc<'_>, keep: u64) -> Result<Start, VfsError> {
        let Client::Azure(azure) = &self.client else {
            return Err(VfsError::unsupported(loc.path));
        };
        let key = loc.key();
        let rest = &self.account.rest;
        let Some(old) = rest.az_block_list(&self.name, &key).await.at(loc.path)? else {
            return Err(VfsError::not_found(loc.path));
        };
        let mut total = 0;
        let mut count = 0;
        while count < old.blocks.len() && total + old.blocks[count].size <= keep {
            total += old.blocks[count].size;
            count += 1;
        }
        let ranges = split(total..keep, MAX_STAGED_BLOCK);
        check_parts(count + ranges.len(), Limits::AZURE, keep, loc.path)?;
        let mut staged: Vec<String> = Vec::with_capacity(ranges.len());
        while staged.len() < ranges.len() {
            let id = old.new_id();
            if !staged.contains(&id) {
                staged.push(id);
            }
        }
        if !ranges.is_empty() {
            let source = if rest.signs_with_sas() || rest.signs_with_entra() {
                // The session's own token reads the source (if it grants r):
                // a SAS in the URL, a bearer token in a header.
                rest.source_url(rest.blob_url_of(&self.name, &key))
            } else {
                let object = Bucket::object(&key, loc.path)?;
                azure
                    .signed_url(Method::GET, &object, SAS_LIFETIME)
                    .await
                    .at(loc.path)?
                    .to_string()
            };
            let (etag, name, key, source) =
                (old.etag.as_deref(), &self.name, &key, source.as_str());
            stream::iter(staged.clone().into_iter().zip(ranges))
                .map(|(id, range)| async move {
                    rest.az_put_block_from_url(name, key, &id, source, range, etag)
                        .await
                })
                .buffered(self.account.config.copy_parallelism.max(1))
                .try_collect::<Vec<()>>()
                .await
                .map_err(|err| copy_failed(err, keep, loc.path))?;
        }
        let used = count + staged.len();
        Ok(Start::Multipart(
            Box::new(BlockAppend {
                account: self.account.clone(),
                container: self.name.clone(),
                key,
                old,
                keep: count,
                staged,
                new: Vec::new(),
            }),
            used,
        ))
    }
}

/// The blob changed size while its start was being read.
#[derive(Debug, thiserror::Error)]
#[error("the blob changed while it was being appended to")]
struct ChangedMeanwhile;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_the_range_in_near_equal_pieces() {
        assert!(split(5..5, 10).is_empty());
        assert_eq!(split(0..10, 10), vec![0..10]);
        assert_eq!(split(0..11, 10), vec![0..6, 6..11]);
        assert_eq!(split(3..33, 10), vec![3..13, 13..23, 23..33]);
        let gib = 1u64 << 30;
        let pieces = split(0..5 * gib + 1, 5 * gib);
        assert_eq!(pieces.len(), 2);
        assert!(pieces.iter().all(|r| r.end - r.start >= 2 * gib));
        assert_eq!(pieces.last().map(|r| r.end), Some(5 * gib + 1));
    }

    #[test]
    fn refused_copies_are_unsupported() {
        use wharf_vfs::VfsErrorKind as K;
        let path = VPath::parse("/big").expect("path");
        let kind = |status: u16, code: &str| {
            let err = RestError::Status {
                status: StatusCode::from_u16(status).expect("status"),
                code: Some(code.to_string()),
            };
            copy_failed(err, 1 << 30, &path).kind()
        };
        assert_eq!(kind(501, "NotImplemented"), K::Unsupported);
        assert_eq!(kind(400, "InvalidRequest"), K::Unsupported);
        assert_eq!(kind(403, "CannotVerifyCopySource"), K::Unsupported);
        assert_eq!(kind(404, "CannotVerifyCopySource"), K::Unsupported);
        assert_eq!(kind(404, "NoSuchKey"), K::NotFound);
        assert_eq!(kind(412, "SourceConditionNotMet"), K::Transient);
        assert_eq!(kind(503, "ServerBusy"), K::Transient);
    }
}
