//! [`Bucket`]: one container or bucket seen as a directory tree, and the
//! questions every operation asks first (is this a file, a folder,
//! nothing?).
//!
//! Folders are name prefixes. A folder exists while some blob's name starts
//! with `folder/`; an empty one is kept by its marker blob (see
//! [`FolderMarker`]), which listings never show.

use std::sync::Arc;
use std::time::SystemTime;

use object_store::path::Path;
use object_store::{Attribute, GetOptions, ObjectStoreExt};
use wharf_vfs::{VPath, VfsError};

use crate::client::{Account, Client};
use crate::config::FolderMarker;
use crate::errors::ResultExt;
use crate::names::{encode, key_of};
use crate::rest::gcs::Precondition;
use crate::time::{MTIME_KEY, parse_mtime};

/// A location inside a bucket: the client's path (for errors), its
/// components below the view's root, and that root's key prefix (`base`:
/// `""` for the bucket's root, else stored names ending in `/`; see
/// `BlobFs::with_prefix`). Empty `parts` is the view's root, which always
/// exists and can be neither removed nor renamed, whatever `base` is.
#[derive(Debug, Clone)]
pub(crate) struct Loc<'a> {
    pub(crate) path: &'a VPath,
    pub(crate) parts: Vec<&'a str>,
    pub(crate) base: &'a str,
}

impl<'a> Loc<'a> {
    /// The blob name of this location.
    pub(crate) fn key(&self) -> String {
        format!("{}{}", self.base, key_of(&self.parts))
    }

    /// The prefix of everything inside this location as a folder (`base`
    /// for the view's root).
    pub(crate) fn prefix(&self) -> String {
        format!("{}{}", self.base, prefix_of(&self.parts))
    }

    /// The last component.
    pub(crate) fn name(&self) -> &'a str {
        self.parts.last().copied().unwrap_or("")
    }

    /// The parent folder, with this location's path for errors.
    pub(crate) fn parent(&self) -> Loc<'a> {
        Loc {
            path: self.path,
            parts: self.parts[..self.parts.len().saturating_sub(1)].to_vec(),
            base: self.base,
        }
    }
}

/// The folder prefix of `parts`.
pub(crate) fn prefix_of(parts: &[&str]) -> String {
    if parts.is_empty() {
        String::new()
    } else {
        format!("{}/", key_of(parts))
    }
}

/// What a file's `HEAD` told.
#[derive(Debug, Clone)]
pub(crate) struct FileInfo {
    pub(crate) size: u64,
    pub(crate) modified: SystemTime,
    pub(crate) etag: Option<String>,
    /// User metadata, kept when the mtime is set.
    pub(crate) metadata: Vec<(String, String)>,
}

impl FileInfo {
    /// The client's mtime where set, else the store's.
    pub(crate) fn mtime(&self) -> SystemTime {
        self.metadata
            .iter()
            .find(|(k, _)| k == MTIME_KEY)
            .and_then(|(_, v)| parse_mtime(v))
            .unwrap_or(self.modified)
    }
}

/// What a name is.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    File(FileInfo),
    Dir,
    Missing,
}

/// What lies under a folder's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Content {
    /// Nothing: no such folder.
    Nothing,
    /// Its marker alone: an empty folder.
    MarkerOnly,
    /// Something besides its marker.
    More,
}

/// One container or bucket.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    pub(crate) account: Arc<Account>,
    pub(crate) name: String,
    pub(crate) client: Client,
}

impl Bucket {
    /// The object_store path of a key.
    pub(crate) fn object(key: &str, path: &VPath) -> Result<Path, VfsError> {
        Path::parse(key).map_err(|err| VfsError::invalid_name(path).with_source(err))
    }

    /// The marker blob's name for the folder with prefix `prefix`.
    pub(crate) fn marker_key(&self, prefix: &str) -> String {
        match &self.account.config.folder_marker {
            FolderMarker::Placeholder(name) => format!("{prefix}{}", encode(name)),
            FolderMarker::TrailingSlash => prefix.to_string(),
        }
    }

    /// Whether `name` is the placeholder name clients may not use.
    pub(crate) fn is_placeholder(&self, name: &str) -> bool {
        matches!(&self.account.config.folder_marker, FolderMarker::Placeholder(p) if p == name)
    }

    /// The file at `loc`, if one exists (a `HEAD`).
    pub(crate) async fn head(&self, loc: &Loc<'_>) -> Result<Option<FileInfo>, VfsError> {
        if loc.parts.is_empty() || self.is_placeholder(loc.name()) {
            return Ok(None);
        }
        let object = Self::object(&loc.key(), loc.path)?;
        let options = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        match self.client.store().get_opts(&object, options).await {
            Ok(result) => {
                let metadata = result
                    .attributes
                    .iter()
                    .filter_map(|(attr, value)| match attr {
                        Attribute::Metadata(key) => Some((key.to_string(), value.to_string())),
                        _ => None,
                    })
                    .collect();
                Ok(Some(FileInfo {
                    size: result.meta.size,
                    modified: result.meta.last_modified.into(),
                    etag: result.meta.e_tag,
                    metadata,
                }))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(self
                .explained(crate::errors::store_err(err, loc.path))
                .await),
        }
    }

    /// Whether the folder `prefix` has its placeholder (a `HEAD`, cheaper
    /// than a listing on stores that scan for prefixes). `false` when markers
    /// are `folder/` blobs, which object_store cannot address.
    pub(crate) async fn marker_exists(&self, prefix: &str, path: &VPath) -> Result<bool, VfsError> {
        if !matches!(
            self.account.config.folder_marker,
            FolderMarker::Placeholder(_)
        ) {
            return Ok(false);
        }
        let object = Self::object(&self.marker_key(prefix), path)?;
        match self.client.store().head(&object).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(err) => Err(self.explained(crate::errors::store_err(err, path)).await),
        }
    }

    /// A refusal of a `HEAD` with the reason S3 did not send (see
    /// `rest/s3_why.rs`); any other error as it is.
    async fn explained(&self, err: VfsError) -> VfsError {
        if err.kind() != wharf_vfs::VfsErrorKind::PermissionDenied || err.reason().is_some() {
            return err;
        }
        match self
            .account
            .rest
            .s3_refusal_code()
            .await
            .as_deref()
            .and_then(crate::error_codes::meaning)
        {
            Some(meaning) => err.with_reason(meaning.reason),
            None => err,
        }
    }

    /// Whether anything (a blob or a marker) lies under `prefix`.
    pub(crate) async fn has_any(&self, prefix: &str, path: &VPath) -> Result<bool, VfsError> {
        if prefix.is_empty() {
            return Ok(true);
        }
        self.entries_under(prefix, 1, path).await.map(|n| n > 0)
    }

    /// Whether the bucket holds any blob at all.
    pub(crate) async fn has_any_blob(&self, path: &VPath) -> Result<bool, VfsError> {
        self.entries_under("", 1, path).await.map(|n| n > 0)
    }

    /// How many entries (up to about `max`) a delimited listing of `prefix`
    /// shows, markers included.
    async fn entries_under(
        &self,
        prefix: &str,
        max: usize,
        path: &VPath,
    ) -> Result<usize, VfsError> {
        match &self.client {
            Client::Azure(_) => {
                let page = self
                    .account
                    .rest
                    .az_list_blobs(&self.name, prefix, true, None, max)
                    .await
                    .at(path)?;
                Ok(page.blobs.len() + page.prefixes.len())
            }
            Client::S3(_) | Client::Gcs(_) => {
                let page = self.client.list_page(prefix, None, max).await.at(path)?;
                Ok(page.result.objects.len() + page.result.common_prefixes.len())
            }
        }
    }

    /// Whether the folder `prefix` holds anything but its own marker.
    pub(crate) async fn has_content(&self, prefix: &str, path: &VPath) -> Result<bool, VfsError> {
        Ok(self.content(prefix, path).await? == Content::More)
    }

    /// What lies under `prefix`, from one listing of two entries.
    pub(crate) async fn content(&self, prefix: &str, path: &VPath) -> Result<Content, VfsError> {
        let marker = self.marker_key(prefix);
        let (listed, more) = match &self.client {
            Client::Azure(_) => {
                let page = self
                    .account
                    .rest
                    .az_list_blobs(&self.name, prefix, true, None, 2)
                    .await
                    .at(path)?;
                let listed = page.blobs.len() + page.prefixes.len();
                let more = !page.prefixes.is_empty() || page.blobs.iter().any(|b| b.name != marker);
                (listed, more)
            }
            Client::S3(_) | Client::Gcs(_) => {
                let page = self.client.list_page(prefix, None, 2).await.at(path)?;
                let listed = page.result.objects.len() + page.result.common_prefixes.len();
                let more = !page.result.common_prefixes.is_empty()
                    || page
                        .result
                        .objects
                        .iter()
                        .any(|o| o.location.as_ref() != marker);
                (listed, more)
            }
        };
        Ok(match (listed, more) {
            (_, true) => Content::More,
            (0, false) => Content::Nothing,
            (_, false) => Content::MarkerOnly,
        })
    }

    /// What `loc` names: a file (checked first), a folder, or nothing.
    pub(crate) async fn kind(&self, loc: &Loc<'_>) -> Result<Kind, VfsError> {
        if loc.parts.is_empty() {
            return Ok(Kind::Dir);
        }
        if let Some(info) = self.head(loc).await? {
            return Ok(Kind::File(info));
        }
        self.folder_kind(loc).await
    }

    /// What `loc` names when no file has that name: a folder, or nothing.
    /// The marker's `HEAD` first (a read, which stores bill at a tenth of
    /// a listing), then a listing of one entry for a folder kept by its
    /// blobs alone.
    pub(crate) async fn folder_kind(&self, loc: &Loc<'_>) -> Result<Kind, VfsError> {
        if loc.parts.is_empty() {
            return Ok(Kind::Dir);
        }
        if self.is_placeholder(loc.name()) {
            return Ok(Kind::Missing);
        }
        let prefix = loc.prefix();
        if self.marker_exists(&prefix, loc.path).await? || self.has_any(&prefix, loc.path).await? {
            return Ok(Kind::Dir);
        }
        Ok(Kind::Missing)
    }

    /// What `loc` names, for an operation about to create it (`MKD`), which
    /// expects nothing there: a file (checked first), else one listing of
    /// the prefix, which shows a marker and any blob alike, so a free name
    /// costs two requests instead of three. In the account view that
    /// listing is also the container's check: a missing container is its
    /// `404`.
    pub(crate) async fn kind_expecting_nothing(&self, loc: &Loc<'_>) -> Result<Kind, VfsError> {
        if loc.parts.is_empty() {
            return Ok(Kind::Dir);
        }
        if let Some(info) = self.head(loc).await? {
            return Ok(Kind::File(info));
        }
        if self.is_placeholder(loc.name()) {
            return Ok(Kind::Missing);
        }
        if self.has_any(&loc.prefix(), loc.path).await? {
            return Ok(Kind::Dir);
        }
        Ok(Kind::Missing)
    }

    /// The error for a missing `loc`: `NotADirectory` when an ancestor is a
    /// file, else `NotFound`.
    pub(crate) async fn missing(&self, loc: &Loc<'_>) -> VfsError {
        for end in (1..loc.parts.len()).rev() {
            let ancestor = Loc {
                path: loc.path,
                parts: loc.parts[..end].to_vec(),
                base: loc.base,
            };
            match self.head(&ancestor).await {
                Ok(Some(_)) => return VfsError::not_a_directory(loc.path),
                Ok(None) => {}
                Err(err) => return err,
            }
        }
        VfsError::not_found(loc.path)
    }

    /// Succeeds if `loc` is a folder (the parent of something about to
    /// be made at `path`).
    pub(crate) async fn require_dir(&self, path: &VPath, loc: Loc<'_>) -> Result<(), VfsError> {
        // The common case first, in one request: the folder has something.
        let prefix = loc.prefix();
        if loc.parts.is_empty()
            || self.marker_exists(&prefix, path).await?
            || self.has_any(&prefix, path).await?
        {
            return Ok(());
        }
        match self.kind(&loc).await? {
            Kind::Dir => Ok(()),
            Kind::File(_) => Err(VfsError::not_a_directory(path)),
            Kind::Missing => Err(match self.missing(&loc).await {
                err if err.kind() == wharf_vfs::VfsErrorKind::NotADirectory => err,
                _ => VfsError::not_found(path),
            }),
        }
    }

    /// Writes the folder marker for `prefix`.
    pub(crate) async fn put_marker(&self, prefix: &str, path: &VPath) -> Result<(), VfsError> {
        let key = self.marker_key(prefix);
        let rest = &self.account.rest;
        match &self.client {
            Client::Azure(_) => rest.az_put_empty(&self.name, &key).await.at(path),
            Client::S3(_) => rest.s3_put_empty(&self.name, &key).await.at(path),
            Client::Gcs(_) => rest
                .gcs_upload(
                    &self.name,
                    &key,
                    bytes::Bytes::new(),
                    &[],
                    &Precondition::None,
                )
                .await
                .at(path)
                .map(drop),
        }
    }

    /// Deletes a blob by name (markers ending in `/` included).
    pub(crate) async fn delete_key(&self, key: &str, path: &VPath) -> Result<(), VfsError> {
        let rest = &self.account.rest;
        match &self.client {
            Client::Azure(_) => rest
                .az_delete_blob(&self.name, key)
                .await
                .at(path)
                .map(drop),
            Client::S3(_) => rest.s3_delete_object(&self.name, key).await.at(path),
            Client::Gcs(_) => rest
                .gcs_delete_object(&self.name, key)
                .await
                .at(path)
                .map(drop),
        }
    }

    /// Keeps the folder `folder` in existence after something left it: if
    /// it is now empty, its marker is written. The view's root needs none.
    pub(crate) async fn keep_folder(&self, path: &VPath, folder: &Loc<'_>) -> Result<(), VfsError> {
        let prefix = folder.prefix();
        if folder.parts.is_empty() || self.has_any(&prefix, path).await? {
            return Ok(());
        }
        self.put_marker(&prefix, path).await
    }
}
