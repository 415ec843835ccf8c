//! Appending to a large S3 object server-side: a multipart upload whose
//! first parts are `UploadPartCopy`s of the kept start of the object (each
//! conditional on the ETag read when the append was opened), followed by
//! the new data as ordinary parts, and completed with `If-Match` on that
//! ETag. Nothing of the old object travels through the adapter.
//!
//! The multipart upload is created and aborted through object_store's
//! [`MultipartStore`]; the copies and the conditional completion, which it
//! has no API for, are signed REST calls. Dropping the upload without
//! completing or aborting it aborts it in the background, so no multipart
//! upload is orphaned (not even when the open is cancelled mid-copy).

use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt, stream};
use object_store::aws::AmazonS3;
use object_store::multipart::MultipartStore;
use object_store::path::Path;
use object_store::{Error as OsError, UploadPart};
use object_store::{MultipartId, MultipartUpload, PutPayload, PutResult};
use wharf_vfs::{VPath, VfsError};

use super::azure_blocks::os_err;
use super::{copy_failed, split};
use crate::client::Account;
use crate::errors::ResultExt;

/// S3's largest part, and so the largest range one `UploadPartCopy` copies.
pub(crate) const MAX_COPY_PART: u64 = 5 * 1024 * 1024 * 1024;

/// A multipart upload that starts with server-side copies of the object.
#[derive(Debug)]
pub(crate) struct PartCopyAppend {
    account: Arc<Account>,
    store: Arc<AmazonS3>,
    bucket: String,
    key: String,
    object: Path,
    upload_id: MultipartId,
    /// The object's ETag when the append was opened.
    etag: Option<String>,
    /// The parts' ETags by index, copied parts first; `None` while a part
    /// is uploading.
    parts: Arc<Mutex<Vec<Option<String>>>>,
    /// Completed or aborted: nothing to clean up on drop.
    done: bool,
}

/// What [`PartCopyAppend::start`] needs to know about the object.
#[derive(Debug)]
pub(crate) struct Source<'a> {
    pub(crate) account: Arc<Account>,
    pub(crate) store: Arc<AmazonS3>,
    pub(crate) bucket: &'a str,
    pub(crate) key: String,
    pub(crate) object: Path,
    /// Bytes to keep from the start of the object.
    pub(crate) keep: u64,
    /// The object's ETag as read at open.
    pub(crate) etag: Option<String>,
}

impl PartCopyAppend {
    /// Creates the multipart upload and copies the kept start into its
    /// first parts (at most `parallelism` copies at once). On failure the
    /// multipart upload is aborted.
    pub(crate) async fn start(
        source: Source<'_>,
        parallelism: usize,
        path: &VPath,
    ) -> Result<Self, VfsError> {
        let upload_id = source
            .store
            .create_multipart(&source.object)
            .await
            .at(path)?;
        let keep = source.keep;
        let ranges = split(0..keep, MAX_COPY_PART);
        let mut this = Self {
            account: source.account,
            store: source.store,
            bucket: source.bucket.to_string(),
            key: source.key,
            object: source.object,
            upload_id,
            etag: source.etag,
            parts: Arc::new(Mutex::new(Vec::new())),
            done: false,
        };
        match this.copy(ranges, parallelism).await {
            Ok(etags) => {
                *lock(&this.parts) = etags.into_iter().map(Some).collect();
                Ok(this)
            }
            Err(err) => {
                // Best effort; the drop guard is disarmed only if it worked.
                if this.abort().await.is_err() {
                    tracing::warn!(%path, "could not abort a multipart upload");
                }
                Err(copy_failed(err, keep, path))
            }
        }
    }

    /// Copies `ranges` of the object into parts 1, 2, ...
    async fn copy(
        &self,
        ranges: Vec<Range<u64>>,
        parallelism: usize,
    ) -> Result<Vec<String>, crate::rest::RestError> {
        let rest = &self.account.rest;
        stream::iter(ranges.into_iter().enumerate())
            .map(|(index, range)| {
                rest.s3_upload_part_copy(
                    &self.bucket,
                    &self.key,
                    &self.upload_id,
                    index + 1,
                    range,
                    self.etag.as_deref(),
                )
            })
            .buffered(parallelism.max(1))
            .try_collect()
            .await
    }

    /// How many parts the copies took.
    pub(crate) fn copied_parts(&self) -> usize {
        lock(&self.parts).len()
    }
}

/// The parts, poisoned or not (they are plain data).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[async_trait]
impl MultipartUpload for PartCopyAppend {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let index = {
            let mut parts = lock(&self.parts);
            parts.push(None);
            parts.len() - 1
        };
        let (store, object, id, parts) = (
            self.store.clone(),
            self.object.clone(),
            self.upload_id.clone(),
            self.parts.clone(),
        );
        Box::pin(async move {
            let part = store.put_part(&object, &id, index, data).await?;
            if let Some(slot) = lock(&parts).get_mut(index) {
                *slot = Some(part.content_id);
            }
            Ok(())
        })
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        let etags: Option<Vec<String>> = lock(&self.parts).iter().cloned().collect();
        let Some(etags) = etags else {
            return Err(OsError::Generic {
                store: "wharf-blob",
                source: "a part of the upload did not finish".into(),
            });
        };
        self.account
            .rest
            .s3_complete_multipart(
                &self.bucket,
                &self.key,
                &self.upload_id,
                &etags,
                self.etag.as_deref(),
            )
            .await
            .map_err(os_err)?;
        self.done = true;
        Ok(PutResult {
            e_tag: None,
            version: None,
            extensions: Default::default(),
        })
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        self.store
            .abort_multipart(&self.object, &self.upload_id)
            .await?;
        self.done = true;
        Ok(())
    }
}

impl Drop for PartCopyAppend {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(key = %self.key, "multipart upload left behind: no runtime to abort it");
            return;
        };
        let (store, object, id) = (
            self.store.clone(),
            self.object.clone(),
            self.upload_id.clone(),
        );
        runtime.spawn(async move {
            if let Err(err) = store.abort_multipart(&object, &id).await {
                tracing::warn!(%object, %err, "could not abort a multipart upload");
            }
        });
    }
}
