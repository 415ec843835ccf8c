//! `Append` (`APPE`) and `Resume(offset)` (`REST` + `STOR`).
//!
//! Object stores cannot write into an object, so the new object is the
//! kept part of the old one followed by the upload, committed on `finish`
//! like any upload (an aborted append leaves the old object as it was,
//! which the `WriteMode` contract allows).
//!
//! - A kept part of at most one first part ([`FIRST_PART`], 8 MiB) is read
//!   with one ranged `GET` into the upload's first part.
//! - On Azure, a larger kept part is reused server-side: the new block list
//!   is the old blob's committed blocks (all, or those ending exactly at
//!   the `REST` offset) plus the new blocks, committed only if the blob's
//!   ETag is unchanged ([`crate::block_append`]).
//! - Otherwise (S3, whose `UploadPartCopy` is not built yet; an Azure blob
//!   written in one piece; an offset inside a block) the request fails with
//!   `Unsupported` and [`AppendError`] says why. Nothing large is ever
//!   rewritten through the server.

use bytes::Bytes;
use object_store::{GetOptions, GetRange};
use wharf_vfs::{VfsError, WriteMode};

use crate::block_append::BlockAppend;
use crate::bucket::{Bucket, Loc};
use crate::client::Client;
use crate::errors::ResultExt;
use crate::upload::{FIRST_PART, Start};

/// Why an append or resume was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// The part of the old blob to keep is larger than what is copied
    /// through the server, and the store cannot reuse it server-side.
    #[error(
        "keeping {kept} bytes needs server-side reuse, which this store or blob does not allow \
         (at most {FIRST_PART} bytes are kept by copying)"
    )]
    TooLarge {
        /// Bytes that would have to be kept.
        kept: u64,
    },
    /// The `REST` offset falls inside one of the blob's blocks.
    #[error("the offset {offset} is not on a block boundary of the blob")]
    NotOnBlockBoundary {
        /// The offset asked for.
        offset: u64,
    },
}

impl Bucket {
    /// How the new object starts for `mode`: empty, with the old one's
    /// first bytes, or with its kept blocks.
    pub(crate) async fn kept_prefix(
        &self,
        loc: &Loc<'_>,
        mode: WriteMode,
    ) -> Result<Start, VfsError> {
        let keep = match mode {
            WriteMode::Append => match self.head(loc).await? {
                Some(info) => info.size,
                None => 0,
            },
            WriteMode::Resume(0) => 0,
            WriteMode::Resume(offset) => match self.head(loc).await? {
                Some(info) if offset > info.size => {
                    return Err(VfsError::invalid_offset(loc.path));
                }
                Some(_) => offset,
                None => return Err(VfsError::not_found(loc.path)),
            },
            _ => 0,
        };
        if keep == 0 {
            return Ok(Start::Bytes(Bytes::new()));
        }
        if keep > FIRST_PART as u64 {
            return self.kept_blocks(loc, keep).await;
        }
        let object = Bucket::object(&loc.key(), loc.path)?;
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
        Ok(Start::Bytes(bytes))
    }

    /// The Azure blocks that make up the first `keep` bytes.
    async fn kept_blocks(&self, loc: &Loc<'_>, keep: u64) -> Result<Start, VfsError> {
        let too_large =
            || VfsError::unsupported(loc.path).with_source(AppendError::TooLarge { kept: keep });
        if !matches!(self.client, Client::Azure(_)) {
            return Err(too_large());
        }
        let key = loc.key();
        let Some(old) = self
            .account
            .rest
            .az_block_list(&self.name, &key)
            .await
            .at(loc.path)?
        else {
            return Err(VfsError::not_found(loc.path));
        };
        if old.blocks.is_empty() {
            return Err(too_large());
        }
        let mut total = 0;
        let mut count = 0;
        while total < keep && count < old.blocks.len() {
            total += old.blocks[count].size;
            count += 1;
        }
        if total != keep {
            return Err(VfsError::unsupported(loc.path)
                .with_source(AppendError::NotOnBlockBoundary { offset: keep }));
        }
        Ok(Start::Multipart(Box::new(BlockAppend {
            account: self.account.clone(),
            container: self.name.clone(),
            key,
            old,
            keep: count,
            new: Vec::new(),
        })))
    }
}

/// The blob changed size while its start was being read.
#[derive(Debug, thiserror::Error)]
#[error("the blob changed while it was being appended to")]
struct ChangedMeanwhile;
