//! Renames: a file is a server-side copy and a delete; a folder (or a
//! container) is a server-side copy of every blob under it, a few at a
//! time, then the deletion of the sources once every copy succeeded.

use futures_util::{StreamExt, TryStreamExt, stream};
use wharf_vfs::{VPath, VfsError, VfsErrorKind};

use crate::bucket::{Bucket, Kind, Loc};
use crate::client::Client;
use crate::errors::ResultExt;

/// A folder or container rename that did not complete. Nothing is lost:
/// see each variant for what is where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenameError {
    /// Some copies failed; every source blob is still in place, and the
    /// copies that succeeded exist under the new name too.
    #[error(
        "rename stopped: {failed} of {total} blobs could not be copied (sources left in place, {copied} copies made): {first}"
    )]
    CopyFailed {
        /// Blobs to copy.
        total: usize,
        /// Copies made.
        copied: usize,
        /// Copies that failed.
        failed: usize,
        /// The first failure.
        first: String,
    },
    /// Every blob was copied, but some sources could not be deleted: they
    /// exist under both names.
    #[error(
        "rename copied all {total} blobs but could not delete {left} of the originals: {first}"
    )]
    DeleteFailed {
        /// Blobs copied.
        total: usize,
        /// Originals left.
        left: usize,
        /// The first failure.
        first: String,
    },
}

/// Every blob name under `prefix` (markers included), streamed page by
/// page from the store but collected: the sources are deleted only after
/// every copy succeeded.
pub(crate) async fn keys_under(
    bucket: &Bucket,
    prefix: &str,
    path: &VPath,
) -> Result<Vec<String>, VfsError> {
    let mut keys = Vec::new();
    match &bucket.client {
        Client::Azure(_) => {
            let mut marker = None;
            loop {
                let page = bucket
                    .account
                    .rest
                    .az_list_blobs(&bucket.name, prefix, false, marker.as_deref(), 5000)
                    .await
                    .at(path)?;
                keys.extend(page.blobs.into_iter().map(|b| b.name));
                match page.next {
                    Some(next) => marker = Some(next),
                    None => break,
                }
            }
        }
        Client::S3(_) => {
            let root = object_store::path::Path::parse(prefix.trim_end_matches('/'))
                .map_err(|err| VfsError::invalid_name(path).with_source(err))?;
            let root = (!prefix.is_empty()).then_some(&root);
            let mut listing = bucket.client.store().list(root);
            while let Some(meta) = listing.try_next().await.at(path)? {
                keys.push(meta.location.as_ref().to_string());
            }
        }
    }
    Ok(keys)
}

/// Copies every blob under `from_prefix` of `from` to the same name under
/// `to_prefix` of `to`, then deletes the sources.
pub(crate) async fn move_prefix(
    from: &Bucket,
    from_prefix: &str,
    to: &Bucket,
    to_prefix: &str,
    path: &VPath,
    delete_sources: bool,
) -> Result<(), VfsError> {
    let keys = keys_under(from, from_prefix, path).await?;
    let parallel = from.account.config.copy_parallelism;
    let rest = &from.account.rest;
    let copies = keys.iter().cloned().map(|key| {
        let target = format!("{to_prefix}{}", &key[from_prefix.len()..]);
        async move {
            rest.copy_blob(&from.name, &key, &to.name, &target)
                .await
                .at(path)
                .map(drop)
        }
    });
    let results: Vec<Result<(), VfsError>> = stream::iter(copies)
        .buffer_unordered(parallel)
        .collect()
        .await;
    let failures: Vec<VfsError> = results.into_iter().filter_map(Result::err).collect();
    if let Some(first) = failures.first() {
        let kind = failure_kind(&failures);
        let err = RenameError::CopyFailed {
            total: keys.len(),
            copied: keys.len() - failures.len(),
            failed: failures.len(),
            first: first.to_string(),
        };
        return Err(VfsError::new(kind).with_path(path).with_source(err));
    }
    if !delete_sources {
        return Ok(());
    }
    let deletes = keys
        .iter()
        .cloned()
        .map(|key| async move { from.delete_key(&key, path).await });
    let results: Vec<Result<(), VfsError>> = stream::iter(deletes)
        .buffer_unordered(parallel)
        .collect()
        .await;
    let failures: Vec<VfsError> = results.into_iter().filter_map(Result::err).collect();
    if let Some(first) = failures.first() {
        let kind = failure_kind(&failures);
        let err = RenameError::DeleteFailed {
            total: keys.len(),
            left: failures.len(),
            first: first.to_string(),
        };
        return Err(VfsError::new(kind).with_path(path).with_source(err));
    }
    Ok(())
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
        target.require_dir(to.path, to.parent()).await?;
        let existing = target.kind(to).await?;
        match source {
            Kind::Missing => return Err(VfsError::not_found(from.path)),
            Kind::File(_) => {
                if matches!(existing, Kind::Dir) {
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
                match existing {
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
        self.keep_folder(from.path, &from.parent()).await
    }
}
