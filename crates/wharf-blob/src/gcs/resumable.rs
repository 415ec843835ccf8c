//! Uploads larger than one part: a JSON API resumable upload session, fed
//! the parts in order as `object_store`'s `MultipartUpload`.
//!
//! A session takes its bytes in order only, each chunk but the last a
//! multiple of 256 KiB, and the last one names the total. wharf-blob's
//! uploads may keep more than one part in flight, so each part waits for
//! the one before it to be sent ([`Turns`]) and then goes at its offset. Every
//! part but the last is a multiple of 8 MiB; a part that is no multiple of
//! 256 KiB can only be the last, and goes as the final chunk. When the
//! last part happened to be a multiple, `complete` finishes the session
//! with an empty chunk that names the total (`bytes */TOTAL`).
//!
//! Aborting deletes the session, and GCS drops what it held: an unfinished
//! resumable upload never becomes an object.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use http::{Method, StatusCode};
use object_store::path::Path;
use object_store::{MultipartUpload, PutPayload, PutResult, UploadPart};
use tokio::sync::watch;

use super::store::os_err;
use crate::rest::gcs::ObjectResource;
use crate::rest::{Rest, RestError, enc};

/// A chunk's granule: every chunk but the last is a multiple of it.
const GRANULE: u64 = 256 * 1024;

/// Whose turn it is to send.
#[derive(Debug, Clone, Copy)]
struct Turns {
    /// The index of the part that may send now.
    next: usize,
    /// A part failed: the rest must not send.
    failed: bool,
}

/// One session.
#[derive(Debug)]
struct Session {
    rest: Arc<Rest>,
    /// The session URI GCS handed out.
    uri: String,
    path: Path,
    turns: watch::Sender<Turns>,
    /// The object, once the final chunk made it.
    done: Mutex<Option<ObjectResource>>,
}

/// A resumable upload as a `MultipartUpload`.
#[derive(Debug)]
pub(crate) struct Resumable {
    session: Arc<Session>,
    parts: usize,
    length: u64,
}

impl Resumable {
    /// Opens a session for `key` of `bucket`, with user `metadata`.
    pub(crate) async fn start(
        rest: Arc<Rest>,
        bucket: &str,
        path: &Path,
        metadata: &[(String, String)],
    ) -> Result<Self, RestError> {
        let url = format!(
            "{}/upload/storage/v1/b/{}/o?uploadType=resumable&name={}",
            rest.endpoint,
            enc(bucket),
            enc(path.as_ref())
        );
        let map: serde_json::Map<String, serde_json::Value> = metadata
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let mut resource = serde_json::json!({ "name": path.as_ref() });
        if !map.is_empty() {
            resource["metadata"] = serde_json::Value::Object(map);
        }
        let headers = [(
            "content-type",
            "application/json; charset=UTF-8".to_string(),
        )];
        let response = rest
            .send(
                Method::POST,
                &url,
                &headers,
                Bytes::from(resource.to_string()),
            )
            .await?
            .ok()?;
        let uri = response
            .header("location")
            .ok_or_else(|| {
                RestError::Malformed("GCS opened an upload session without its URI".into())
            })?
            .to_string();
        Ok(Self {
            session: Arc::new(Session {
                rest,
                uri,
                path: path.clone(),
                turns: watch::Sender::new(Turns {
                    next: 0,
                    failed: false,
                }),
                done: Mutex::new(None),
            }),
            parts: 0,
            length: 0,
        })
    }
}

impl Session {
    /// Sends `bytes` at `offset`; a chunk that is no multiple of the
    /// granule is the last and names the total.
    async fn send(&self, offset: u64, bytes: PutPayload) -> Result<(), RestError> {
        let length = bytes.content_length() as u64;
        if length == 0 {
            return Ok(());
        }
        let end = offset + length - 1;
        let last = !length.is_multiple_of(GRANULE);
        let range = if last {
            format!("bytes {offset}-{end}/{}", offset + length)
        } else {
            format!("bytes {offset}-{end}/*")
        };
        self.put(range, bytes).await
    }

    /// One `PUT` to the session: `308` means GCS wants more, success that
    /// the object exists.
    async fn put(&self, range: String, bytes: impl Into<PutPayload>) -> Result<(), RestError> {
        let headers = [("content-range", range)];
        let response = self
            .rest
            .send(Method::PUT, &self.uri, &headers, bytes)
            .await?;
        if response.status == StatusCode::PERMANENT_REDIRECT {
            return Ok(());
        }
        let response = response.ok()?;
        let object: ObjectResource = serde_json::from_slice(&response.body).unwrap_or_default();
        *self
            .done
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(object);
        Ok(())
    }

    fn finished(&self) -> Option<ObjectResource> {
        self.done
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl MultipartUpload for Resumable {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let (index, offset) = (self.parts, self.length);
        self.parts += 1;
        self.length += data.content_length() as u64;
        let session = self.session.clone();
        Box::pin(async move {
            let mut turns = session.turns.subscribe();
            let turn = turns
                .wait_for(|t| t.failed || t.next == index)
                .await
                .map(|t| *t);
            if !matches!(turn, Ok(Turns { failed: false, .. })) {
                return Err(object_store::Error::Generic {
                    store: "GCS",
                    source: "an earlier part of the upload failed".into(),
                });
            }
            let result = session.send(offset, data).await;
            session.turns.send_modify(|t| match result {
                Ok(()) => t.next += 1,
                Err(_) => t.failed = true,
            });
            result.map_err(|err| os_err(err, &session.path))
        })
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        let session = &self.session;
        if session.finished().is_none() {
            // The last part was a whole number of granules: name the total.
            session
                .put(format!("bytes */{}", self.length), Bytes::new())
                .await
                .map_err(|err| os_err(err, &session.path))?;
        }
        let object = session.finished().unwrap_or_default();
        Ok(PutResult {
            e_tag: object.etag,
            version: object.generation,
            extensions: http::Extensions::default(),
        })
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        // GCS answers 499 to a cancelled session; any answer will do.
        let session = &self.session;
        session
            .rest
            .send(Method::DELETE, &session.uri, &[], Bytes::new())
            .await
            .map(drop)
            .map_err(|err| os_err(err, &session.path))
    }
}
