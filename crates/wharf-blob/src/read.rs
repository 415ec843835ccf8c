//! Downloads: a streamed ranged `GET` from the client's offset, with no
//! request before it: the `GET` itself says whether a file has the name
//! and how long it is (its answer carries the size and the ETag, which
//! object_store pins any resumed read of the body to), so a download costs
//! one request. Only when it fails (`404`, or an offset at or past the
//! end) does the `HEAD` of the old way run, to give the right error: a
//! folder's `IsADirectory`, `NotFound`, `InvalidOffset`, or the empty
//! reader of an offset at the end.

use std::io;

use futures_util::TryStreamExt;
use object_store::{GetOptions, GetRange};
use tokio_util::io::StreamReader;
use wharf_vfs::{OpenedFile, VfsError};

use crate::bucket::{Bucket, Kind, Loc};
use crate::errors::store_err;

/// Opens the file at `loc` from `offset` (`REST` + `RETR`): only the bytes
/// from `offset` on are requested from the store. The answer's size (the
/// whole blob's) comes along, so the server need not ask for it first. Where a `HEAD` goes
/// first (see the module docs), a blob replaced between it and the `GET`
/// is opened again, so a reader always gets one whole version.
pub(crate) async fn open(
    bucket: &Bucket,
    loc: &Loc<'_>,
    offset: u64,
) -> Result<OpenedFile, VfsError> {
    let mut attempts = 0;
    loop {
        match open_once(bucket, loc, offset).await {
            Ok(reader) => return Ok(reader),
            Err(Retry::Replaced) if attempts < 5 => attempts += 1,
            Err(Retry::Replaced) => return Err(VfsError::transient(Replaced).with_path(loc.path)),
            Err(Retry::Failed(err)) => return Err(err),
        }
    }
}

/// The blob kept changing while it was opened.
#[derive(Debug, thiserror::Error)]
#[error("the blob was replaced while it was being opened")]
struct Replaced;

/// Why one attempt failed.
enum Retry {
    Replaced,
    Failed(VfsError),
}

impl From<VfsError> for Retry {
    fn from(err: VfsError) -> Self {
        Self::Failed(err)
    }
}

async fn open_once(bucket: &Bucket, loc: &Loc<'_>, offset: u64) -> Result<OpenedFile, Retry> {
    if !loc.parts.is_empty() && !bucket.is_placeholder(loc.name()) {
        let object = Bucket::object(&loc.key(), loc.path)?;
        let options = GetOptions {
            range: (offset > 0).then_some(GetRange::Offset(offset)),
            ..GetOptions::default()
        };
        match bucket.client.store().get_opts(&object, options).await {
            Ok(result) => return Ok(opened(result, loc.path)),
            Err(object_store::Error::NotFound { .. }) => {
                // No file: what is there instead, without a second look
                // for the file the GET did not find.
                return Err(match bucket.folder_kind(loc).await? {
                    Kind::Dir => VfsError::is_a_directory(loc.path),
                    Kind::File(_) | Kind::Missing => bucket.missing(loc).await,
                }
                .into());
            }
            Err(err) => {
                let err = store_err(err, loc.path);
                // A range from an offset at or past the end is refused
                // (416, or an answer object_store finds no range in): the
                // HEAD below tells an empty read from an invalid offset.
                // A store that is down or refuses is not asked again.
                use wharf_vfs::VfsErrorKind as K;
                if offset == 0 || matches!(err.kind(), K::Transient | K::PermissionDenied) {
                    return Err(err.into());
                }
            }
        }
    }
    pinned(bucket, loc, offset).await
}

/// The body of a `GET` as a reader, with the blob's size from the
/// answer. A failure mid-stream reaches the session as the VfsError it is,
/// with its reason (a store that stopped answering, or went away).
fn opened(result: object_store::GetResult, path: &wharf_vfs::VPath) -> OpenedFile {
    let size = result.meta.size;
    let path = path.clone();
    let stream = result
        .into_stream()
        .map_err(move |err| io::Error::other(store_err(err, &path)));
    OpenedFile {
        reader: Box::new(StreamReader::new(stream)),
        size: Some(size),
    }
}

/// The download after a `HEAD`: `offset` checked against the size, and the
/// `GET` pinned to the ETag the `HEAD` saw.
async fn pinned(bucket: &Bucket, loc: &Loc<'_>, offset: u64) -> Result<OpenedFile, Retry> {
    let info = match bucket.kind(loc).await? {
        Kind::File(info) => info,
        Kind::Dir => return Err(VfsError::is_a_directory(loc.path).into()),
        Kind::Missing => return Err(bucket.missing(loc).await.into()),
    };
    if offset > info.size {
        return Err(VfsError::invalid_offset(loc.path).into());
    }
    if offset == info.size {
        return Ok(OpenedFile {
            reader: Box::new(tokio::io::empty()),
            size: Some(info.size),
        });
    }
    let object = Bucket::object(&loc.key(), loc.path)?;
    let options = GetOptions {
        range: (offset > 0).then_some(GetRange::Offset(offset)),
        if_match: info.etag.clone(),
        ..GetOptions::default()
    };
    let result = match bucket.client.store().get_opts(&object, options).await {
        Ok(result) => result,
        Err(object_store::Error::Precondition { .. } | object_store::Error::NotFound { .. }) => {
            return Err(Retry::Replaced);
        }
        Err(err) => return Err(Retry::Failed(store_err(err, loc.path))),
    };
    Ok(opened(result, loc.path))
}
