//! Signed REST calls that object_store has no API for: containers and
//! buckets, container public access, blob metadata, blob lists with
//! metadata, and marker blobs whose names end in `/`.
//!
//! Requests are signed with object_store's own public authorizers
//! ([`AzureAuthorizer`], Shared Key; [`AwsAuthorizer`], SigV4) and sent
//! through the same [`HttpClient`] that object_store uses. Transient
//! failures are retried here with exponential backoff.

pub(crate) mod azure;
pub(crate) mod blocks;
mod copy;
pub(crate) mod gcs;
pub(crate) mod s3;
mod s3_why;
mod stored_md5;

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use object_store::aws::{AwsAuthorizer, AwsCredentialProvider};
use object_store::azure::{AzureAccessKey, AzureCredential, AzureCredentialProvider};
use object_store::client::{HttpClient, HttpRequest, HttpRequestBody};
use object_store::{PutPayload, StaticCredentialProvider};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::config::AzureAuth;
use crate::errors::BlobError;
use crate::refusal::{Operation, Refusal};
use crate::retry::{Backoff, transient_status};
use crate::s3_urls::S3Addressing;
use crate::sas::SasToken;

/// Characters left alone when a name is put in a URL path or query.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes one URL path segment or query value.
pub(crate) fn enc(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// Percent-encodes a key, keeping its `/` separators.
pub(crate) fn enc_key(key: &str) -> String {
    key.split('/').map(enc).collect::<Vec<_>>().join("/")
}

/// How requests are signed. Its `Debug` names the account or key id and
/// never prints the key: object_store's `AzureCredential` prints the
/// account key's bytes.
pub(crate) enum Signer {
    /// Azure: Shared Key, a SAS token appended to the query, or an Entra
    /// ID bearer token, from the provider object_store's clients of the
    /// account use too.
    Azure {
        credential: AzureCredentialProvider,
        account: String,
        /// The token behind a SAS credential, to say what it lacks when
        /// the store refuses a request.
        token: Option<SasToken>,
        /// Whether the credential is an Entra ID identity's tokens.
        entra: bool,
    },
    /// AWS SigV4 for service `s3`, with the current credential of the
    /// provider object_store's clients share (a session token goes along
    /// as `x-amz-security-token`).
    S3 {
        credentials: AwsCredentialProvider,
        region: String,
        /// What the credential is ([`crate::S3Auth::describe`]), for `Debug`.
        identity: String,
    },
    /// GCS: the bearer token of object_store's credential provider, the
    /// one its own requests carry.
    Gcs {
        credentials: object_store::gcp::GcpCredentialProvider,
    },
}

impl Signer {
    /// The signer for an Azure account and a key or SAS credential (an
    /// Entra identity's tokens come from [`Signer::azure_entra`]).
    pub(crate) fn azure(account: &str, auth: &AzureAuth) -> Result<Self, BlobError> {
        let (credential, token) = match auth {
            AzureAuth::SharedKey(key) => {
                let key = AzureAccessKey::try_new(key)
                    .map_err(|err| BlobError::Config(err.to_string()))?;
                (AzureCredential::AccessKey(key), None)
            }
            AzureAuth::Sas(token) => (
                AzureCredential::SASToken(token.pairs().to_vec()),
                Some(token.clone()),
            ),
            AzureAuth::Entra(identity) => {
                return Err(BlobError::Config(format!(
                    "a {} identity cannot sign here",
                    identity.kind()
                )));
            }
        };
        Ok(Self::Azure {
            credential: Arc::new(StaticCredentialProvider::new(credential)),
            account: account.to_owned(),
            token,
            entra: false,
        })
    }

    /// The signer for an Azure account whose requests carry the tokens of
    /// `provider` (see `identity::provider`).
    pub(crate) fn azure_entra(account: &str, provider: AzureCredentialProvider) -> Self {
        Self::Azure {
            credential: provider,
            account: account.to_owned(),
            token: None,
            entra: true,
        }
    }

    /// The Azure credential provider, for object_store's clients.
    pub(crate) fn azure_credential(&self) -> Option<AzureCredentialProvider> {
        match self {
            Self::Azure { credential, .. } => Some(Arc::clone(credential)),
            Self::S3 { .. } | Self::Gcs { .. } => None,
        }
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Azure { account, .. } => f
                .debug_struct("Azure")
                .field("account", account)
                .field("credential", &crate::config::REDACTED)
                .finish(),
            Self::S3 {
                region, identity, ..
            } => f
                .debug_struct("S3")
                .field("region", region)
                .field("credential", identity)
                .field("secret_key", &crate::config::REDACTED)
                .finish(),
            Self::Gcs { .. } => f
                .debug_struct("Gcs")
                .field("credential", &crate::config::REDACTED)
                .finish(),
        }
    }
}

/// A response, body read whole (REST responses here are small pages).
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// What Azure's `403` meant, when it answered one.
    pub(crate) refusal: Option<Refusal>,
}

impl Response {
    /// The header's value as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The store's error code (`<Code>` in the XML body, or Azure's
    /// `x-ms-error-code` header).
    pub(crate) fn error_code(&self) -> Option<String> {
        if let Some(code) = self.header("x-ms-error-code") {
            return Some(code.to_string());
        }
        if self.body.first() == Some(&b'{') {
            return gcs::json_reason(&self.body);
        }
        crate::xml::parse(&self.body)
            .ok()
            .and_then(|root| root.text_at(&["Code"]).map(str::to_string))
    }

    /// Fails unless the status is a success.
    pub(crate) fn ok(self) -> Result<Self, RestError> {
        if let Some(refusal) = self.refusal {
            return Err(RestError::Refused(refusal));
        }
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(RestError::Status {
                status: self.status,
                code: self.error_code(),
            })
        }
    }
}

/// Why a REST call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestError {
    /// The store answered with an error status.
    #[error("the store answered {status}{}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Status {
        /// The HTTP status.
        status: StatusCode,
        /// The store's error code, where it sent one.
        code: Option<String>,
    },
    /// The store refused the credential, or an operation it does not
    /// permit (`403`); the refusal says which.
    #[error("the store answered 403 Forbidden: {0}")]
    Refused(Refusal),
    /// The store could not be reached, or the connection broke.
    #[error("the store could not be reached: {0}")]
    Transport(#[source] object_store::client::HttpError),
    /// The request could not be built or signed.
    #[error("could not build the request: {0}")]
    Request(String),
    /// No credential to sign with could be had: an Entra ID token (the
    /// token service refused or did not answer), or an S3 credential from
    /// STS, instance metadata or a token file. object_store has retried
    /// what may pass.
    #[error("no credential to sign with: {0}")]
    Credential(#[source] object_store::Error),
    /// The response could not be read.
    #[error("{0}")]
    Malformed(String),
}

impl From<crate::xml::XmlError> for RestError {
    fn from(err: crate::xml::XmlError) -> Self {
        Self::Malformed(err.to_string())
    }
}

impl RestError {
    /// Whether retrying later may succeed.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            Self::Status { status, .. } => transient_status(*status),
            Self::Transport(_) => true,
            Self::Refused(_) | Self::Request(_) | Self::Malformed(_) | Self::Credential(_) => false,
        }
    }

    /// The status, for errors the store answered.
    pub(crate) fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::Refused(_) => Some(StatusCode::FORBIDDEN),
            _ => None,
        }
    }
}

/// A signing REST client for one account.
#[derive(Debug)]
pub(crate) struct Rest {
    pub(crate) http: HttpClient,
    pub(crate) signer: Signer,
    /// Account endpoint (Azure) or service endpoint (S3), no trailing `/`.
    pub(crate) endpoint: String,
    /// How S3 bucket URLs are formed (Azure: always [`S3Addressing::Path`]).
    pub(crate) addressing: S3Addressing,
    pub(crate) backoff: Backoff,
}

impl Rest {
    /// Sends a request, retrying transport errors and transient statuses.
    /// Non-transient error statuses come back as responses. The body may
    /// be several `Bytes` (an upload's part in chunks), sent uncopied.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: impl Into<PutPayload>,
    ) -> Result<Response, RestError> {
        let body = body.into();
        let mut attempt = 0;
        loop {
            let mut result = self.send_once(&method, url, headers, body.clone()).await;
            if let Ok(response) = &mut result {
                self.explain_head(&method, response).await;
            }
            let retry = match &result {
                Ok(response) => transient_status(response.status),
                Err(err) => err.is_transient(),
            };
            match self.backoff.delay(attempt) {
                Some(delay) if retry => {
                    tracing::debug!(%method, %url, attempt, "retrying a transient failure");
                    if let Some(hook) = &self.backoff.on_retry {
                        hook.call();
                    }
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                _ => return result,
            }
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &str,
        headers: &[(&str, String)],
        body: PutPayload,
    ) -> Result<Response, RestError> {
        let mut builder = http::Request::builder().method(method.clone()).uri(url);
        for (name, value) in headers {
            builder = builder.header(*name, value);
        }
        let length = body.content_length();
        if length > 0 || matches!(*method, Method::PUT | Method::POST) {
            builder = builder.header("content-length", length.to_string());
        }
        // One piece goes as plain bytes, which the S3 signer hashes;
        // only GCS's resumable parts (bearer tokens) come in several.
        let body = match body.as_ref() {
            [] => HttpRequestBody::empty(),
            [one] => HttpRequestBody::from(one.clone()),
            _ => HttpRequestBody::from(body),
        };
        let mut request: HttpRequest = builder
            .body(body)
            .map_err(|err| RestError::Request(err.to_string()))?;
        self.sign(&mut request).await?;
        let response = self
            .http
            .execute(request)
            .await
            .map_err(RestError::Transport)?;
        let (parts, body) = response.into_parts();
        let body = body.bytes().await.map_err(RestError::Transport)?;
        let mut response = Response {
            status: parts.status,
            headers: parts.headers,
            body,
            refusal: None,
        };
        if response.status == StatusCode::FORBIDDEN
            && let Signer::Azure { token, entra, .. } = &self.signer
        {
            let code = response.error_code();
            if Refusal::is_authorization_code(code.as_deref()) {
                let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
                let operation = Operation::of_request(method, query);
                response.refusal = Some(if *entra {
                    Refusal::for_identity(operation, code)
                } else {
                    Refusal::new(operation, code, token.as_ref())
                });
            }
        }
        Ok(response)
    }

    /// Whether requests carry a SAS token (Azure).
    pub(crate) fn signs_with_sas(&self) -> bool {
        matches!(self.signer, Signer::Azure { token: Some(_), .. })
    }

    /// Whether requests carry an Entra ID identity's tokens (Azure).
    pub(crate) fn signs_with_entra(&self) -> bool {
        matches!(self.signer, Signer::Azure { entra: true, .. })
    }

    /// `url` as a copy source the store can read with this credential: a
    /// SAS credential must travel with the source (the store reads it as
    /// an anonymous client would); Shared Key covers a source in the same
    /// account.
    pub(crate) fn source_url(&self, url: String) -> String {
        match &self.signer {
            Signer::Azure {
                token: Some(token), ..
            } => {
                let join = if url.contains('?') { '&' } else { '?' };
                format!("{url}{join}{}", token.query())
            }
            _ => url,
        }
    }

    /// The URL of `key` in `container` (or bucket), in the addressing
    /// style of the store.
    pub(crate) fn key_url(&self, container: &str, key: &str) -> String {
        self.addressing.object_url(&self.endpoint, container, key)
    }

    async fn sign(&self, request: &mut HttpRequest) -> Result<(), RestError> {
        let signed = match &self.signer {
            Signer::Azure {
                credential,
                account,
                ..
            } => {
                let credential = credential
                    .get_credential()
                    .await
                    .map_err(RestError::Credential)?;
                object_store::azure::AzureAuthorizer::new(&credential, account)
                    .try_authorize(request)
            }
            Signer::S3 {
                credentials,
                region,
                ..
            } => {
                let credential = credentials
                    .get_credential()
                    .await
                    .map_err(RestError::Credential)?;
                AwsAuthorizer::new(&credential, "s3", region).try_authorize(request, None)
            }
            Signer::Gcs { credentials } => return bearer(credentials, request).await,
        };
        signed.map_err(|err| RestError::Request(err.to_string()))
    }
}

/// Puts the provider's current bearer token on `request` (none when it is
/// empty, as for an emulator's key with `disable_oauth`).
async fn bearer(
    credentials: &object_store::gcp::GcpCredentialProvider,
    request: &mut HttpRequest,
) -> Result<(), RestError> {
    let credential = credentials
        .get_credential()
        .await
        .map_err(RestError::Credential)?;
    if credential.bearer.is_empty() {
        return Ok(());
    }
    let value = http::HeaderValue::try_from(format!("Bearer {}", credential.bearer))
        .map_err(|err| RestError::Request(err.to_string()))?;
    request
        .headers_mut()
        .insert(http::header::AUTHORIZATION, value);
    Ok(())
}
