//! The file and folder operations inside one bucket.

use std::time::SystemTime;

use object_store::ObjectStoreExt;
use wharf_vfs::{DirStream, Metadata, Upload, VfsError, WriteMode};

use crate::bucket::{Bucket, Content, Kind, Loc};
use crate::client::Client;
use crate::errors::ResultExt;
use crate::list::{list_existing_folder, list_folder};
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

    /// A file's name is `NotADirectory` (a file is checked first, as
    /// everywhere); otherwise the listing's first page is the folder's
    /// existence check (`list.rs`), so a folder costs a `HEAD` and its
    /// pages.
    pub(crate) async fn list(&self, loc: &Loc<'_>) -> Result<DirStream, VfsError> {
        if loc.parts.is_empty() {
            return Ok(list_folder(self.clone(), loc.prefix(), loc.path.clone()));
        }
        if self.head(loc).await?.is_some() {
            return Err(VfsError::not_a_directory(loc.path));
        }
        if self.is_placeholder(loc.name()) {
            return Err(self.missing(loc).await);
        }
        match list_existing_folder(self.clone(), loc.prefix(), loc.path.clone()).await? {
            Some(stream) => Ok(stream),
            None => Err(self.missing(loc).await),
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
        match self.kind_expecting_nothing(loc).await? {
            Kind::Missing => self.put_marker(&loc.prefix(), loc.path).await,
            _ => Err(VfsError::already_exists(loc.path)),
        }
    }

    pub(crate) async fn rmdir(&self, loc: &Loc<'_>) -> Result<(), VfsError> {
        if loc.parts.is_empty() {
            return Err(VfsError::permission_denied(loc.path));
        }
        // A file first; then one listing of two entries says both whether
        // the folder exists (anything under it, its marker included) and
        // whether it holds more than its marker.
        if self.head(loc).await?.is_some() {
            return Err(VfsError::not_a_directory(loc.path));
        }
        let prefix = loc.prefix();
        let content = match self.is_placeholder(loc.name()) {
            true => Content::Nothing,
            false => self.content(&prefix, loc.path).await?,
        };
        match content {
            Content::Nothing => return Err(self.missing(loc).await),
            Content::More => return Err(VfsError::directory_not_empty(loc.path)),
            Content::MarkerOnly => {}
        }
        self.delete_key(&self.marker_key(&prefix), loc.path).await?;
        self.keep_folder(loc.path, &loc.parent()).await
    }

    pub(crate) async fn remove_file(&self, loc: &Loc<'_>) -> Result<(), VfsError> {
        if matches!(self.client, Client::Azure(_)) {
            return self.remove_azure_file(loc).await;
        }
        match self.kind(loc).await? {
            Kind::File(_) => {}
            Kind::Dir => return Err(VfsError::is_a_directory(loc.path)),
            Kind::Missing => return Err(self.missing(loc).await),
        }
        let object = Bucket::object(&loc.key(), loc.path)?;
        self.client.store().delete(&object).await.at(loc.path)?;
        self.keep_folder(loc.path, &loc.parent()).await
    }

    /// `DELE` on Azure: the `Delete Blob` goes first, and its answer is the
    /// check: `404` means no file had the name, and only then is the
    /// folder probed, for the error (`IsADirectory` for a folder,
    /// `NotFound` or `NotADirectory` else). S3 answers `204` to deleting
    /// a missing key, so there the `HEAD` still goes first (a `550` for a
    /// missing file needs it). The placeholder's name is never deleted
    /// here: it is no file. One `Delete Blob` serves every credential
    /// (object_store deletes through Blob Batch, a request as costly,
    /// which Azurite answers with 500 under an account SAS).
    async fn remove_azure_file(&self, loc: &Loc<'_>) -> Result<(), VfsError> {
        if loc.parts.is_empty() {
            return Err(VfsError::is_a_directory(loc.path));
        }
        let deleted = if self.is_placeholder(loc.name()) {
            false
        } else {
            Bucket::object(&loc.key(), loc.path)?;
            self.account
                .rest
                .az_delete_blob(&self.name, &loc.key())
                .await
                .at(loc.path)?
        };
        if !deleted {
            return Err(match self.folder_kind(loc).await? {
                Kind::Dir => VfsError::is_a_directory(loc.path),
                Kind::File(_) | Kind::Missing => self.missing(loc).await,
            });
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
