//! The MD5 a store keeps of a whole object, for checksum commands that
//! would otherwise read it.
//!
//! - Azure: the blob's `Content-MD5` property (base64). The service
//!   computes it for a blob written in one Put Blob and keeps what the
//!   uploader gave for one committed from blocks; either way it is the
//!   account's own statement of its content.
//! - S3: the ETag, when it is an MD5: 32 hex digits, no `-N` multipart
//!   suffix, and no SSE-KMS or SSE-C encryption, under which the ETag is
//!   not the content's MD5 (S3's "Checking object integrity").

use base64::Engine;
use bytes::Bytes;
use http::Method;

use super::{Response, Rest, RestError};

impl Rest {
    /// `None` when the blob has no Content-MD5 or does not exist.
    pub(crate) async fn az_content_md5(
        &self,
        container: &str,
        key: &str,
    ) -> Result<Option<[u8; 16]>, RestError> {
        let Some(response) = self.head(container, key).await? else {
            return Ok(None);
        };
        Ok(response.header("content-md5").and_then(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
                .and_then(|raw| raw.try_into().ok())
        }))
    }

    /// `None` when the ETag is no plain MD5 or the object does not exist.
    pub(crate) async fn s3_plain_md5(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<[u8; 16]>, RestError> {
        let Some(response) = self.head(bucket, key).await? else {
            return Ok(None);
        };
        let encrypted_by_key = response
            .header("x-amz-server-side-encryption")
            .is_some_and(|sse| sse.starts_with("aws:kms"))
            || response
                .header("x-amz-server-side-encryption-customer-algorithm")
                .is_some();
        if encrypted_by_key {
            return Ok(None);
        }
        Ok(response.header("etag").and_then(plain_md5))
    }

    /// HEAD of `container/key` (or `bucket/key`); `None` on 404.
    async fn head(&self, container: &str, key: &str) -> Result<Option<Response>, RestError> {
        let url = self.key_url(container, key);
        let response = self.send(Method::HEAD, &url, &[], Bytes::new()).await?;
        if response.status == http::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        response.ok().map(Some)
    }
}

/// An ETag that is a plain MD5: `"` + 32 hex digits + `"`.
fn plain_md5(etag: &str) -> Option<[u8; 16]> {
    let hex = etag.trim().trim_matches('"');
    if hex.len() != 32 {
        return None;
    }
    let mut md5 = [0u8; 16];
    for (byte, pair) in md5.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let text = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(text, 16).ok()?;
    }
    Some(md5)
}

#[cfg(test)]
mod tests {
    use super::plain_md5;

    #[test]
    fn only_plain_md5_etags_count() {
        let md5 = plain_md5("\"900150983cd24fb0d6963f7d28e17f72\"").unwrap();
        assert_eq!(md5[0], 0x90);
        assert_eq!(md5[15], 0x72);
        // Multipart ETags, odd lengths and non-hex text are no MD5.
        assert_eq!(plain_md5("\"900150983cd24fb0d6963f7d28e17f72-3\""), None);
        assert_eq!(plain_md5("\"0x8DBD1A2B3C4D5E6\""), None);
        assert_eq!(plain_md5("\"zz0150983cd24fb0d6963f7d28e17f72\""), None);
    }
}
