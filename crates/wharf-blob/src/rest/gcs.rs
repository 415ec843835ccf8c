//! GCS JSON API calls: buckets, object metadata and its MD5, uploads in
//! one request, copies (`rewriteTo`) and deletes. See [`crate::gcs`] for
//! why writes take the JSON API and reads object_store's XML API.
//!
//! Object names go into URL paths whole, `/` encoded as `%2F`, as the JSON
//! API wants (`/storage/v1/b/BUCKET/o/OBJECT`).

use std::time::SystemTime;

use base64::Engine;
use bytes::Bytes;
use http::{Method, StatusCode};
use serde::Deserialize;

use super::s3::{BucketItem, Created};
use super::{Response, Rest, RestError, enc};
use crate::time::parse_http_date;

/// An object as the JSON API describes it (the fields read here).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ObjectResource {
    /// Its generation: the version a conditional write names.
    #[serde(default)]
    pub(crate) generation: Option<String>,
    /// Its ETag.
    #[serde(default)]
    pub(crate) etag: Option<String>,
    /// Base64 of the content's MD5; absent for composite objects.
    #[serde(default)]
    pub(crate) md5_hash: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BucketList {
    #[serde(default)]
    items: Vec<BucketResource>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BucketResource {
    name: String,
    #[serde(default)]
    time_created: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RewriteAnswer {
    #[serde(default)]
    done: bool,
    #[serde(default)]
    rewrite_token: Option<String>,
}

/// What a conditional write requires of the object it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Precondition {
    /// Nothing.
    None,
    /// That no live object has the name (`ifGenerationMatch=0`).
    Absent,
    /// That the live object is this generation.
    Generation(String),
}

impl Precondition {
    /// The query parameter, with its leading `&`.
    fn query(&self) -> String {
        match self {
            Self::None => String::new(),
            Self::Absent => "&ifGenerationMatch=0".to_string(),
            Self::Generation(generation) => format!("&ifGenerationMatch={}", enc(generation)),
        }
    }
}

/// The reason in a JSON API error body (`{"error": {"errors": [{"reason":
/// "forbidden"}], ...}}`), GCS's counterpart of Azure's and S3's `<Code>`.
pub(crate) fn json_reason(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Body {
        error: Error,
    }
    #[derive(Deserialize)]
    struct Error {
        #[serde(default)]
        errors: Vec<Detail>,
    }
    #[derive(Deserialize)]
    struct Detail {
        #[serde(default)]
        reason: Option<String>,
    }
    let body: Body = serde_json::from_slice(body).ok()?;
    body.error.errors.into_iter().find_map(|d| d.reason)
}

fn json<T: for<'de> Deserialize<'de>>(response: &Response) -> Result<T, RestError> {
    serde_json::from_slice(&response.body)
        .map_err(|err| RestError::Malformed(format!("GCS answered unreadable JSON: {err}")))
}

impl Rest {
    fn gcs_bucket_url(&self, bucket: &str) -> String {
        format!("{}/storage/v1/b/{}", self.endpoint, enc(bucket))
    }

    fn gcs_object_url(&self, bucket: &str, key: &str) -> String {
        format!("{}/o/{}", self.gcs_bucket_url(bucket), enc(key))
    }

    /// One page of the project's buckets, and the next page's token.
    pub(crate) async fn gcs_list_buckets(
        &self,
        project: &str,
        page_token: Option<&str>,
        max: usize,
    ) -> Result<(Vec<BucketItem>, Option<String>), RestError> {
        let mut url = format!(
            "{}/storage/v1/b?project={}&maxResults={max}&fields=items(name,timeCreated),nextPageToken",
            self.endpoint,
            enc(project)
        );
        if let Some(token) = page_token {
            url.push_str(&format!("&pageToken={}", enc(token)));
        }
        let response = self
            .send(Method::GET, &url, &[], Bytes::new())
            .await?
            .ok()?;
        let list: BucketList = json(&response)?;
        let buckets = list
            .items
            .into_iter()
            .map(|b| BucketItem {
                created: b.time_created.as_deref().and_then(parse_http_date),
                name: b.name,
            })
            .collect();
        Ok((buckets, list.next_page_token))
    }

    /// When the bucket was created, or `None` if there is no such bucket.
    pub(crate) async fn gcs_bucket(
        &self,
        bucket: &str,
    ) -> Result<Option<Option<SystemTime>>, RestError> {
        let url = format!("{}?fields=name,timeCreated", self.gcs_bucket_url(bucket));
        let response = self.send(Method::GET, &url, &[], Bytes::new()).await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let found: BucketResource = json(&response.ok()?)?;
        Ok(Some(
            found.time_created.as_deref().and_then(parse_http_date),
        ))
    }

    /// Creates a bucket in `project` (GCS's default location and class).
    pub(crate) async fn gcs_create_bucket(
        &self,
        project: &str,
        bucket: &str,
    ) -> Result<Created, RestError> {
        let url = format!("{}/storage/v1/b?project={}", self.endpoint, enc(project));
        let body = serde_json::json!({ "name": bucket }).to_string();
        let headers = [("content-type", "application/json".to_string())];
        let response = self
            .send(Method::POST, &url, &headers, Bytes::from(body))
            .await?;
        if response.status == StatusCode::CONFLICT {
            return Ok(Created::Exists);
        }
        response.ok().map(|_| Created::Yes)
    }

    /// Deletes an empty bucket; `false` if it did not exist.
    pub(crate) async fn gcs_delete_bucket(&self, bucket: &str) -> Result<bool, RestError> {
        let url = self.gcs_bucket_url(bucket);
        let response = self.send(Method::DELETE, &url, &[], Bytes::new()).await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        response.ok().map(|_| true)
    }

    /// The object's resource, or `None` if it does not exist.
    pub(crate) async fn gcs_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<ObjectResource>, RestError> {
        let url = format!(
            "{}?fields=generation,etag,md5Hash",
            self.gcs_object_url(bucket, key)
        );
        let response = self.send(Method::GET, &url, &[], Bytes::new()).await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        json(&response.ok()?).map(Some)
    }

    /// The MD5 GCS keeps of the object (`md5Hash`), `None` for a
    /// composite object (GCS keeps only a CRC32C of those) or a missing
    /// one.
    pub(crate) async fn gcs_md5(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<[u8; 16]>, RestError> {
        let Some(object) = self.gcs_object(bucket, key).await? else {
            return Ok(None);
        };
        Ok(object.md5_hash.and_then(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
                .and_then(|raw| raw.try_into().ok())
        }))
    }

    /// Sets the object's user metadata keys (a `PATCH`: keys not named
    /// stay). `false` if the object does not exist.
    pub(crate) async fn gcs_set_metadata(
        &self,
        bucket: &str,
        key: &str,
        metadata: &[(String, String)],
    ) -> Result<bool, RestError> {
        let map: serde_json::Map<String, serde_json::Value> = metadata
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let body = serde_json::json!({ "metadata": map }).to_string();
        let url = format!("{}?fields=generation", self.gcs_object_url(bucket, key));
        let headers = [("content-type", "application/json".to_string())];
        let response = self
            .send(Method::PATCH, &url, &headers, Bytes::from(body))
            .await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        response.ok().map(|_| true)
    }

    /// Writes `bytes` as the object `key` in one request: a media upload,
    /// or a multipart one (JSON resource, then the bytes) when metadata
    /// travels along.
    pub(crate) async fn gcs_upload(
        &self,
        bucket: &str,
        key: &str,
        bytes: Bytes,
        metadata: &[(String, String)],
        precondition: &Precondition,
    ) -> Result<ObjectResource, RestError> {
        let base = format!(
            "{}/upload/storage/v1/b/{}/o?fields=generation,etag,md5Hash{}",
            self.endpoint,
            enc(bucket),
            precondition.query()
        );
        let response = if metadata.is_empty() {
            let url = format!("{base}&uploadType=media&name={}", enc(key));
            let headers = [("content-type", "application/octet-stream".to_string())];
            self.send(Method::POST, &url, &headers, bytes).await?
        } else {
            let url = format!("{base}&uploadType=multipart");
            let (content_type, body) = related(key, metadata, &bytes);
            let headers = [("content-type", content_type)];
            self.send(Method::POST, &url, &headers, body).await?
        };
        json(&response.ok()?)
    }

    /// Deletes the object; `false` if it did not exist.
    pub(crate) async fn gcs_delete_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<bool, RestError> {
        let url = self.gcs_object_url(bucket, key);
        let response = self.send(Method::DELETE, &url, &[], Bytes::new()).await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        response.ok().map(|_| true)
    }

    /// Writes `key` of `bucket` as the concatenation of `sources` (GCS's
    /// `compose`, at most 32), only if `key` is still generation
    /// `generation`; the result is a composite object (no `md5Hash`).
    pub(crate) async fn gcs_compose(
        &self,
        bucket: &str,
        key: &str,
        sources: &[&str],
        generation: &str,
    ) -> Result<(), RestError> {
        let url = format!(
            "{}/compose?ifGenerationMatch={}&fields=generation",
            self.gcs_object_url(bucket, key),
            enc(generation)
        );
        let sources: Vec<serde_json::Value> = sources
            .iter()
            .map(|name| serde_json::json!({ "name": name }))
            .collect();
        let body = serde_json::json!({
            "sourceObjects": sources,
            "destination": { "contentType": "application/octet-stream" },
        })
        .to_string();
        let headers = [("content-type", "application/json".to_string())];
        self.send(Method::POST, &url, &headers, Bytes::from(body))
            .await?
            .ok()
            .map(drop)
    }

    /// Copies `from_key` of `from` to `to_key` of `to` server-side
    /// (`rewriteTo`, repeated with its token until GCS says it is done,
    /// as it does for large objects across locations or classes).
    /// `false` if the source is missing.
    pub(crate) async fn gcs_rewrite(
        &self,
        from: &str,
        from_key: &str,
        to: &str,
        to_key: &str,
        precondition: &Precondition,
    ) -> Result<bool, RestError> {
        let base = format!(
            "{}/rewriteTo/b/{}/o/{}?fields=done,rewriteToken{}",
            self.gcs_object_url(from, from_key),
            enc(to),
            enc(to_key),
            precondition.query()
        );
        let mut token: Option<String> = None;
        loop {
            let url = match &token {
                Some(token) => format!("{base}&rewriteToken={}", enc(token)),
                None => base.clone(),
            };
            let headers = [("content-type", "application/json".to_string())];
            let response = self
                .send(Method::POST, &url, &headers, Bytes::from_static(b"{}"))
                .await?;
            if response.status == StatusCode::NOT_FOUND && token.is_none() {
                return Ok(false);
            }
            let answer: RewriteAnswer = json(&response.ok()?)?;
            if answer.done {
                return Ok(true);
            }
            match answer.rewrite_token {
                Some(next) => token = Some(next),
                None => {
                    return Err(RestError::Malformed(
                        "GCS's rewrite is not done and gave no token to go on".to_string(),
                    ));
                }
            }
        }
    }
}

/// A `multipart/related` body: the object's JSON resource (name and
/// metadata), then its bytes. The boundary is random, and drawn again in
/// the unlikely case the content holds it.
fn related(key: &str, metadata: &[(String, String)], bytes: &[u8]) -> (String, Bytes) {
    let map: serde_json::Map<String, serde_json::Value> = metadata
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let resource = serde_json::json!({ "name": key, "metadata": map }).to_string();
    let boundary = loop {
        let candidate = format!("wharf-{:016x}", fastrand::u64(..));
        if !bytes
            .windows(candidate.len())
            .any(|w| w == candidate.as_bytes())
        {
            break candidate;
        }
    };
    let mut body = Vec::with_capacity(bytes.len() + resource.len() + 200);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n{resource}\r\n\
             --{boundary}\r\ncontent-type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/related; boundary={boundary}"),
        Bytes::from(body),
    )
}

#[cfg(test)]
mod tests;
