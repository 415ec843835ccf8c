//! `--s3-credential` / `[s3] credential`: where an S3 store's credential
//! comes from (`s3_identity.rs` resolves it).

use clap::ValueEnum;
use serde::Deserialize;

/// The kinds of S3 credential wharfd can sign with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum S3Credential {
    /// An access key pair, with its session token when one is given (the
    /// default).
    Static,
    /// Temporary keys and their session token (STS GetSessionToken); the
    /// token is required.
    Session,
    /// STS AssumeRole with the access keys as the source, renewed before
    /// expiry.
    AssumeRole,
    /// STS AssumeRoleWithWebIdentity with a token file.
    WebIdentity,
    /// The EC2 instance profile (IMDSv2).
    InstanceProfile,
    /// The ECS task role (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI).
    Container,
}
