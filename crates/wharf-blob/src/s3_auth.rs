//! [`S3Auth`]: where an S3 store's AWS credential comes from, and the one
//! credential provider per account that object_store's clients (every
//! bucket's) and wharf-blob's own REST calls share, so that they sign with
//! the same, current credential and a temporary one is fetched once.
//!
//! Web identity, instance profiles and ECS task roles are object_store's
//! own providers (built through `AmazonS3Builder`, taken out with
//! `AmazonS3::credentials`); AssumeRole, which object_store lacks, is
//! [`crate::assume_role`]. Whatever the source, a failure to obtain a
//! credential reaches the client as a refusal naming the source
//! ([`CredentialUnavailable`]), not as a storage fault to retry.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, AwsCredential, AwsCredentialProvider};
use object_store::{CredentialProvider, RetryConfig, StaticCredentialProvider};

use crate::assume_role::AssumeRoleProvider;
use crate::config::REDACTED;
use crate::connector::RingConnector;
use crate::errors::BlobError;

/// Where an S3 credential comes from.
#[derive(Clone)]
#[non_exhaustive]
pub enum S3Auth {
    /// An access key pair; with a session token for temporary credentials
    /// (STS GetSessionToken, or any `ASIA...` key), sent as
    /// `x-amz-security-token` on every request.
    Keys {
        /// The access key id.
        access_key_id: String,
        /// The secret access key.
        secret_access_key: String,
        /// The session token of temporary credentials.
        session_token: Option<String>,
    },
    /// STS AssumeRole, signed with another credential, renewed before it
    /// expires.
    AssumeRole(AssumeRole),
    /// STS AssumeRoleWithWebIdentity with a token read from a file
    /// (EKS service accounts, GitHub Actions OIDC), renewed before expiry;
    /// the file is read again each time, so a rotated token is picked up.
    WebIdentity {
        /// The file holding the OIDC token.
        token_file: PathBuf,
        /// The role to assume.
        role_arn: String,
        /// The session name STS records.
        session_name: String,
        /// The STS endpoint (default `https://sts.REGION.amazonaws.com`).
        sts_endpoint: Option<String>,
    },
    /// The EC2 instance profile, from the instance metadata service
    /// (IMDSv2: a session token first, then the role's credential).
    InstanceProfile {
        /// The metadata endpoint (default `http://169.254.169.254`).
        metadata_endpoint: Option<String>,
    },
    /// An ECS task role, from the container credentials endpoint
    /// (`http://169.254.170.2` + `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`).
    Container {
        /// The relative URI ECS sets for the task.
        relative_uri: String,
    },
}

impl S3Auth {
    /// A long-term access key pair.
    pub fn keys(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self::Keys {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }

    /// Temporary credentials: a key pair and its session token.
    pub fn session(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: impl Into<String>,
    ) -> Self {
        Self::Keys {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: Some(session_token.into()),
        }
    }

    /// What the credential is, for logs and `Debug`: never a secret.
    pub fn describe(&self) -> String {
        match self {
            Self::Keys {
                access_key_id,
                session_token,
                ..
            } => match session_token {
                Some(_) => format!("session credential {access_key_id}"),
                None => format!("access key {access_key_id}"),
            },
            Self::AssumeRole(role) => format!(
                "role {} assumed with {}",
                role.role_arn,
                role.source.describe()
            ),
            Self::WebIdentity { role_arn, .. } => format!("role {role_arn} by web identity"),
            Self::InstanceProfile { .. } => "the instance profile".to_string(),
            Self::Container { .. } => "the container's task role".to_string(),
        }
    }

    /// The provider for this credential; `region` is the store's, which
    /// STS requests are signed for too.
    pub(crate) fn provider(
        &self,
        region: &str,
        connector: &RingConnector,
        retry: &RetryConfig,
    ) -> Result<AwsCredentialProvider, BlobError> {
        let (inner, source): (AwsCredentialProvider, &'static str) = match self {
            Self::Keys {
                access_key_id,
                secret_access_key,
                session_token,
            } => {
                let credential = AwsCredential {
                    key_id: access_key_id.clone(),
                    secret_key: secret_access_key.clone(),
                    token: session_token.clone(),
                };
                (
                    Arc::new(StaticCredentialProvider::new(credential)),
                    "the access key",
                )
            }
            Self::AssumeRole(role) => {
                let source = role.source.provider(region, connector, retry)?;
                let http = connector
                    .client()
                    .map_err(|err| BlobError::Config(err.to_string()))?;
                let provider = AssumeRoleProvider::new(
                    source,
                    object_store::client::HttpClient::new(http),
                    role.clone(),
                    region,
                );
                (Arc::new(provider), "STS AssumeRole")
            }
            Self::WebIdentity {
                token_file,
                role_arn,
                session_name,
                sts_endpoint,
            } => {
                let mut builder = template(region, connector, retry)
                    .with_config(
                        AmazonS3ConfigKey::WebIdentityTokenFile,
                        token_file.to_string_lossy(),
                    )
                    .with_config(AmazonS3ConfigKey::RoleArn, role_arn)
                    .with_config(AmazonS3ConfigKey::RoleSessionName, session_name);
                if let Some(endpoint) = sts_endpoint {
                    builder = builder.with_config(AmazonS3ConfigKey::StsEndpoint, endpoint);
                }
                (built(builder)?, "STS AssumeRoleWithWebIdentity")
            }
            Self::InstanceProfile { metadata_endpoint } => {
                let mut builder = template(region, connector, retry);
                if let Some(endpoint) = metadata_endpoint {
                    builder = builder.with_metadata_endpoint(endpoint.trim_end_matches('/'));
                }
                (built(builder)?, "the instance metadata service")
            }
            Self::Container { relative_uri } => {
                let builder = template(region, connector, retry).with_config(
                    AmazonS3ConfigKey::ContainerCredentialsRelativeUri,
                    relative_uri,
                );
                (built(builder)?, "the container credentials endpoint")
            }
        };
        Ok(Arc::new(Explained { inner, source }))
    }
}

/// A builder that picks its credential provider from what it is given
/// next, and nothing from the environment.
fn template(region: &str, connector: &RingConnector, retry: &RetryConfig) -> AmazonS3Builder {
    AmazonS3Builder::new()
        .with_bucket_name("wharf-credential-source")
        .with_region(region)
        .with_http_connector(connector.clone())
        .with_retry(retry.clone())
}

/// The credential provider of a builder, which builds without a request.
fn built(builder: AmazonS3Builder) -> Result<AwsCredentialProvider, BlobError> {
    let store = builder.build().map_err(BlobError::Client)?;
    Ok(Arc::clone(store.credentials()))
}

/// Never prints a secret key or a session token.
impl fmt::Debug for S3Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Keys {
                access_key_id,
                session_token,
                ..
            } => f
                .debug_struct("Keys")
                .field("access_key_id", access_key_id)
                .field("secret_access_key", &REDACTED)
                .field("session_token", &session_token.as_ref().map(|_| REDACTED))
                .finish(),
            Self::AssumeRole(role) => f.debug_tuple("AssumeRole").field(role).finish(),
            Self::WebIdentity {
                token_file,
                role_arn,
                session_name,
                sts_endpoint,
            } => f
                .debug_struct("WebIdentity")
                .field("token_file", token_file)
                .field("role_arn", role_arn)
                .field("session_name", session_name)
                .field("sts_endpoint", sts_endpoint)
                .finish(),
            Self::InstanceProfile { metadata_endpoint } => f
                .debug_struct("InstanceProfile")
                .field("metadata_endpoint", metadata_endpoint)
                .finish(),
            Self::Container { relative_uri } => f
                .debug_struct("Container")
                .field("relative_uri", relative_uri)
                .finish(),
        }
    }
}

/// STS AssumeRole: which role, as whom, for how long.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AssumeRole {
    /// The credential that signs the AssumeRole request.
    pub source: Box<S3Auth>,
    /// The role to assume (`arn:aws:iam::ACCOUNT:role/NAME`).
    pub role_arn: String,
    /// The session name STS records (2-64 of `[\w+=,.@-]`).
    pub session_name: String,
    /// The external id the role's trust policy may require.
    pub external_id: Option<String>,
    /// How long each assumed credential lasts (STS allows 15 minutes up
    /// to the role's maximum; default one hour).
    pub duration: Duration,
    /// The STS endpoint (default `https://sts.REGION.amazonaws.com`).
    pub sts_endpoint: Option<String>,
}

impl AssumeRole {
    /// Assume `role_arn` as `session_name`, signing with `source`.
    pub fn new(
        source: S3Auth,
        role_arn: impl Into<String>,
        session_name: impl Into<String>,
    ) -> Self {
        Self {
            source: Box::new(source),
            role_arn: role_arn.into(),
            session_name: session_name.into(),
            external_id: None,
            duration: Duration::from_secs(3600),
            sts_endpoint: None,
        }
    }

    /// Sets [`AssumeRole::external_id`].
    #[must_use]
    pub fn with_external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// Sets [`AssumeRole::duration`].
    #[must_use]
    pub fn with_duration(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }

    /// Sets [`AssumeRole::sts_endpoint`].
    #[must_use]
    pub fn with_sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sts_endpoint = Some(endpoint.into().trim_end_matches('/').to_string());
        self
    }
}

/// No credential could be had from its source (STS refused or could not
/// be reached, the token file is unreadable, no instance metadata).
#[derive(Debug, thiserror::Error)]
#[error("no S3 credential from {source_name}: {message}")]
pub(crate) struct CredentialUnavailable {
    /// Where the credential was to come from.
    pub(crate) source_name: &'static str,
    /// Why not (never a secret: providers do not echo them).
    pub(crate) message: String,
}

/// A provider whose failures say where the credential was to come from,
/// as [`object_store::Error::Unauthenticated`] holding a
/// [`CredentialUnavailable`].
#[derive(Debug)]
struct Explained {
    inner: AwsCredentialProvider,
    source: &'static str,
}

#[async_trait]
impl CredentialProvider for Explained {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        self.inner.get_credential().await.map_err(|err| {
            let message = match &err {
                object_store::Error::Unauthenticated { source, .. } => source.to_string(),
                other => other.to_string(),
            };
            object_store::Error::Unauthenticated {
                path: String::new(),
                source: Box::new(CredentialUnavailable {
                    source_name: self.source,
                    message,
                }),
            }
        })
    }
}

#[cfg(test)]
mod tests;
