//! Listings that stream page by page: one request per page, the next one
//! only when the consumer has taken every entry of the last. A folder's
//! first page is also its existence check ([`list_existing_folder`]): the
//! marker and any blob under the prefix show in it, so no probe goes
//! before it.

use futures_util::{StreamExt, stream};
use wharf_vfs::{DirEntry, DirStream, Metadata, VPath, VfsError};

use crate::bucket::Bucket;
use crate::client::Client;
use crate::errors::ResultExt;
use crate::names::decode;

/// Where a paged listing stands.
enum Cursor {
    Start,
    Next(String),
    Done,
}

/// One page of entries.
type Page = Vec<Result<DirEntry, VfsError>>;

/// Turns a page fetcher into a stream of entries.
fn paged<F, Fut>(fetch: F) -> DirStream
where
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(Page, Option<String>), VfsError>> + Send + 'static,
{
    paged_from(Cursor::Start, fetch)
}

/// Turns a page fetcher into a stream of the entries from `cursor` on.
fn paged_from<F, Fut>(cursor: Cursor, fetch: F) -> DirStream
where
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(Page, Option<String>), VfsError>> + Send + 'static,
{
    let pages = stream::unfold((cursor, fetch), |(cursor, mut fetch)| async move {
        let token = match cursor {
            Cursor::Start => None,
            Cursor::Next(token) => Some(token),
            Cursor::Done => return None,
        };
        match fetch(token).await {
            Ok((entries, next)) => {
                let cursor = next.map_or(Cursor::Done, Cursor::Next);
                Some((entries, (cursor, fetch)))
            }
            Err(err) => Some((vec![Err(err)], (Cursor::Done, fetch))),
        }
    });
    Box::pin(pages.flat_map(stream::iter))
}

/// The entry name of a listed key or prefix below `prefix`, or `None` for
/// keys that are not shown (the folder's own marker, placeholders).
fn child_name(bucket: &Bucket, prefix: &str, key: &str) -> Option<Vec<u8>> {
    let rest = key.strip_prefix(prefix)?.trim_end_matches('/');
    if rest.is_empty() || rest.contains('/') {
        return None;
    }
    let name = decode(rest);
    if key.ends_with('/') {
        return Some(name);
    }
    let hidden = std::str::from_utf8(&name).is_ok_and(|n| bucket.is_placeholder(n));
    (!hidden).then_some(name)
}

/// The entries of the folder `prefix` of `bucket`.
pub(crate) fn list_folder(bucket: Bucket, prefix: String, path: VPath) -> DirStream {
    list_folder_from(bucket, prefix, path, Cursor::Start)
}

fn list_folder_from(bucket: Bucket, prefix: String, path: VPath, cursor: Cursor) -> DirStream {
    paged_from(cursor, move |token| {
        let (bucket, prefix, path) = (bucket.clone(), prefix.clone(), path.clone());
        async move {
            let (entries, next, _) = folder_page(&bucket, &prefix, &path, token).await?;
            Ok((entries, next))
        }
    })
}

/// The entries of the folder `prefix` of `bucket` if it exists (anything,
/// its marker included, is stored under the prefix), else `None`. The
/// first page is fetched now and is the check: a folder costs no probe
/// before its listing, and in the account view a missing container is
/// the page's `404` (`NotFound`). Pages that show nothing but promise
/// more (a store may cut a page short) are followed until one shows
/// something or the listing ends.
pub(crate) async fn list_existing_folder(
    bucket: Bucket,
    prefix: String,
    path: VPath,
) -> Result<Option<DirStream>, VfsError> {
    let mut token = None;
    loop {
        let (entries, next, stored) = folder_page(&bucket, &prefix, &path, token).await?;
        if stored > 0 {
            let cursor = next.map_or(Cursor::Done, Cursor::Next);
            let rest = list_folder_from(bucket, prefix, path, cursor);
            return Ok(Some(Box::pin(stream::iter(entries).chain(rest))));
        }
        match next {
            Some(next) => token = Some(next),
            None => return Ok(None),
        }
    }
}

/// One page of the folder `prefix`: its entries, the next page's token,
/// and how many names the store listed (hidden markers included).
async fn folder_page(
    bucket: &Bucket,
    prefix: &str,
    path: &VPath,
    token: Option<String>,
) -> Result<(Page, Option<String>, usize), VfsError> {
    let page_size = bucket.account.config.page_size;
    let mut entries = Vec::new();
    match &bucket.client {
        Client::Azure(_) => {
            let page = bucket
                .account
                .rest
                .az_list_blobs(&bucket.name, prefix, true, token.as_deref(), page_size)
                .await
                .at(path)?;
            let stored = page.blobs.len() + page.prefixes.len();
            for blob in page.blobs {
                if blob.name.ends_with('/') {
                    continue; // a marker: the folder's own, or one seen as a prefix
                }
                if let Some(name) = child_name(bucket, prefix, &blob.name) {
                    let mut meta = Metadata::file(blob.size);
                    if let Some(time) = blob.mtime.or(blob.modified) {
                        meta = meta.with_modified(time);
                    }
                    entries.push(Ok(DirEntry::new(name, meta)));
                }
            }
            for dir in page.prefixes {
                if let Some(name) = child_name(bucket, prefix, &dir) {
                    entries.push(Ok(DirEntry::new(name, Metadata::dir())));
                }
            }
            Ok((entries, page.next, stored))
        }
        Client::S3(_) | Client::Gcs(_) => {
            let page = bucket
                .client
                .list_page(prefix, token, page_size)
                .await
                .at(path)?;
            let stored = page.result.objects.len() + page.result.common_prefixes.len();
            for object in page.result.objects {
                let key = object.location.as_ref();
                if let Some(name) = child_name(bucket, prefix, key) {
                    let meta =
                        Metadata::file(object.size).with_modified(object.last_modified.into());
                    entries.push(Ok(DirEntry::new(name, meta)));
                }
            }
            for dir in page.result.common_prefixes {
                let key = format!("{}/", dir.as_ref());
                if let Some(name) = child_name(bucket, prefix, &key) {
                    entries.push(Ok(DirEntry::new(name, Metadata::dir())));
                }
            }
            Ok((entries, page.page_token, stored))
        }
    }
}

/// The account's containers (Azure, paged) as folders with their public
/// access as mode bits; S3's buckets, or a GCS project's (paged).
pub(crate) fn list_containers(
    account: std::sync::Arc<crate::client::Account>,
    path: VPath,
) -> DirStream {
    if let crate::config::Store::Gcs { project, .. } = &account.config.store {
        let project = project.clone().unwrap_or_default();
        return paged(move |token| {
            let (account, path, project) = (account.clone(), path.clone(), project.clone());
            async move {
                let page_size = account.config.page_size;
                let (buckets, next) = account
                    .rest
                    .gcs_list_buckets(&project, token.as_deref(), page_size)
                    .await
                    .at(&path)?;
                Ok((bucket_entries(buckets), next))
            }
        });
    }
    if !account.config.store.is_azure() {
        return paged(move |_| {
            let (account, path) = (account.clone(), path.clone());
            async move {
                let buckets = account.rest.s3_list_buckets().await.at(&path)?;
                Ok((bucket_entries(buckets), None))
            }
        });
    }
    paged(move |token| {
        let (account, path) = (account.clone(), path.clone());
        async move {
            let page_size = account.config.page_size;
            let (containers, next) = account
                .rest
                .az_list_containers(token.as_deref(), page_size)
                .await
                .at(&path)?;
            let entries = containers
                .into_iter()
                .map(|c| {
                    let mut meta = Metadata::dir().with_mode(c.access.mode());
                    if let Some(modified) = c.modified {
                        meta = meta.with_modified(modified);
                    }
                    Ok(DirEntry::new(c.name, meta))
                })
                .collect();
            Ok((entries, next))
        }
    })
}

/// Buckets (S3, GCS) as folders, dated by their creation.
fn bucket_entries(buckets: Vec<crate::rest::s3::BucketItem>) -> Page {
    buckets
        .into_iter()
        .map(|b| {
            let mut meta = Metadata::dir();
            if let Some(created) = b.created {
                meta = meta.with_modified(created);
            }
            Ok(DirEntry::new(b.name, meta))
        })
        .collect()
}
