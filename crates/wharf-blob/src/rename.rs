//! Renames: a file is a server-side copy and a delete; a folder (or a
//! container) is a server-side copy of every blob under it, one listing
//! page at a time: list a page, copy its blobs a few at a time, delete
//! their sources once every copy of the page succeeded, then the next page.
//!
//! Memory is one page of names (`BlobConfig::page_size`, 1000 by default,
//! about 100 bytes each), whatever the size of the folder. The price is
//! that a rename that fails half-way leaves the folder split: the pages
//! before the failure are moved, the failed page's sources are all still in
//! place (with some copies made), the pages after it untouched. Nothing is
//! lost, and [`RenameError`] says which case it is. Deleting only after the
//! whole folder was copied would need every name kept (or a second listing
//! that could delete a file written into the folder meanwhile, never
//! copied).

use futures_util::{StreamExt, stream};
use wharf_vfs::{VPath, VfsError, VfsErrorKind};

use crate::bucket::{Bucket, Kind, Loc};
use crate::client::Client;
use crate::errors::ResultExt;

/// A folder or container rename that did not complete. Nothing is lost:
/// see each variant for what is where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenameError {
    /// Some copies of one page of blobs failed. The `moved` blobs of the
    /// pages before it exist under the new name only (under both names in
    /// a container rename, whose sources go with the old container at the
    /// end); every source blob of this page is still in place, and the
    /// copies that succeeded exist under the new name too; the blobs after
    /// it were not touched.
    #[error(
        "rename stopped: {failed} of {batch} blobs could not be copied (their sources left in place, {copied} copies made; {moved} blobs before them already moved, later ones untouched): {first}"
    )]
    CopyFailed {
        /// Blobs of earlier pages, moved.
        moved: usize,
        /// Blobs in the page that failed.
        batch: usize,
        /// Copies of that page made.
        copied: usize,
        /// Copies of that page that failed.
        failed: usize,
        /// The first failure.
        first: String,
    },
    /// Every blob of one page was copied, but some of its sources could
    /// not be deleted: they exist under both names. The `moved` blobs of
    /// earlier pages exist under the new name only; later blobs were not
    /// touched.
    #[error(
        "rename stopped: {batch} blobs were copied but {left} of the originals could not be deleted ({moved} blobs before them already moved, later ones untouched): {first}"
    )]
    DeleteFailed {
        /// Blobs of earlier pages, moved.
        moved: usize,
        /// Blobs in the page, all copied.
        batch: usize,
        /// Originals of that page left.
        left: usize,
        /// The first failure.
        first: String,
    },
}

/// One page of the blob names under `prefix` (markers included, however
/// deep), and the token of the next page.
pub(crate) async fn keys_page(
    bucket: &Bucket,
    prefix: &str,
    token: Option<String>,
    path: &VPath,
) -> Result<(Vec<String>, Option<String>), VfsError> {
    let page_size = bucket.account.config.page_size;
    match &bucket.client {
        Client::Azure(_) => {
            let page = bucket
                .account
                .rest
                .az_list_blobs(&bucket.name, prefix, false, token.as_deref(), page_size)
                .await
                .at(path)?;
            let keys = page.blobs.into_iter().map(|b| b.name).collect();
            Ok((keys, page.next))
        }
        Client::S3(_) | Client::Gcs(_) => {
            let page = bucket
                .client
                .list_flat_page(prefix, token, page_size)
                .await
                .at(path)?;
            let keys = page
                .result
                .objects
                .into_iter()
                .map(|meta| meta.location.as_ref().to_string())
                .collect();
            Ok((keys, page.page_token))
        }
    }
}

/// Runs `tasks`, `parallel` at a time; the failures.
async fn failures_of<T>(tasks: impl Iterator<Item = T>, parallel: usize) -> Vec<VfsError>
where
    T: Future<Output = Result<(), VfsError>>,
{
    let results: Vec<Result<(), VfsError>> = stream::iter(tasks)
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    results.into_iter().filter_map(Result::err).collect()
}

/// Copies every blob under `from_prefix` of `from` to the same name under
/// `to_prefix` of `to`, page by page, deleting each page's sources after
/// its copies when `delete_sources` (see the module docs).
pub(crate) async fn move_prefix(
    from: &Bucket,
    from_prefix: &str,
    to: &Bucket,
    to_prefix: &str,
    path: &VPath,
    delete_sources: bool,
) -> Result<(), VfsError> {
    let parallel = from.account.config.copy_parallelism;
    let rest = &from.account.rest;
    let mut moved = 0;
    let mut token = None;
    loop {
        let (keys, next) = keys_page(from, from_prefix, token, path).await?;
        let copies = keys.iter().cloned().map(|key| async move {
            let target = format!("{to_prefix}{}", &key[from_prefix.len()..]);
            rest.copy_blob(&from.name, &key, &to.name, &target)
                .await
                .at(path)
                .map(drop)
        });
        let failures = failures_of(copies, parallel).await;
        if let Some(first) = failures.first() {
            let err = RenameError::CopyFailed {
                moved,
                batch: keys.len(),
                copied: keys.len() - failures.len(),
                failed: failures.len(),
                first: first.to_string(),
            };
            return Err(rename_failed(&failures, err, path));
        }
        if delete_sources {
            let deletes = keys
                .iter()
                .cloned()
                .map(|key| async move { from.delete_key(&key, path).await });
            let failures = failures_of(deletes, parallel).await;
            if let Some(first) = failures.first() {
                let err = RenameError::DeleteFailed {
                    moved,
                    batch: keys.len(),
                    left: failures.len(),
                    first: first.to_string(),
                };
                return Err(rename_failed(&failures, err, path));
            }
        }
        moved += keys.len();
        match next {
            Some(next) => token = Some(next),
            None => return Ok(()),
        }
    }
}

/// Deletes every blob of `bucket`, page by page (S3 deletes only empty
/// buckets).
pub(crate) async fn delete_all(bucket: &Bucket, path: &VPath) -> Result<(), VfsError> {
    let parallel = bucket.account.config.copy_parallelism;
    let mut token = None;
    loop {
        let (keys, next) = keys_page(bucket, "", token, path).await?;
        let deletes = keys
            .iter()
            .cloned()
            .map(|key| async move { bucket.delete_key(&key, path).await });
        let failures = failures_of(deletes, parallel).await;
        if let Some(first) = failures.into_iter().next() {
            return Err(first);
        }
        match next {
            Some(next) => token = Some(next),
            None => return Ok(()),
        }
    }
}

/// The error for a page that failed: transient if every failure was.
fn rename_failed(failures: &[VfsError], err: RenameError, path: &VPath) -> VfsError {
    VfsError::new(failure_kind(failures))
        .with_path(path)
        .with_source(err)
}

/// Transient if every failure was.
fn failure_kind(failures: &[VfsError]) -> VfsErrorKind {
    if failures.iter().all(VfsError::is_transient) {
        VfsErrorKind::Transient
    } else {
        VfsErrorKind::Other
    }
}

impl Bucket {
    /// Renames a file or folder inside this container.
    pub(crate) async fn rename(&self, from: &Loc<'_>, to: &Loc<'_>) -> Result<(), VfsError> {
        let source = self.source_for_move(from, self, to).await?;
        if from.parts == to.parts {
            return Ok(());
        }
        if matches!(source, Kind::Dir) && to.parts.starts_with(&from.parts) {
            return Err(VfsError::invalid_name(to.path));
        }
        self.move_source(from, source, self, to).await
    }

    /// Moves a file or folder into another container of the account.
    pub(crate) async fn move_to(
        &self,
        from: &Loc<'_>,
        target: &Bucket,
        to: &Loc<'_>,
    ) -> Result<(), VfsError> {
        let source = self.source_for_move(from, target, to).await?;
        self.move_source(from, source, target, to).await
    }

    /// The checks both moves share; what `from` is.
    async fn source_for_move(
        &self,
        from: &Loc<'_>,
        target: &Bucket,
        to: &Loc<'_>,
    ) -> Result<Kind, VfsError> {
        if from.parts.is_empty() || to.parts.is_empty() {
            return Err(VfsError::permission_denied(from.path));
        }
        if target.is_placeholder(to.name()) {
            return Err(VfsError::invalid_name(to.path));
        }
        Bucket::object(&to.key(), to.path)?;
        match self.kind(from).await? {
            Kind::Missing => Err(VfsError::not_found(from.path)),
            source => Ok(source),
        }
    }

    /// Copies `source` (at `from` here) to `to` in `target` server-side,
    /// then deletes it here.
    async fn move_source(
        &self,
        from: &Loc<'_>,
        source: Kind,
        target: &Bucket,
        to: &Loc<'_>,
    ) -> Result<(), VfsError> {
        // Within one folder of one container, the source file just seen
        // there shows the folder exists, and it cannot empty the folder.
        let same_folder = matches!(source, Kind::File(_))
            && self.name == target.name
            && from.base == to.base
            && from.parent().parts == to.parent().parts;
        if !same_folder {
            target.require_dir(to.path, to.parent()).await?;
        }
        match source {
            Kind::Missing => return Err(VfsError::not_found(from.path)),
            Kind::File(_) => {
                if target.is_folder_only(to).await? {
                    return Err(VfsError::is_a_directory(to.path));
                }
                let rest = &self.account.rest;
                if !rest
                    .copy_blob(&self.name, &from.key(), &target.name, &to.key())
                    .await
                    .at(from.path)?
                {
                    return Err(VfsError::not_found(from.path));
                }
                self.delete_key(&from.key(), from.path).await?;
            }
            Kind::Dir => {
                match target.kind(to).await? {
                    Kind::File(_) => return Err(VfsError::not_a_directory(to.path)),
                    Kind::Dir if target.has_content(&to.prefix(), to.path).await? => {
                        return Err(VfsError::directory_not_empty(to.path));
                    }
                    Kind::Dir => {
                        let marker = target.marker_key(&to.prefix());
                        target.delete_key(&marker, to.path).await?;
                    }
                    Kind::Missing => {}
                }
                move_prefix(self, &from.prefix(), target, &to.prefix(), from.path, true).await?;
            }
        }
        if same_folder {
            return Ok(());
        }
        self.keep_folder(from.path, &from.parent()).await
    }

    /// Whether `loc` is a folder and no file (a file's name is a file's,
    /// as `kind` says): the listing goes first, since a file's rename
    /// target is usually free, and a free name then costs one request;
    /// the `HEAD` runs only when something is under the prefix.
    async fn is_folder_only(&self, loc: &Loc<'_>) -> Result<bool, VfsError> {
        if loc.parts.is_empty() {
            return Ok(true);
        }
        if !self.has_any(&loc.prefix(), loc.path).await? {
            return Ok(false);
        }
        Ok(self.head(loc).await?.is_none())
    }
}
