//! The file and folder operations inside one bucket.

use std::time::SystemTime;

use object_store::ObjectStoreExt;
use wharf_vfs::{DirStream, Metadata, Upload, VfsError, WriteMode};

use crate::bucket::{Bucket, Kind, Loc};
use crate::client::Client;
use crate::errors::ResultExt;
use crate::list::list_folder;
use crate::parts::Limits;
use crate::time::{MTIME_KEY, format_mtime};
use crate::upload::BlobUpload;

impl Bucket {
    /// Fails with `InvalidName` for the placeholder name.
    fn check_name(&self, loc: &Loc<'_>) -> Result<(), VfsError> {
        if self.is_placeholder(loc.name()) {
            return Err(VfsError::invalid_name(loc.path));
        }
        Ok(())
    }

    pub(crate) async fn metadata(&self, loc: &Loc<'_>) -> Result<Metadata, VfsError> {
        match self.kind(loc).await? {
            Kind::File(info) => Ok(Metadata::file(info.size).with_modified(info.mtime())),
            Kind::Dir => Ok(Metadata::dir()),
            Kind::Missing => Err(self.missing(loc).await),
        }
    }

    pub(crate) async fn list(&self, loc: &Loc<'_>) -> Result<DirStream, VfsError> {
        match self.kind(loc).await? {
            Kind::Dir => Ok(list_folder(self.clone(), loc.prefix(), loc.path.clone())),
            Kind::File(_) => Err(VfsError::not_a_directory(loc.path)),
            Kind::Missing => Err(self.missing(loc).await),
        }
    }

    pub(crate) async fn create(
        &self,
        loc: &Loc<'_>,
        mode: WriteMode,
    ) -> Result<Box<dyn Upload>, VfsError> {
        if loc.parts.is_empty() {
            return Err(VfsError::is_a_directory(loc.path));
        }
        self.check_name(loc)?;
        let object = Bucket::object(&loc.key(), loc.path)?;
        self.require_dir(loc.path, loc.parent()).await?;
        if self.has_any(&loc.prefix(), loc.path).await? {
            return Err(VfsError::is_a_directory(loc.path));
        }
        let kept = self.kept_prefix(loc, mode).await?;
        let limits = match self.client {
            Client::Azure(_) => Limits::AZURE,
            Client::S3(_) => Limits::S3,
            Client::Gcs(_) => Limits::GCS,
        };
        Ok(Box::new(BlobUpload::start(
            self.client.clone(),
            object,
            loc.path.clone(),
            limits,
            kept,
            self.account.config.upload_memory.clone(),
        )))
    }

    pub(crate) async fn mkdir(&self, loc: &Loc<'_>) -> Result<(), VfsError> {
        if loc.parts.is_empty() {
            return Err(VfsError::already_exists(loc.path));
        }
        self.check_name(loc)?;
        Bucket::object(&loc.key(), loc.path)?;
        self.require_dir(loc.path, loc.parent()).await?;
        match self.kind(loc).await? {
            Kind::Missing => self.put_marker(&loc.prefix(), loc.path).await,
            _ => Err(VfsError::already_exists(loc.path)),
        }
    }

    pub(crate) async fn rmdir(&self, loc: &Loc<'_>) -> Result<(), VfsError> {
        if loc.parts.is_empty() {
            return Err(VfsError::permission_denied(loc.path));
        }
        match self.kind(loc).await? {
            Kind::File(_) => return Err(VfsError::not_a_directory(loc.path)),
            Kind::Missing => return Err(self.missing(loc).await),
            Kind::Dir => {}
        }
        let prefix = loc.prefix();
        if self.has_content(&prefix, loc.path).await? {
            return Err(VfsError::directory_not_empty(loc.path));
        }
        self.delete_key(&self.marker_key(&prefix), loc.path).await?;
        self.keep_folder(loc.path, &loc.parent()).await
    }

    pub(crate) async fn remove_file(&self, loc: &Loc<'_>) -> Result<(), VfsError> {
        match self.kind(loc).await? {
            Kind::File(_) => {}
            Kind::Dir => return Err(VfsError::is_a_directory(loc.path)),
            Kind::Missing => return Err(self.missing(loc).await),
        }
        let object = Bucket::object(&loc.key(), loc.path)?;
        if self.account.rest.signs_with_sas() || self.account.rest.signs_with_entra() {
            // object_store deletes through Blob Batch, which Azurite
            // answers with 500 under an account SAS; one Delete Blob works
            // with every credential, so SAS and token sessions use it.
            self.delete_key(&loc.key(), loc.path).await?;
        } else {
            self.client.store().delete(&object).await.at(loc.path)?;
        }
        self.keep_folder(loc.path, &loc.parent()).await
    }

    /// The MD5 the store keeps of a file (see `rest/stored_md5.rs`).
    pub(crate) async fn stored_md5(&self, loc: &Loc<'_>) -> Result<Option<[u8; 16]>, VfsError> {
        if loc.parts.is_empty() {
            return Ok(None);
        }
        let key = loc.key();
        let rest = &self.account.rest;
        match self.client {
            Client::Azure(_) => rest.az_content_md5(&self.name, &key).await,
            Client::S3(_) => rest.s3_plain_md5(&self.name, &key).await,
            Client::Gcs(_) => rest.gcs_md5(&self.name, &key).await,
        }
        .at(loc.path)
    }

    pub(crate) async fn set_mtime(&self, loc: &Loc<'_>, when: SystemTime) -> Result<(), VfsError> {
        let info = match self.kind(loc).await? {
            Kind::File(info) => info,
            Kind::Dir => return Err(VfsError::unsupported(loc.path)),
            Kind::Missing => return Err(self.missing(loc).await),
        };
        let mut metadata: Vec<(String, String)> = info
            .metadata
            .into_iter()
            .filter(|(k, _)| k != MTIME_KEY)
            .collect();
        metadata.push((MTIME_KEY.to_string(), format_mtime(when)));
        let key = loc.key();
        let rest = &self.account.rest;
        let found = match self.client {
            Client::Azure(_) => rest.az_set_metadata(&self.name, &key, &metadata).await,
            Client::S3(_) => rest.s3_set_metadata(&self.name, &key, &metadata).await,
            Client::Gcs(_) => rest.gcs_set_metadata(&self.name, &key, &metadata).await,
        }
        .at(loc.path)?;
        if found {
            Ok(())
        } else {
            Err(VfsError::not_found(loc.path))
        }
    }
}
