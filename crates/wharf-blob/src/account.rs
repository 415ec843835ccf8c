//! The account view's top level: containers (Azure) or buckets (S3, a GCS
//! project's) as folders.

use wharf_vfs::{DirStream, Metadata, VPath, VfsError};

use crate::blobfs::BlobFs;
use crate::config::Store;
use crate::errors::ResultExt;
use crate::list::{list_containers, list_existing_folder};
use crate::rename::move_prefix;
use crate::rest::azure::PublicAccess;
use crate::rest::s3::Created;

impl BlobFs {
    /// The container's metadata, or `None` if there is no such container.
    pub(crate) async fn container_meta(
        &self,
        name: &str,
        path: &VPath,
    ) -> Result<Option<Metadata>, VfsError> {
        if !self.account.config.store.valid_container_name(name) {
            return Ok(None);
        }
        let rest = &self.account.rest;
        if self.account.config.store.is_gcs() {
            let created = rest.gcs_bucket(name).await.at(path)?;
            return Ok(created.map(|time| match time {
                Some(time) => Metadata::dir().with_modified(time),
                None => Metadata::dir(),
            }));
        }
        if self.account.config.store.is_azure() {
            Ok(rest.az_container(name).await.at(path)?.map(|c| {
                let meta = Metadata::dir().with_mode(c.access.mode());
                match c.modified {
                    Some(time) => meta.with_modified(time),
                    None => meta,
                }
            }))
        } else {
            let exists = rest.s3_bucket_exists(name).await.at(path)?;
            Ok(exists.then(Metadata::dir))
        }
    }

    /// Fails with `NotFound` unless the container exists.
    pub(crate) async fn require_container(&self, name: &str, path: &VPath) -> Result<(), VfsError> {
        match self.container_meta(name, path).await? {
            Some(_) => Ok(()),
            None => Err(VfsError::not_found(path)),
        }
    }

    pub(crate) fn list_root(&self, path: &VPath) -> DirStream {
        list_containers(self.account.clone(), path.clone())
    }

    /// A container's top folder. Its first page is fetched now: a missing
    /// container is that page's `404`, so no check goes before it. An
    /// empty container lists nothing; a name that is no container's cannot
    /// be asked about (`NotFound` before any request).
    pub(crate) async fn list_container(
        &self,
        name: &str,
        path: &VPath,
    ) -> Result<DirStream, VfsError> {
        if !self.account.config.store.valid_container_name(name) {
            return Err(VfsError::not_found(path));
        }
        let bucket = self.bucket(name, path)?;
        let listed = list_existing_folder(bucket, String::new(), path.clone()).await?;
        Ok(listed.unwrap_or_else(|| Box::pin(futures_util::stream::empty())))
    }

    /// `MKD /name`: a new container.
    pub(crate) async fn create_container(&self, name: &str, path: &VPath) -> Result<(), VfsError> {
        if !self.account.config.store.valid_container_name(name) {
            return Err(VfsError::invalid_name(path));
        }
        let rest = &self.account.rest;
        let created = if let Store::Gcs { project, .. } = &self.account.config.store {
            // GCS creates buckets in a project; without one, none.
            let Some(project) = project else {
                return Err(VfsError::unsupported(path));
            };
            rest.gcs_create_bucket(project, name).await.at(path)? == Created::Yes
        } else if self.account.config.store.is_azure() {
            rest.az_create_container(name).await.at(path)?
        } else {
            // In us-east-1, S3 answers 200 to re-creating one's own bucket.
            !rest.s3_bucket_exists(name).await.at(path)?
                && rest.s3_create_bucket(name).await.at(path)? == Created::Yes
        };
        if created {
            Ok(())
        } else {
            Err(VfsError::already_exists(path))
        }
    }

    /// `RMD /name`: deletes an empty container (never a recursive delete).
    pub(crate) async fn delete_container(&self, name: &str, path: &VPath) -> Result<(), VfsError> {
        self.require_container(name, path).await?;
        let bucket = self.bucket(name, path)?;
        if bucket.has_any_blob(path).await? {
            return Err(VfsError::directory_not_empty(path));
        }
        let rest = &self.account.rest;
        let deleted = if self.account.config.store.is_gcs() {
            rest.gcs_delete_bucket(name).await.at(path)?
        } else if self.account.config.store.is_azure() {
            rest.az_delete_container(name).await.at(path)?
        } else {
            rest.s3_delete_bucket(name).await.at(path)?
        };
        self.account.forget(name);
        if deleted {
            Ok(())
        } else {
            Err(VfsError::not_found(path))
        }
    }

    /// `RNFR /a` + `RNTO /b`: creates `b`, copies every blob server-side,
    /// then deletes `a`. Refuses to start if `b` exists.
    pub(crate) async fn rename_container(
        &self,
        from: &str,
        from_path: &VPath,
        to: &str,
        to_path: &VPath,
    ) -> Result<(), VfsError> {
        self.require_container(from, from_path).await?;
        if from == to {
            return Ok(());
        }
        if !self.account.config.store.valid_container_name(to) {
            return Err(VfsError::invalid_name(to_path));
        }
        if self.container_meta(to, to_path).await?.is_some() {
            return Err(VfsError::already_exists(to_path));
        }
        self.create_container(to, to_path).await?;
        let source = self.bucket(from, from_path)?;
        let target = self.bucket(to, to_path)?;
        // The sources go with their container once every copy succeeded.
        move_prefix(&source, "", &target, "", from_path, false).await?;
        if let Err(err) = self.delete_container_unchecked(from, from_path).await {
            tracing::warn!(%from_path, %err, "container copied but the original could not be deleted");
            return Err(err);
        }
        Ok(())
    }

    async fn delete_container_unchecked(&self, name: &str, path: &VPath) -> Result<(), VfsError> {
        let rest = &self.account.rest;
        if self.account.config.store.is_azure() {
            rest.az_delete_container(name).await.at(path)?;
        } else {
            // S3 and GCS delete only empty buckets.
            crate::rename::delete_all(&self.bucket(name, path)?, path).await?;
            if self.account.config.store.is_gcs() {
                rest.gcs_delete_bucket(name).await.at(path)?;
            } else {
                rest.s3_delete_bucket(name).await.at(path)?;
            }
        }
        self.account.forget(name);
        Ok(())
    }

    /// `SITE CHMOD mode /name`: o+rx makes the container public (list and
    /// read), o+r its blobs readable, anything else private. Azure only,
    /// and only where [`BlobConfig::container_access_changes`] allows it
    /// (else `PermissionDenied`, before any request): public access reaches
    /// beyond the users of this view, to anyone who can guess a URL.
    ///
    /// [`BlobConfig::container_access_changes`]: crate::BlobConfig::container_access_changes
    pub(crate) async fn set_container_access(
        &self,
        name: &str,
        path: &VPath,
        mode: u32,
    ) -> Result<(), VfsError> {
        if !self.account.config.store.is_azure() {
            return Err(VfsError::unsupported(path));
        }
        if !self.account.config.container_access_changes {
            return Err(VfsError::permission_denied(path));
        }
        self.require_container(name, path).await?;
        let access = PublicAccess::from_mode(mode);
        self.account.rest.az_set_access(name, access).await.at(path)
    }
}
