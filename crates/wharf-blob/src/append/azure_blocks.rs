//! Appending to a large Azure blob server-side: a multipart upload whose
//! commit is the old blob's committed blocks that lie wholly within the
//! kept start, then blocks staged server-side from the rest of the kept
//! start (Put Block From URL: the start of a blob written in one piece, or
//! the part of a block before a `REST` offset), then the new blocks,
//! conditional on the old blob's ETag. Nothing of the old blob travels.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use object_store::UploadPart;
use object_store::{MultipartUpload, PutPayload, PutResult};

use crate::client::Account;
use crate::rest::RestError;
use crate::rest::blocks::BlockList;

/// A block upload that keeps some committed blocks of the blob.
#[derive(Debug)]
pub(crate) struct BlockAppend {
    pub(crate) account: Arc<Account>,
    pub(crate) container: String,
    pub(crate) key: String,
    /// The old blob's blocks and ETag.
    pub(crate) old: BlockList,
    /// How many of the old blocks to keep.
    pub(crate) keep: usize,
    /// Blocks staged from the old blob (Put Block From URL), in order.
    pub(crate) staged: Vec<String>,
    /// The new blocks, in order.
    pub(crate) new: Vec<String>,
}

/// A REST failure as an object_store error.
pub(crate) fn os_err(err: RestError) -> object_store::Error {
    match err.status() {
        Some(http::StatusCode::PRECONDITION_FAILED) => object_store::Error::Precondition {
            path: String::new(),
            source: Box::new(err),
        },
        _ => object_store::Error::Generic {
            store: "wharf-blob",
            source: Box::new(err),
        },
    }
}

#[async_trait]
impl MultipartUpload for BlockAppend {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let id = self.old.new_id();
        self.new.push(id.clone());
        let (account, container, key) = (
            self.account.clone(),
            self.container.clone(),
            self.key.clone(),
        );
        Box::pin(async move {
            account
                .rest
                .az_put_block(&container, &key, &id, Bytes::from(data))
                .await
                .map_err(os_err)
        })
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        let kept: Vec<String> = self.old.blocks[..self.keep]
            .iter()
            .map(|b| b.id.clone())
            .collect();
        let fresh: Vec<String> = self.staged.iter().chain(&self.new).cloned().collect();
        self.account
            .rest
            .az_put_block_list(
                &self.container,
                &self.key,
                &kept,
                &fresh,
                self.old.etag.as_deref(),
            )
            .await
            .map_err(os_err)?;
        Ok(PutResult {
            e_tag: None,
            version: None,
            extensions: Default::default(),
        })
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        // Uncommitted blocks are discarded by the store; the blob is as it was.
        Ok(())
    }
}
