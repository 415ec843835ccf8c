//! The sections of the configuration file about object stores: where
//! `storage = "azure://..."`, `"s3://..."` and `"gcs://..."` are and how
//! they sign, and the store a fleet shares its bans and session counts in.

use std::path::PathBuf;

use serde::Deserialize;

use crate::values::MarkerStyle;

/// `[shared_state]`: failed logins, bans and per-address session counts
/// shared by a fleet through one store (off unless `store` is given).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SharedStateSection {
    /// A directory, `azure://ACCOUNT/CONTAINER[/PREFIX]` or
    /// `s3://BUCKET[/PREFIX]`, as `[quota] store`.
    pub(crate) store: Option<String>,
    /// The key of a blob store (default: `storage_key_file`, then the
    /// environment).
    pub(crate) store_key_file: Option<PathBuf>,
    /// How often each server reads the ban list (default 5).
    pub(crate) ban_refresh_secs: Option<u64>,
    /// How long a server's session counts hold without renewal (default 60).
    pub(crate) session_lease_secs: Option<u64>,
    /// Whether the per-address session limit is held across the fleet
    /// (default true).
    pub(crate) sessions: Option<bool>,
    /// The longest one store call may take, milliseconds (default 3000).
    pub(crate) timeout_ms: Option<u64>,
}

/// `[s3]`: where the S3 store of `storage = "s3://..."` is.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct S3Section {
    pub(crate) endpoint: Option<String>,
    pub(crate) region: Option<String>,
    /// Where the credential comes from (`s3_identity.rs`).
    pub(crate) credential: Option<crate::values::S3Credential>,
    pub(crate) role_arn: Option<String>,
    pub(crate) role_session_name: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) sts_endpoint: Option<String>,
    pub(crate) metadata_endpoint: Option<String>,
    pub(crate) web_identity_token_file: Option<PathBuf>,
    /// Virtual-hosted-style bucket URLs instead of path-style.
    pub(crate) virtual_hosted: Option<bool>,
}

/// `[gcs]`: where the Google Cloud Storage of `storage = "gcs://..."` is,
/// and the project whose buckets `gcs://` shows.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct GcsSection {
    pub(crate) endpoint: Option<String>,
    pub(crate) project: Option<String>,
}

/// `[azure]`: seed 000's bridge to Azure Blob Storage.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct AzureSection {
    /// Log in with a storage account name and key.
    pub(crate) passthrough: Option<bool>,
    /// The blob endpoint, `{account}` for the account name.
    pub(crate) endpoint: Option<String>,
    /// "placeholder" (a `.placeholder` blob) or "slash" (a `folder/` blob).
    pub(crate) folder_marker: Option<MarkerStyle>,
    /// The storage accounts that may log in by passthrough; none: all.
    pub(crate) accounts: Option<Vec<String>>,
    /// Passthrough without TLS for logins (keys in clear).
    pub(crate) allow_account_keys_in_clear: Option<bool>,
    /// SITE CHMOD may make containers of `storage = "azure://ACCOUNT"`
    /// public.
    pub(crate) allow_container_public_access: Option<bool>,
    /// How `storage = "azure://..."` signs (`storage/azure_identity.rs`).
    pub(crate) credential: Option<crate::storage::AzureCredentialKind>,
    /// The Entra ID directory (tenant) id.
    pub(crate) tenant_id: Option<String>,
    /// The application (client) id, or a user-assigned managed identity's.
    pub(crate) client_id: Option<String>,
    /// The file holding the client secret.
    pub(crate) client_secret_file: Option<PathBuf>,
    /// The workload identity's federated token file.
    pub(crate) federated_token_file: Option<PathBuf>,
    /// The Entra ID token service (default https://login.microsoftonline.com).
    pub(crate) authority_host: Option<String>,
    /// The managed identity's token endpoint (default IMDS).
    pub(crate) msi_endpoint: Option<String>,
}
