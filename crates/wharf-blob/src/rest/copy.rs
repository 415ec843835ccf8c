//! Server-side copies between any two blobs of one account, markers
//! (names ending in `/`) and other containers included. GCS copies with
//! `rewriteTo` (`gcs.rs`).

use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};

use object_store::azure::AzureCredential;

use super::{Rest, RestError, Signer, enc, enc_key};

/// How long a pending Azure copy is waited for before giving up.
const COPY_WAIT: Duration = Duration::from_secs(600);

impl Rest {
    /// The header that lets the store read a copy source in this account
    /// with the caller's identity (`x-ms-copy-source-authorization:
    /// Bearer ...`, which Put Block From URL needs for a token); none for
    /// a key, whose account the store trusts, or a SAS, which travels in
    /// the source URL.
    pub(crate) async fn copy_source_authorization(
        &self,
    ) -> Result<Option<(&'static str, String)>, RestError> {
        let Signer::Azure {
            credential,
            entra: true,
            ..
        } = &self.signer
        else {
            return Ok(None);
        };
        let credential = credential
            .get_credential()
            .await
            .map_err(RestError::Credential)?;
        Ok(match credential.as_ref() {
            AzureCredential::BearerToken(token) => {
                Some(("x-ms-copy-source-authorization", format!("Bearer {token}")))
            }
            _ => None,
        })
    }

    /// Copies `from_key` in `from` to `to_key` in `to`, server-side, and
    /// returns once the copy is complete. `false` if the source is missing.
    pub(crate) async fn copy_blob(
        &self,
        from: &str,
        from_key: &str,
        to: &str,
        to_key: &str,
    ) -> Result<bool, RestError> {
        if let Signer::Gcs { .. } = &self.signer {
            return self
                .gcs_rewrite(from, from_key, to, to_key, &super::gcs::Precondition::None)
                .await;
        }
        let target = self.key_url(to, to_key);
        let source = match &self.signer {
            Signer::Azure { .. } => self.source_url(format!(
                "{}/{}/{}",
                self.endpoint,
                enc(from),
                enc_key(from_key)
            )),
            Signer::S3 { .. } | Signer::Gcs { .. } => {
                format!("/{}/{}", enc(from), enc_key(from_key))
            }
        };
        let header = match &self.signer {
            Signer::Azure { .. } => "x-ms-copy-source",
            Signer::S3 { .. } | Signer::Gcs { .. } => "x-amz-copy-source",
        };
        let mut headers = vec![(header, source)];
        headers.extend(self.copy_source_authorization().await?);
        let response = self
            .send(Method::PUT, &target, &headers, Bytes::new())
            .await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        let response = response.ok()?;
        // S3 answers 200 with an error document when a copy fails late.
        if matches!(self.signer, Signer::S3 { .. })
            && let Ok(root) = crate::xml::parse(&response.body)
            && root.name == "Error"
        {
            return Err(RestError::Status {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: root.text_at(&["Code"]).map(str::to_string),
            });
        }
        if response.header("x-ms-copy-status") == Some("pending") {
            self.wait_for_copy(&target).await?;
        }
        Ok(true)
    }

    /// Polls an Azure blob until its pending copy ends.
    async fn wait_for_copy(&self, target: &str) -> Result<(), RestError> {
        let started = tokio::time::Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
            let response = self
                .send(Method::HEAD, target, &[], Bytes::new())
                .await?
                .ok()?;
            match response.header("x-ms-copy-status") {
                Some("pending") if started.elapsed() < COPY_WAIT => {}
                Some("success") | None => return Ok(()),
                _ => {
                    return Err(RestError::Status {
                        status: StatusCode::INTERNAL_SERVER_ERROR,
                        code: Some("CopyFailed".to_string()),
                    });
                }
            }
        }
    }
}
