//! Why S3 refused a `HEAD`. A `HEAD` answer has no body, so a `403` to one
//! names no code: an expired session, an unknown key and a missing
//! permission all look alike, and the FTP client would hear only
//! "Permission denied" for `CWD`, `STOR` or `SIZE`, whose first request is
//! a `HEAD`. One ListBuckets with the same credential tells them apart:
//! its error code when it fails (`ExpiredToken`, `InvalidAccessKeyId`,
//! `SignatureDoesNotMatch`, `InvalidToken`, `AccessDenied`), and when it
//! succeeds the credential is good, so the `HEAD` was denied for want of a
//! permission (`AccessDenied`). It costs one request, on a refusal only.

use bytes::Bytes;
use http::{Method, StatusCode};

use super::{Response, Rest, Signer};

impl Rest {
    /// The error code behind a refusal whose answer named none (see the
    /// module), or `None` when the probe says nothing either.
    pub(crate) async fn s3_refusal_code(&self) -> Option<String> {
        if !matches!(self.signer, Signer::S3 { .. }) {
            return None;
        }
        let url = format!("{}/", self.endpoint);
        let probe = self
            .send_once(&Method::GET, &url, &[], Bytes::new().into())
            .await
            .ok()?;
        if probe.status.is_success() {
            return Some("AccessDenied".to_string());
        }
        probe.error_code()
    }

    /// Gives a bodiless `403` answer to an S3 `HEAD` the code
    /// [`Rest::s3_refusal_code`] finds, as a minimal error document.
    pub(crate) async fn explain_head(&self, method: &Method, response: &mut Response) {
        if *method != Method::HEAD
            || response.status != StatusCode::FORBIDDEN
            || !response.body.is_empty()
        {
            return;
        }
        if let Some(code) = self.s3_refusal_code().await {
            response.body = Bytes::from(format!("<Error><Code>{code}</Code></Error>"));
        }
    }
}
