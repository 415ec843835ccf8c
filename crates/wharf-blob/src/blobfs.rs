//! [`BlobFs`] and its [`Vfs`] implementation: routes each path to the
//! account's top level or into a container.

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use wharf_vfs::{
    Capabilities, DirStream, FileReader, Metadata, OpenedFile, Upload, VPath, Vfs, VfsError,
    VfsErrorKind, WriteMode,
};

use crate::bucket::{Bucket, Loc};
use crate::client::Account;
use crate::config::{BlobConfig, FolderMarker, View};
use crate::errors::{BlobError, store_err};
use crate::names::components;
use crate::read;
use crate::refusal::Operation;

/// An object store served as a file system: one container or bucket as `/`,
/// or a whole account with its containers as the top-level folders. See
/// the [crate docs](crate) for the design.
///
/// Cheap to clone; clones share their HTTP connections.
#[derive(Debug, Clone)]
pub struct BlobFs {
    pub(crate) account: Arc<Account>,
    /// The key prefix of `/` in the container view (`prefix.rs`).
    pub(crate) base: Arc<str>,
}

/// Where a path leads.
enum Route<'a> {
    /// `/` of the account view.
    Root,
    /// `/name` of the account view: a container.
    Container(&'a str),
    /// Inside a container.
    Inside(Bucket, Loc<'a>),
}

impl BlobFs {
    /// Serves the store as `config` says. No request is made yet.
    pub fn new(config: BlobConfig) -> Result<Self, BlobError> {
        if config.folder_marker == FolderMarker::TrailingSlash && !config.store.is_azure() {
            return Err(BlobError::Config(
                "`folder/` marker blobs are supported on Azure only".into(),
            ));
        }
        if let FolderMarker::Placeholder(name) = &config.folder_marker
            && (name.is_empty() || name.contains('/'))
        {
            return Err(BlobError::Config(format!("bad placeholder name {name:?}")));
        }
        if let (View::Account, crate::config::Store::Gcs { project: None, .. }) =
            (&config.view, &config.store)
        {
            return Err(BlobError::Config(
                "the account view of GCS lists a project's buckets: name the project".into(),
            ));
        }
        if let View::Container(name) = &config.view
            && !config.store.valid_container_name(name)
        {
            return Err(BlobError::Config(format!("bad container name {name:?}")));
        }
        Ok(Self {
            account: Arc::new(Account::new(config)?),
            base: Arc::from(""),
        })
    }

    /// The configuration this was built from.
    pub fn config(&self) -> &BlobConfig {
        &self.account.config
    }

    /// The bucket client for `name`.
    pub(crate) fn bucket(&self, name: &str, path: &VPath) -> Result<Bucket, VfsError> {
        let client = self
            .account
            .client(name)
            .map_err(|err| store_err(err, path))?;
        Ok(Bucket {
            account: self.account.clone(),
            name: name.to_string(),
            client,
        })
    }

    fn route<'a>(&'a self, path: &'a VPath) -> Result<Route<'a>, VfsError> {
        let parts = components(path)?;
        match &self.account.config.view {
            View::Container(name) => {
                let base = &self.base;
                Ok(Route::Inside(
                    self.bucket(name, path)?,
                    Loc { path, parts, base },
                ))
            }
            View::Account => match parts.split_first() {
                None => Ok(Route::Root),
                Some((name, [])) => Ok(Route::Container(name)),
                Some((name, rest)) => {
                    if !self.account.config.store.valid_container_name(name) {
                        return Err(VfsError::not_found(path));
                    }
                    let loc = Loc {
                        path,
                        parts: rest.to_vec(),
                        base: "",
                    };
                    Ok(Route::Inside(self.bucket(name, path)?, loc))
                }
            },
        }
    }

    /// In the account view, fails with `NotFound` unless the container of
    /// an in-container path exists (before writing into it).
    async fn check_container(&self, bucket: &Bucket, path: &VPath) -> Result<(), VfsError> {
        match self.account.config.view {
            View::Account => self.require_container(&bucket.name, path).await,
            _ => Ok(()),
        }
    }

    /// `result` of an operation that makes something in `bucket` (`create`,
    /// `mkdir`) without checking its container first: each of them lists
    /// under a prefix before it succeeds, and a missing container is that
    /// listing's `404`, so the container's own request is saved. Only a
    /// failure that could have come before that listing (a bad name, a
    /// file in the way, a refusal) asks about the container, so the client
    /// hears what it heard when the container was checked first:
    /// `NotFound` for a missing container, whatever else was wrong.
    /// `NotFound` needs no check (it is the answer either way), nor does
    /// a failure to reach the store (checking would only wait for it
    /// twice).
    async fn container_first<T>(
        &self,
        bucket: &Bucket,
        path: &VPath,
        result: Result<T, VfsError>,
    ) -> Result<T, VfsError> {
        match result {
            Err(err)
                if !matches!(
                    err.kind(),
                    VfsErrorKind::NotFound | VfsErrorKind::Transient | VfsErrorKind::Other
                ) =>
            {
                self.check_container(bucket, path).await?;
                Err(err)
            }
            result => result,
        }
    }

    /// `IsADirectory` for an existing container, else `NotFound`.
    async fn container_is_dir(&self, name: &str, path: &VPath) -> VfsError {
        match self.container_meta(name, path).await {
            Ok(Some(_)) => VfsError::is_a_directory(path),
            Ok(None) => VfsError::not_found(path),
            Err(err) => err,
        }
    }
}

#[async_trait]
impl Vfs for BlobFs {
    async fn metadata(&self, path: &VPath) -> Result<Metadata, VfsError> {
        match self.route(path)? {
            Route::Root => Ok(Metadata::dir()),
            Route::Container(name) => {
                self.account.foresee(Operation::ReadContainer, path)?;
                self.container_meta(name, path)
                    .await?
                    .ok_or_else(|| VfsError::not_found(path))
            }
            Route::Inside(bucket, loc) => {
                // A HEAD's 403 has no body to say why; the token may.
                self.account.foresee(Operation::ReadBlob, path)?;
                bucket.metadata(&loc).await
            }
        }
    }

    async fn stored_md5(&self, path: &VPath) -> Result<Option<[u8; 16]>, VfsError> {
        match self.route(path)? {
            Route::Inside(bucket, loc) => bucket.stored_md5(&loc).await,
            Route::Root | Route::Container(_) => Ok(None),
        }
    }

    async fn list(&self, path: &VPath) -> Result<DirStream, VfsError> {
        match self.route(path)? {
            Route::Root => {
                self.account.foresee(Operation::ListContainers, path)?;
                Ok(self.list_root(path))
            }
            Route::Container(name) => {
                self.account.foresee(Operation::ListBlobs, path)?;
                self.list_container(name, path).await
            }
            Route::Inside(bucket, loc) => {
                self.account.foresee(Operation::ListBlobs, path)?;
                bucket.list(&loc).await
            }
        }
    }

    async fn open_read(&self, path: &VPath, offset: u64) -> Result<FileReader, VfsError> {
        Ok(self.open_read_sized(path, offset).await?.reader)
    }

    async fn open_read_sized(&self, path: &VPath, offset: u64) -> Result<OpenedFile, VfsError> {
        match self.route(path)? {
            Route::Root => Err(VfsError::is_a_directory(path)),
            Route::Container(name) => Err(self.container_is_dir(name, path).await),
            Route::Inside(bucket, loc) => {
                self.account.foresee(Operation::ReadBlob, path)?;
                read::open(&bucket, &loc, offset).await
            }
        }
    }

    async fn create(&self, path: &VPath, mode: WriteMode) -> Result<Box<dyn Upload>, VfsError> {
        match self.route(path)? {
            Route::Root => Err(VfsError::is_a_directory(path)),
            Route::Container(name) => match self.container_meta(name, path).await? {
                Some(_) => Err(VfsError::is_a_directory(path)),
                // Blobs live in containers: nothing can be stored at the top.
                None => Err(VfsError::permission_denied(path)),
            },
            Route::Inside(bucket, loc) => {
                self.account.foresee(Operation::WriteBlob, path)?;
                let created = bucket.create(&loc, mode).await;
                self.container_first(&bucket, path, created).await
            }
        }
    }

    async fn mkdir(&self, path: &VPath) -> Result<(), VfsError> {
        match self.route(path)? {
            Route::Root => Err(VfsError::already_exists(path)),
            Route::Container(name) => {
                self.account.foresee(Operation::CreateContainer, path)?;
                self.create_container(name, path).await
            }
            Route::Inside(bucket, loc) => {
                self.account.foresee(Operation::WriteBlob, path)?;
                let made = bucket.mkdir(&loc).await;
                self.container_first(&bucket, path, made).await
            }
        }
    }

    async fn rmdir(&self, path: &VPath) -> Result<(), VfsError> {
        match self.route(path)? {
            Route::Root => Err(VfsError::permission_denied(path)),
            Route::Container(name) => {
                self.account.foresee(Operation::DeleteContainer, path)?;
                self.delete_container(name, path).await
            }
            Route::Inside(bucket, loc) => {
                self.account.foresee(Operation::DeleteBlob, path)?;
                bucket.rmdir(&loc).await
            }
        }
    }

    async fn remove_file(&self, path: &VPath) -> Result<(), VfsError> {
        match self.route(path)? {
            Route::Root => Err(VfsError::is_a_directory(path)),
            Route::Container(name) => Err(self.container_is_dir(name, path).await),
            Route::Inside(bucket, loc) => {
                self.account.foresee(Operation::DeleteBlob, path)?;
                bucket.remove_file(&loc).await
            }
        }
    }

    async fn rename(&self, from: &VPath, to: &VPath) -> Result<(), VfsError> {
        // A rename is a copy, then a delete of the source.
        self.account.foresee(Operation::WriteBlob, to)?;
        self.account.foresee(Operation::DeleteBlob, from)?;
        match (self.route(from)?, self.route(to)?) {
            (Route::Container(a), Route::Container(b)) => {
                self.rename_container(a, from, b, to).await
            }
            (Route::Inside(source, from_loc), Route::Inside(target, to_loc))
                if source.name == target.name =>
            {
                source.rename(&from_loc, &to_loc).await
            }
            (Route::Inside(source, from_loc), Route::Inside(target, to_loc)) => {
                self.check_container(&target, to).await?;
                source.move_to(&from_loc, &target, &to_loc).await
            }
            _ => Err(VfsError::permission_denied(from)),
        }
    }

    async fn set_mtime(&self, path: &VPath, modified: SystemTime) -> Result<(), VfsError> {
        match self.route(path)? {
            Route::Inside(bucket, loc) => {
                self.account.foresee(Operation::WriteBlob, path)?;
                bucket.set_mtime(&loc, modified).await
            }
            _ => Err(VfsError::unsupported(path)),
        }
    }

    async fn set_permissions(&self, path: &VPath, mode: u32) -> Result<(), VfsError> {
        match self.route(path)? {
            Route::Container(name) => {
                self.account.foresee(Operation::SetContainerAccess, path)?;
                self.set_container_access(name, path, mode).await
            }
            _ => Err(VfsError::unsupported(path)),
        }
    }

    fn capabilities(&self) -> Capabilities {
        let config = &self.account.config;
        Capabilities::none()
            .with_set_mtime(true)
            .with_append(true)
            .with_resume(true)
            .with_set_permissions(config.view == View::Account && config.store.is_azure())
            .with_renames_by_copy(true)
    }
}
