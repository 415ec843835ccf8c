//! The S3 identity of `--storage s3://` (and of an S3 usage store): which
//! credential `--s3-credential` / `[s3] credential` names, completed from
//! the `[s3]` keys, the flags and the standard AWS environment variables.
//!
//! ```text
//! static            KEY_ID:SECRET[:SESSION_TOKEN] in --storage-key-file, else
//!                   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN]
//! session           the same, the session token required
//! assume-role       the same keys sign STS AssumeRole for role_arn (AWS_ROLE_ARN)
//! web-identity      web_identity_token_file (AWS_WEB_IDENTITY_TOKEN_FILE) + role_arn
//! instance-profile  metadata_endpoint (AWS_EC2_METADATA_SERVICE_ENDPOINT)
//! container         AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (ECS)
//! ```
//!
//! Secrets come from the key file or the environment, never from the
//! command line or the config file; a setting given in the file or as a
//! flag wins over its environment variable.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use wharf_blob::{AssumeRole, S3Addressing, S3Auth};

use crate::config::S3Section;
use crate::values::S3Credential;

/// The session name STS records when none is configured.
const DEFAULT_SESSION_NAME: &str = "wharfd";

/// The S3 identity settings of the merged configuration.
#[derive(Clone, Debug, Default)]
pub(crate) struct S3Identity {
    credential: Option<S3Credential>,
    role_arn: Option<String>,
    role_session_name: Option<String>,
    external_id: Option<String>,
    sts_endpoint: Option<String>,
    metadata_endpoint: Option<String>,
    web_identity_token_file: Option<PathBuf>,
    virtual_hosted: bool,
}

impl S3Identity {
    /// The settings of `[s3]` (flags already laid over it).
    pub(crate) fn new(section: &S3Section) -> Self {
        Self {
            credential: section.credential,
            role_arn: section.role_arn.clone(),
            role_session_name: section.role_session_name.clone(),
            external_id: section.external_id.clone(),
            sts_endpoint: section.sts_endpoint.clone(),
            metadata_endpoint: section.metadata_endpoint.clone(),
            web_identity_token_file: section.web_identity_token_file.clone(),
            virtual_hosted: section.virtual_hosted.unwrap_or(false),
        }
    }

    /// Path-style unless `virtual_hosted` is on.
    pub(crate) fn addressing(&self) -> S3Addressing {
        if self.virtual_hosted {
            S3Addressing::VirtualHosted
        } else {
            S3Addressing::Path
        }
    }

    /// The credential, from the process environment.
    pub(crate) fn auth(&self, key_file: Option<&Path>) -> Result<S3Auth> {
        self.auth_from(key_file, &|name| std::env::var(name).ok())
    }

    /// The credential, reading environment variables through `env` (and
    /// the access keys from `key_file`, if given).
    pub(crate) fn auth_from(
        &self,
        key_file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<S3Auth> {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let setting = |own: &Option<String>, variable: &str| own.clone().or_else(|| env(variable));
        let role_arn = || {
            setting(&self.role_arn, "AWS_ROLE_ARN").ok_or_else(|| {
                anyhow!("no role: give --s3-role-arn, [s3] role_arn or AWS_ROLE_ARN")
            })
        };
        let session_name = || {
            setting(&self.role_session_name, "AWS_ROLE_SESSION_NAME")
                .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned())
        };
        let sts_endpoint = setting(&self.sts_endpoint, "AWS_ENDPOINT_URL_STS");
        Ok(match self.credential.unwrap_or(S3Credential::Static) {
            S3Credential::Static => keys(key_file, &env, false)?,
            S3Credential::Session => keys(key_file, &env, true)?,
            S3Credential::AssumeRole => {
                let mut role = AssumeRole::new(keys(key_file, &env, false)?, role_arn()?, session_name());
                if let Some(id) = &self.external_id {
                    role = role.with_external_id(id);
                }
                if let Some(endpoint) = sts_endpoint {
                    role = role.with_sts_endpoint(endpoint);
                }
                S3Auth::AssumeRole(role)
            }
            S3Credential::WebIdentity => {
                let token_file = (self.web_identity_token_file.clone())
                    .or_else(|| env("AWS_WEB_IDENTITY_TOKEN_FILE").map(PathBuf::from))
                    .ok_or_else(|| {
                        anyhow!(
                            "no token file: give --s3-web-identity-token-file or set AWS_WEB_IDENTITY_TOKEN_FILE"
                        )
                    })?;
                S3Auth::WebIdentity {
                    token_file,
                    role_arn: role_arn()?,
                    session_name: session_name(),
                    sts_endpoint,
                }
            }
            S3Credential::InstanceProfile => S3Auth::InstanceProfile {
                metadata_endpoint: setting(&self.metadata_endpoint, "AWS_EC2_METADATA_SERVICE_ENDPOINT"),
            },
            S3Credential::Container => S3Auth::Container {
                relative_uri: env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").ok_or_else(|| {
                    anyhow!("--s3-credential container needs AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (set by ECS)")
                })?,
            },
        })
    }
}

/// Access keys from the key file (`KEY_ID:SECRET[:SESSION_TOKEN]`) or the
/// environment; `need_token` refuses keys without a session token.
fn keys(
    key_file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
    need_token: bool,
) -> Result<S3Auth> {
    let (id, secret, token) = match key_file {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read the key file {}", file.display()))?;
            let mut parts = text.trim().splitn(3, ':').map(str::to_owned);
            match (parts.next(), parts.next(), parts.next()) {
                (Some(id), Some(secret), token) if !id.is_empty() && !secret.is_empty() => {
                    (id, secret, token)
                }
                _ => bail!("the S3 key file holds ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]"),
            }
        }
        None => match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
            (Some(id), Some(secret)) => (id, secret, env("AWS_SESSION_TOKEN")),
            _ => bail!(
                "no key: give --storage-key-file or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ),
        },
    };
    match token {
        Some(token) => Ok(S3Auth::session(id, secret, token.trim())),
        None if need_token => bail!(
            "--s3-credential session needs a session token: KEY_ID:SECRET:TOKEN in the key file, or AWS_SESSION_TOKEN"
        ),
        None => Ok(S3Auth::keys(id, secret)),
    }
}

#[cfg(test)]
mod tests;
