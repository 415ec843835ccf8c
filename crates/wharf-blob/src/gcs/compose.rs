//! `APPE` to a GCS object larger than one part, kept server-side: the new
//! bytes go to a resumable upload of a companion object, which `complete`
//! composes after the old object (GCS's `compose`, conditional on the
//! old object's generation) and then deletes. Nothing of the old object
//! travels.
//!
//! The companion (`NAME.wharf-append-RANDOM`, beside the object) exists
//! only between the end of the upload and the compose, a moment; an
//! aborted upload never creates it (an unfinished resumable upload is no
//! object). A server that dies in that moment leaves it behind, visible.
//! The result is a composite object: GCS keeps no MD5 of it, so checksum
//! commands read it.

use std::sync::Arc;

use async_trait::async_trait;
use object_store::path::Path;
use object_store::{MultipartUpload, PutPayload, PutResult, UploadPart};

use super::resumable::Resumable;
use super::store::os_err;
use crate::rest::Rest;

/// The new bytes' upload, composed onto the old object on `complete`.
#[derive(Debug)]
pub(crate) struct ComposeAppend {
    rest: Arc<Rest>,
    bucket: String,
    key: String,
    /// The old object's generation, seen at open.
    generation: String,
    /// The companion object's name.
    companion: String,
    upload: Resumable,
}

impl ComposeAppend {
    /// Starts the companion's upload for an append to `key` of `bucket`,
    /// whose generation is `generation`.
    pub(crate) async fn start(
        rest: Arc<Rest>,
        bucket: &str,
        key: &str,
        generation: String,
    ) -> Result<Self, object_store::Error> {
        let companion = format!("{key}.wharf-append-{:016x}", fastrand::u64(..));
        let location = Path::from(companion.as_str());
        let upload = Resumable::start(rest.clone(), bucket, &location, &[])
            .await
            .map_err(|err| os_err(err, &location))?;
        Ok(Self {
            rest,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            generation,
            companion,
            upload,
        })
    }
}

#[async_trait]
impl MultipartUpload for ComposeAppend {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        self.upload.put_part(data)
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        let put = self.upload.complete().await?;
        let composed = self
            .rest
            .gcs_compose(
                &self.bucket,
                &self.key,
                &[&self.key, &self.companion],
                &self.generation,
            )
            .await;
        // The companion goes whether or not the compose succeeded.
        if let Err(err) = self
            .rest
            .gcs_delete_object(&self.bucket, &self.companion)
            .await
        {
            tracing::warn!(companion = %self.companion, %err, "could not delete an append's companion object");
        }
        composed.map_err(|err| os_err(err, &Path::from(self.key.as_str())))?;
        Ok(PutResult {
            e_tag: None,
            version: None,
            extensions: put.extensions,
        })
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        self.upload.abort().await
    }
}
