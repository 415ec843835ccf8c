//! STS AssumeRole as an object_store [`CredentialProvider`]: object_store
//! has providers for web identity and instance metadata but none for
//! AssumeRole, and the AWS SDK is far larger than one signed POST.
//!
//! The request is the Query API form (`Action=AssumeRole&Version=2011-06-15
//! &RoleArn=..&RoleSessionName=..&DurationSeconds=..[&ExternalId=..]`),
//! POSTed to the STS endpoint and signed (SigV4, service `sts`) with the
//! source credential. The answer:
//!
//! ```text
//! <AssumeRoleResponse><AssumeRoleResult><Credentials>
//!   <AccessKeyId/> <SecretAccessKey/> <SessionToken/> <Expiration/>  (ISO 8601)
//! </Credentials></AssumeRoleResult></AssumeRoleResponse>
//! <ErrorResponse><Error><Code/><Message/></Error></ErrorResponse>
//! ```
//!
//! The credential is kept until [`REFRESH_BEFORE`] its expiry, then
//! renewed by the first request that needs it while the others wait for
//! that one renewal (one lock), so a busy server sends one AssumeRole per
//! period. If a renewal fails while the old credential is still valid, the
//! old one serves on and the next request tries again.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{Method, StatusCode};
use object_store::CredentialProvider;
use object_store::aws::{AwsAuthorizer, AwsCredential, AwsCredentialProvider};
use object_store::client::{HttpClient, HttpRequest, HttpRequestBody};

use crate::rest::enc;
use crate::s3_auth::AssumeRole;
use crate::xml;

/// How long before its expiry an assumed credential is renewed: longer
/// than any one request is signed before it is sent, and a quarter of the
/// shortest credential STS issues (15 minutes).
pub(crate) const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

/// Why AssumeRole gave no credential.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StsError {
    /// STS answered with an error.
    #[error("STS refused AssumeRole with {status}{}{}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Refused {
        status: StatusCode,
        code: Option<String>,
        message: Option<String>,
    },
    /// STS could not be reached.
    #[error("STS could not be reached: {0}")]
    Transport(#[source] object_store::client::HttpError),
    /// The source credential, or signing with it, failed.
    #[error("the credential that signs AssumeRole: {0}")]
    Source(String),
    /// The answer was not an AssumeRole response.
    #[error("STS answered something that is not an AssumeRole response: {0}")]
    Malformed(String),
}

/// An assumed credential and when it expires.
#[derive(Debug, Clone)]
pub(crate) struct Assumed {
    pub(crate) credential: Arc<AwsCredential>,
    pub(crate) expires: DateTime<Utc>,
}

/// Whether a credential expiring at `expires` may still be handed out at
/// `now` without renewal.
pub(crate) fn fresh(expires: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    chrono::Duration::from_std(REFRESH_BEFORE)
        .ok()
        .and_then(|margin| now.checked_add_signed(margin))
        .is_some_and(|renew_at| renew_at < expires)
}

/// Reads an AssumeRole answer (either document above).
pub(crate) fn parse_response(status: StatusCode, body: &[u8]) -> Result<Assumed, StsError> {
    let root = xml::parse(body).map_err(|err| StsError::Malformed(err.to_string()));
    if !status.is_success() || root.as_ref().is_ok_and(|r| r.name == "ErrorResponse") {
        let root = root.ok();
        let error = root.as_ref().and_then(|r| r.child("Error"));
        let text = |name| error.and_then(|e| e.text_at(&[name])).map(str::to_string);
        return Err(StsError::Refused {
            status,
            code: text("Code"),
            message: text("Message"),
        });
    }
    let root = root?;
    let credentials = root
        .child("AssumeRoleResult")
        .and_then(|r| r.child("Credentials"))
        .ok_or_else(|| StsError::Malformed(format!("<{}> without credentials", root.name)))?;
    let field = |name: &str| {
        credentials
            .text_at(&[name])
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_string)
            .ok_or_else(|| StsError::Malformed(format!("no {name}")))
    };
    let expiration = field("Expiration")?;
    let expires = DateTime::parse_from_rfc3339(&expiration)
        .map_err(|err| StsError::Malformed(format!("Expiration {expiration:?}: {err}")))?
        .with_timezone(&Utc);
    Ok(Assumed {
        credential: Arc::new(AwsCredential {
            key_id: field("AccessKeyId")?,
            secret_key: field("SecretAccessKey")?,
            token: Some(field("SessionToken")?),
        }),
        expires,
    })
}

/// The provider: one per store, shared by all its clients.
#[derive(Debug)]
pub(crate) struct AssumeRoleProvider {
    source: AwsCredentialProvider,
    http: HttpClient,
    role: AssumeRole,
    region: String,
    endpoint: String,
    cache: tokio::sync::Mutex<Option<Assumed>>,
}

impl AssumeRoleProvider {
    /// A provider assuming `role` with `source`'s credential, signing for
    /// `region` (and, without an endpoint, using that region's STS).
    pub(crate) fn new(
        source: AwsCredentialProvider,
        http: HttpClient,
        role: AssumeRole,
        region: &str,
    ) -> Self {
        let endpoint = role
            .sts_endpoint
            .clone()
            .unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com"));
        Self {
            source,
            http,
            role,
            region: region.to_string(),
            endpoint,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// The form body of the request.
    fn form(&self) -> String {
        let mut form = format!(
            "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName={}&DurationSeconds={}",
            enc(&self.role.role_arn),
            enc(&self.role.session_name),
            self.role.duration.as_secs()
        );
        if let Some(id) = &self.role.external_id {
            form.push_str(&format!("&ExternalId={}", enc(id)));
        }
        form
    }

    /// One AssumeRole call.
    async fn assume(&self) -> Result<Assumed, StsError> {
        let source = self
            .source
            .get_credential()
            .await
            .map_err(|err| StsError::Source(err.to_string()))?;
        let mut request: HttpRequest = http::Request::builder()
            .method(Method::POST)
            .uri(format!("{}/", self.endpoint))
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(HttpRequestBody::from(Bytes::from(self.form())))
            .map_err(|err| StsError::Source(err.to_string()))?;
        AwsAuthorizer::new(&source, "sts", &self.region)
            .try_authorize(&mut request, None)
            .map_err(|err| StsError::Source(err.to_string()))?;
        let response = self
            .http
            .execute(request)
            .await
            .map_err(StsError::Transport)?;
        let (parts, body) = response.into_parts();
        let body = body.bytes().await.map_err(StsError::Transport)?;
        parse_response(parts.status, &body)
    }
}

#[async_trait]
impl CredentialProvider for AssumeRoleProvider {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let mut cache = self.cache.lock().await;
        let now = Utc::now();
        if let Some(held) = cache.as_ref()
            && fresh(held.expires, now)
        {
            return Ok(Arc::clone(&held.credential));
        }
        match self.assume().await {
            Ok(assumed) => {
                tracing::debug!(role = %self.role.role_arn, expires = %assumed.expires, "assumed the role");
                let credential = Arc::clone(&assumed.credential);
                *cache = Some(assumed);
                Ok(credential)
            }
            Err(err) => match cache.as_ref() {
                Some(held) if held.expires > now => {
                    tracing::warn!(role = %self.role.role_arn, error = %err, "renewing the assumed role failed; the current credential serves until it expires");
                    Ok(Arc::clone(&held.credential))
                }
                _ => Err(object_store::Error::Unauthenticated {
                    path: String::new(),
                    source: Box::new(err),
                }),
            },
        }
    }
}

#[cfg(test)]
mod tests;
