//! The flags of `--storage s3://...` (endpoint, region, where the
//! credential comes from, addressing) and `--storage gcs://...`,
//! flattened into [`Cli`](super::Cli). Secrets are never flags: keys come
//! from `--storage-key-file` or the environment.

use std::path::PathBuf;

use crate::config::{GcsSection, S3Section};
use crate::values::S3Credential;

/// The S3 and GCS flags.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct ObjectStoreArgs {
    /// The S3 endpoint for --storage s3:// (default AWS for --s3-region).
    #[arg(long, value_name = "URL")]
    pub(crate) s3_endpoint: Option<String>,

    /// The S3 region (default us-east-1).
    #[arg(long, value_name = "REGION")]
    pub(crate) s3_region: Option<String>,

    /// Where the S3 credential comes from: static (access keys, with
    /// AWS_SESSION_TOKEN or a third KEY:SECRET:TOKEN part when given; the
    /// default), session (the token required), assume-role (STS AssumeRole
    /// signed with the access keys), web-identity (a token file),
    /// instance-profile (EC2 IMDSv2) or container (the ECS task role).
    #[arg(long, value_enum, value_name = "KIND")]
    pub(crate) s3_credential: Option<S3Credential>,

    /// The role of --s3-credential assume-role or web-identity (default
    /// AWS_ROLE_ARN).
    #[arg(long, value_name = "ARN")]
    pub(crate) s3_role_arn: Option<String>,

    /// The STS session name (default AWS_ROLE_SESSION_NAME, else wharfd).
    #[arg(long, value_name = "NAME")]
    pub(crate) s3_role_session_name: Option<String>,

    /// The STS endpoint (default AWS_ENDPOINT_URL_STS, else the region's:
    /// sts.REGION.amazonaws.com over HTTPS).
    #[arg(long, value_name = "URL")]
    pub(crate) s3_sts_endpoint: Option<String>,

    /// The instance metadata endpoint of --s3-credential instance-profile
    /// (default AWS_EC2_METADATA_SERVICE_ENDPOINT, else
    /// http://169.254.169.254).
    #[arg(long, value_name = "URL")]
    pub(crate) s3_metadata_endpoint: Option<String>,

    /// The token file of --s3-credential web-identity (default
    /// AWS_WEB_IDENTITY_TOKEN_FILE).
    #[arg(long, value_name = "FILE")]
    pub(crate) s3_web_identity_token_file: Option<PathBuf>,

    /// Virtual-hosted-style S3 URLs (the bucket in the host name:
    /// BUCKET.ENDPOINT-HOST/KEY) instead of path-style (ENDPOINT/BUCKET/KEY).
    #[arg(long)]
    pub(crate) s3_virtual_hosted: bool,

    /// The GCS endpoint for --storage gcs:// (default
    /// https://storage.googleapis.com; an emulator's, e.g.
    /// http://127.0.0.1:4443).
    #[arg(long, value_name = "URL")]
    pub(crate) gcs_endpoint: Option<String>,

    /// The GCS project whose buckets --storage gcs:// shows and creates
    /// (default: the project_id of the --storage-key-file key).
    #[arg(long, value_name = "ID")]
    pub(crate) gcs_project: Option<String>,
}

impl ObjectStoreArgs {
    /// `[s3]` as the flags give it (unset where no flag is given).
    pub(crate) fn s3(&self) -> S3Section {
        S3Section {
            endpoint: self.s3_endpoint.clone(),
            region: self.s3_region.clone(),
            credential: self.s3_credential,
            role_arn: self.s3_role_arn.clone(),
            role_session_name: self.s3_role_session_name.clone(),
            // File-only: an external id is configuration, not a flag.
            external_id: None,
            sts_endpoint: self.s3_sts_endpoint.clone(),
            metadata_endpoint: self.s3_metadata_endpoint.clone(),
            web_identity_token_file: self.s3_web_identity_token_file.clone(),
            virtual_hosted: self.s3_virtual_hosted.then_some(true),
        }
    }

    /// `[gcs]` as the flags give it.
    pub(crate) fn gcs(&self) -> GcsSection {
        GcsSection {
            endpoint: self.gcs_endpoint.clone(),
            project: self.gcs_project.clone(),
        }
    }
}
