//! [`GcsStore`]: object_store's `ObjectStore` for one GCS bucket, reading
//! through object_store's GCS client and writing through the JSON API
//! (see the [module docs](super) for why).

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use http::StatusCode;
use object_store::gcp::GoogleCloudStorage;
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, CopyMode, CopyOptions, GetOptions, GetResult, ListResult,
    MultipartUpload, ObjectMeta, ObjectStore, PutMode, PutMultipartOptions, PutOptions, PutPayload,
    PutResult,
};

use super::resumable::Resumable;
use crate::rest::gcs::Precondition;
use crate::rest::{Rest, RestError};

/// What `Display` and errors call this store.
const STORE: &str = "GCS";

/// One bucket. Its `Debug` is its `Display` (the bucket's name):
/// object_store's own `Debug` of the client shows its configuration.
pub(crate) struct GcsStore {
    /// object_store's client: reads, listings, the credential.
    pub(crate) inner: GoogleCloudStorage,
    /// The JSON API calls.
    pub(crate) rest: Arc<Rest>,
    /// The bucket's name.
    pub(crate) bucket: String,
}

impl std::fmt::Display for GcsStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.inner)
    }
}

impl std::fmt::Debug for GcsStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.inner)
    }
}

/// A JSON API failure as the object_store error its status means, so
/// callers see `NotFound`, `Precondition` and so on as from any store; the
/// [`RestError`] stays the source, for its GCS reason.
pub(crate) fn os_err(err: RestError, path: &Path) -> object_store::Error {
    use object_store::Error as E;
    let path = path.to_string();
    let source = Box::new(err);
    match source.status() {
        Some(StatusCode::NOT_FOUND) => E::NotFound { path, source },
        Some(StatusCode::PRECONDITION_FAILED) => E::Precondition { path, source },
        Some(StatusCode::CONFLICT) => E::AlreadyExists { path, source },
        Some(StatusCode::UNAUTHORIZED) => E::Unauthenticated { path, source },
        Some(StatusCode::FORBIDDEN) => E::PermissionDenied { path, source },
        _ => E::Generic {
            store: STORE,
            source,
        },
    }
}

/// The user metadata among `attributes` (GCS keeps no other attribute
/// that wharf-blob writes).
pub(crate) fn metadata_of(attributes: &Attributes) -> Vec<(String, String)> {
    attributes
        .iter()
        .filter_map(|(attribute, value)| match attribute {
            Attribute::Metadata(key) => Some((key.to_string(), value.to_string())),
            _ => None,
        })
        .collect()
}

#[async_trait]
impl ObjectStore for GcsStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        let precondition = match &opts.mode {
            PutMode::Overwrite => Precondition::None,
            PutMode::Create => Precondition::Absent,
            PutMode::Update(version) => match &version.version {
                Some(generation) => Precondition::Generation(generation.clone()),
                None => {
                    return Err(object_store::Error::Generic {
                        store: STORE,
                        source: "a conditional update needs the object's generation".into(),
                    });
                }
            },
        };
        let metadata = metadata_of(&opts.attributes);
        let result = self
            .rest
            .gcs_upload(
                &self.bucket,
                location.as_ref(),
                Bytes::from(payload),
                &metadata,
                &precondition,
            )
            .await;
        match result {
            Ok(object) => Ok(PutResult {
                e_tag: object.etag,
                version: object.generation,
                extensions: http::Extensions::default(),
            }),
            Err(err) => match (os_err(err, location), precondition) {
                (object_store::Error::Precondition { path, source }, Precondition::Absent) => {
                    Err(object_store::Error::AlreadyExists { path, source })
                }
                (err, _) => Err(err),
            },
        }
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        let metadata = metadata_of(&opts.attributes);
        let upload = Resumable::start(self.rest.clone(), &self.bucket, location, &metadata)
            .await
            .map_err(|err| os_err(err, location))?;
        Ok(Box::new(upload))
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        let (rest, bucket) = (self.rest.clone(), self.bucket.clone());
        locations
            .and_then(move |path| {
                let (rest, bucket) = (rest.clone(), bucket.clone());
                async move {
                    // Deleting what is not there succeeds, as on S3.
                    match rest.gcs_delete_object(&bucket, path.as_ref()).await {
                        Ok(_) => Ok(path),
                        Err(err) => Err(os_err(err, &path)),
                    }
                }
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        let precondition = match options.mode {
            CopyMode::Create => Precondition::Absent,
            _ => Precondition::None,
        };
        let copied = self
            .rest
            .gcs_rewrite(
                &self.bucket,
                from.as_ref(),
                &self.bucket,
                to.as_ref(),
                &precondition,
            )
            .await
            .map_err(|err| match (os_err(err, to), &precondition) {
                (object_store::Error::Precondition { path, source }, Precondition::Absent) => {
                    object_store::Error::AlreadyExists { path, source }
                }
                (err, _) => err,
            })?;
        if copied {
            Ok(())
        } else {
            Err(object_store::Error::NotFound {
                path: from.to_string(),
                source: "the copy's source does not exist".into(),
            })
        }
    }
}
