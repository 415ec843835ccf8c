//! S3 REST calls: buckets, metadata replacement, marker objects, and the
//! two multipart calls object_store has no API for (`UploadPartCopy`, and
//! `CompleteMultipartUpload` with `If-Match`).

use std::ops::Range;
use std::time::SystemTime;

use bytes::Bytes;
use http::{Method, StatusCode};

use super::{Rest, RestError, enc, enc_key};
use crate::time::parse_http_date;
use crate::xml;

/// A bucket as listed.
#[derive(Debug, Clone)]
pub(crate) struct BucketItem {
    pub(crate) name: String,
    pub(crate) created: Option<SystemTime>,
}

/// How bucket creation went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Created {
    /// The bucket is new.
    Yes,
    /// A bucket of that name exists (ours or someone else's).
    Exists,
}

impl Rest {
    fn bucket_url(&self, bucket: &str) -> String {
        self.addressing.bucket_url(&self.endpoint, bucket)
    }

    fn object_url(&self, bucket: &str, key: &str) -> String {
        self.key_url(bucket, key)
    }

    /// The account's buckets (ListBuckets answers in one page).
    pub(crate) async fn s3_list_buckets(&self) -> Result<Vec<BucketItem>, RestError> {
        let url = format!("{}/", self.endpoint);
        let response = self
            .send(Method::GET, &url, &[], Bytes::new())
            .await?
            .ok()?;
        let root = xml::parse(&response.body)?;
        Ok(root
            .child("Buckets")
            .into_iter()
            .flat_map(|b| b.all("Bucket"))
            .filter_map(|b| {
                Some(BucketItem {
                    name: b.text_at(&["Name"])?.to_string(),
                    created: b.text_at(&["CreationDate"]).and_then(parse_http_date),
                })
            })
            .collect())
    }

    /// Whether the bucket exists.
    pub(crate) async fn s3_bucket_exists(&self, bucket: &str) -> Result<bool, RestError> {
        let response = self
            .send(Method::HEAD, &self.bucket_url(bucket), &[], Bytes::new())
            .await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        response.ok().map(|_| true)
    }

    /// Creates a bucket in the signing region.
    pub(crate) async fn s3_create_bucket(&self, bucket: &str) -> Result<Created, RestError> {
        let body = match &self.signer {
            super::Signer::S3 { region, .. } if region != "us-east-1" => Bytes::from(format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                 <LocationConstraint>{region}</LocationConstraint></CreateBucketConfiguration>"
            )),
            _ => Bytes::new(),
        };
        let response = self
            .send(Method::PUT, &self.bucket_url(bucket), &[], body)
            .await?;
        if response.status == StatusCode::CONFLICT {
            return Ok(Created::Exists);
        }
        response.ok().map(|_| Created::Yes)
    }

    /// Deletes an empty bucket; `false` if it did not exist.
    pub(crate) async fn s3_delete_bucket(&self, bucket: &str) -> Result<bool, RestError> {
        let response = self
            .send(Method::DELETE, &self.bucket_url(bucket), &[], Bytes::new())
            .await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        response.ok().map(|_| true)
    }

    /// Replaces an object's user metadata by copying it onto itself.
    pub(crate) async fn s3_set_metadata(
        &self,
        bucket: &str,
        key: &str,
        metadata: &[(String, String)],
    ) -> Result<bool, RestError> {
        let url = self.object_url(bucket, key);
        let mut headers = vec![
            (
                "x-amz-copy-source",
                format!("/{}/{}", enc(bucket), enc_key(key)),
            ),
            ("x-amz-metadata-directive", "REPLACE".to_string()),
        ];
        let names: Vec<String> = metadata
            .iter()
            .map(|(k, _)| format!("x-amz-meta-{k}"))
            .collect();
        for ((_, value), name) in metadata.iter().zip(&names) {
            headers.push((name.as_str(), value.clone()));
        }
        let response = self.send(Method::PUT, &url, &headers, Bytes::new()).await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        response.ok().map(|_| true)
    }

    /// Writes an empty object (a folder marker, possibly named `x/`).
    pub(crate) async fn s3_put_empty(&self, bucket: &str, key: &str) -> Result<(), RestError> {
        self.send(
            Method::PUT,
            &self.object_url(bucket, key),
            &[],
            Bytes::new(),
        )
        .await?
        .ok()
        .map(drop)
    }

    /// Deletes an object (S3 answers 204 whether or not it existed).
    pub(crate) async fn s3_delete_object(&self, bucket: &str, key: &str) -> Result<(), RestError> {
        self.send(
            Method::DELETE,
            &self.object_url(bucket, key),
            &[],
            Bytes::new(),
        )
        .await?
        .ok()
        .map(drop)
    }

    /// Copies bytes `range` of `bucket/key`, server-side, into part
    /// `part_number` (1-based) of the multipart upload `upload_id` of the
    /// same key (`UploadPartCopy`), only if the object's ETag is still
    /// `if_match`. Returns the part's ETag.
    pub(crate) async fn s3_upload_part_copy(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: usize,
        range: Range<u64>,
        if_match: Option<&str>,
    ) -> Result<String, RestError> {
        let url = format!(
            "{}?partNumber={part_number}&uploadId={}",
            self.object_url(bucket, key),
            enc(upload_id)
        );
        let mut headers = vec![
            (
                "x-amz-copy-source",
                format!("/{}/{}", enc(bucket), enc_key(key)),
            ),
            (
                "x-amz-copy-source-range",
                format!("bytes={}-{}", range.start, range.end.saturating_sub(1)),
            ),
        ];
        if let Some(etag) = if_match {
            headers.push(("x-amz-copy-source-if-match", etag.to_string()));
        }
        let response = self
            .send(Method::PUT, &url, &headers, Bytes::new())
            .await?
            .ok()?;
        let root = xml::parse(&response.body)?;
        late_error(&root)?;
        root.text_at(&["ETag"])
            .map(str::to_string)
            .ok_or_else(|| RestError::Malformed("UploadPartCopy answered no ETag".to_string()))
    }

    /// Completes the multipart upload `upload_id` of `bucket/key` from its
    /// parts' ETags (in part order), only if the object's ETag is still
    /// `if_match` (S3 answers 412 otherwise).
    pub(crate) async fn s3_complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        etags: &[String],
        if_match: Option<&str>,
    ) -> Result<(), RestError> {
        let url = format!(
            "{}?uploadId={}",
            self.object_url(bucket, key),
            enc(upload_id)
        );
        let mut body = String::from("<CompleteMultipartUpload>");
        for (index, etag) in etags.iter().enumerate() {
            body.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
                index + 1,
                xml_text(etag)
            ));
        }
        body.push_str("</CompleteMultipartUpload>");
        let mut headers = vec![("content-type", "application/xml".to_string())];
        if let Some(etag) = if_match {
            headers.push(("if-match", etag.to_string()));
        }
        let response = self
            .send(Method::POST, &url, &headers, Bytes::from(body))
            .await?
            .ok()?;
        late_error(&xml::parse(&response.body)?)
    }
}

/// S3 answers 200 with an `<Error>` document when a copy or a completion
/// fails after it started.
fn late_error(root: &xml::Element) -> Result<(), RestError> {
    if root.name == "Error" {
        return Err(RestError::Status {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: root.text_at(&["Code"]).map(str::to_string),
        });
    }
    Ok(())
}

/// `text` escaped for XML character data.
fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
