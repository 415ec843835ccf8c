//! `[credentials.NAME]`: the keys of stores that users' homes and mounts
//! (and virtual hosts' storage) are in, referred to by name from the users
//! file (`credentials = "NAME"`, or `azure://NAME@ACCOUNT/...`).
//!
//! ```toml
//! [credentials.team]
//! kind = "azure-sas"           # azure-key | azure-sas | azure-connection-string | s3-keys | gcs-key
//!                              # (azure-identity | s3-identity: credential_identities.rs)
//! file = "keys/team.sas"       # the secret, in a file (relative to the config file)
//! # env = "TEAM_SAS"           # or in an environment variable
//!
//! [credentials.sa]
//! kind = "gcs-key"             # a service account's JSON key
//! file = "keys/sa.json"        # (env = "VARIABLE": the JSON text itself)
//! # endpoint = "http://127.0.0.1:4443"   # default [gcs] endpoint
//! ```
//!
//! Secrets are never written in a config or users file: they sit in files
//! of their own (which can be readable by wharfd alone) or in the
//! environment. A key written inline (`key = "..."`) is refused with an
//! error saying where it belongs, rather than the bare "unknown field".
//! The identity kinds `azure-identity` and `s3-identity` (an Entra ID
//! identity, an S3 role) are checked in `credential_identities.rs`.

use std::path::PathBuf;

use anyhow::{Result, bail};
use serde::Deserialize;

/// What a credential is, which says how its secret is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum CredentialKind {
    /// An Azure storage account key (Shared Key).
    AzureKey,
    /// An Azure SAS token (account or container SAS).
    AzureSas,
    /// An Azure connection string (`AccountName=...;AccountKey=...` or
    /// `BlobEndpoint=...;SharedAccessSignature=...`).
    AzureConnectionString,
    /// An S3 access key pair: `ACCESS_KEY_ID:SECRET` in the file, or two
    /// environment variables.
    S3Keys,
    /// A Google Cloud service account's JSON key, as the Cloud console
    /// downloads it: the file, or the JSON text in the variable.
    GcsKey,
    /// An Entra ID identity (`credential_identities.rs`).
    AzureIdentity,
    /// An S3 identity: a role, web identity, instance profile...
    /// (`credential_identities.rs`).
    S3Identity,
}

/// Which kind of store a credential signs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CredentialStore {
    Azure,
    S3,
    Gcs,
}

impl CredentialStore {
    /// Its name in errors.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Azure => "Azure",
            Self::S3 => "S3",
            Self::Gcs => "GCS",
        }
    }
}

impl CredentialKind {
    /// The kind of store it signs for.
    pub(crate) fn store(self) -> CredentialStore {
        match self {
            Self::AzureKey | Self::AzureSas | Self::AzureConnectionString | Self::AzureIdentity => {
                CredentialStore::Azure
            }
            Self::S3Keys | Self::S3Identity => CredentialStore::S3,
            Self::GcsKey => CredentialStore::Gcs,
        }
    }
}

/// One `[credentials.NAME]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CredentialEntry {
    pub(crate) kind: CredentialKind,
    /// The file holding the secret.
    pub(crate) file: Option<PathBuf>,
    /// An environment variable holding the secret (Azure kinds).
    pub(crate) env: Option<String>,
    /// `s3-keys`: the variables holding the key id and the secret.
    pub(crate) access_key_id_env: Option<String>,
    pub(crate) secret_access_key_env: Option<String>,
    /// Azure: the blob endpoint template with `{account}` (default
    /// `[azure] endpoint`); S3: the endpoint URL (default `[s3] endpoint`);
    /// GCS: the endpoint URL (default `[gcs] endpoint`).
    pub(crate) endpoint: Option<String>,
    /// S3: the region (default `[s3] region`).
    pub(crate) region: Option<String>,
    /// The identity kinds' settings, as in `[azure]` and `[s3]`
    /// (`credential_identities.rs`).
    pub(crate) credential: Option<String>,
    pub(crate) tenant_id: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret_file: Option<PathBuf>,
    pub(crate) federated_token_file: Option<PathBuf>,
    pub(crate) authority_host: Option<String>,
    pub(crate) msi_endpoint: Option<String>,
    pub(crate) role_arn: Option<String>,
    pub(crate) role_session_name: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) sts_endpoint: Option<String>,
    pub(crate) metadata_endpoint: Option<String>,
    pub(crate) web_identity_token_file: Option<PathBuf>,
    pub(crate) virtual_hosted: Option<bool>,
    /// `s3-identity`: the variable holding a session token.
    pub(crate) session_token_env: Option<String>,
    // Secrets written inline, named only to be refused clearly.
    key: Option<toml::Value>,
    secret: Option<toml::Value>,
    token: Option<toml::Value>,
    sas: Option<toml::Value>,
    connection_string: Option<toml::Value>,
    account_key: Option<toml::Value>,
    access_key_id: Option<toml::Value>,
    secret_access_key: Option<toml::Value>,
    private_key: Option<toml::Value>,
    client_secret: Option<toml::Value>,
    session_token: Option<toml::Value>,
}

impl CredentialEntry {
    /// Checks that the secret has exactly one source and is not inline.
    /// `key` is `credentials.NAME`.
    pub(crate) fn check(&self, key: &str) -> Result<()> {
        let inline = [
            ("key", &self.key),
            ("secret", &self.secret),
            ("token", &self.token),
            ("sas", &self.sas),
            ("connection_string", &self.connection_string),
            ("account_key", &self.account_key),
            ("access_key_id", &self.access_key_id),
            ("secret_access_key", &self.secret_access_key),
            ("private_key", &self.private_key),
            ("client_secret", &self.client_secret),
            ("session_token", &self.session_token),
        ];
        if let Some((field, _)) = inline.iter().find(|(_, value)| value.is_some()) {
            bail!(
                "{key}.{field}: secrets are not written in the config file; put it in a file of \
                 its own and give file = \"PATH\" (or env = \"VARIABLE\")"
            );
        }
        if matches!(
            self.kind,
            CredentialKind::AzureIdentity | CredentialKind::S3Identity
        ) {
            return self.check_identity(key);
        }
        self.refuse_identity_fields(key)?;
        let pair = (&self.access_key_id_env, &self.secret_access_key_env);
        let sources = [
            self.file.is_some(),
            self.env.is_some(),
            pair.0.is_some() || pair.1.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            bail!("{key}: give the secret's one source: file, or env (s3-keys: the *_env pair)");
        }
        match self.kind {
            CredentialKind::S3Keys => {
                if self.env.is_some() {
                    bail!(
                        "{key}.env: s3-keys read two variables: access_key_id_env and secret_access_key_env"
                    );
                }
                if pair.0.is_some() != pair.1.is_some() {
                    bail!("{key}: access_key_id_env and secret_access_key_env go together");
                }
            }
            _ => {
                if pair.0.is_some() {
                    bail!("{key}: the *_env pair is for s3-keys; give env = \"VARIABLE\"");
                }
                if self.region.is_some() {
                    bail!("{key}.region: a region is for s3-keys");
                }
                if let Some(endpoint) = &self.endpoint
                    && self.kind.store() == CredentialStore::Azure
                    && !endpoint.contains("{account}")
                {
                    bail!("{key}.endpoint: {endpoint:?} must contain {{account}}");
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<CredentialEntry> {
        let entry: CredentialEntry = toml::from_str(text)?;
        entry.check("credentials.x")?;
        Ok(entry)
    }

    #[test]
    fn each_kind_with_its_source() {
        let sas = parse("kind = \"azure-sas\"\nfile = \"team.sas\"").unwrap();
        assert_eq!(sas.kind, CredentialKind::AzureSas);
        assert_eq!(sas.kind.store(), CredentialStore::Azure);
        parse("kind = \"azure-key\"\nenv = \"KEY\"").unwrap();
        parse("kind = \"azure-connection-string\"\nfile = \"c\"").unwrap();
        let s3 = parse(
            "kind = \"s3-keys\"\naccess_key_id_env = \"A\"\nsecret_access_key_env = \"B\"\nregion = \"eu-west-1\"",
        )
        .unwrap();
        assert_eq!(s3.kind.store(), CredentialStore::S3);
        let gcs =
            parse("kind = \"gcs-key\"\nfile = \"sa.json\"\nendpoint = \"http://127.0.0.1:4443\"")
                .unwrap();
        assert_eq!(
            (gcs.kind, gcs.kind.store()),
            (CredentialKind::GcsKey, CredentialStore::Gcs)
        );
        parse("kind = \"gcs-key\"\nenv = \"SA_JSON\"").unwrap();
    }

    #[test]
    fn inline_secrets_and_wrong_sources_are_refused() {
        for (text, said) in [
            (
                "kind = \"azure-key\"\nkey = \"c2VjcmV0\"",
                "credentials.x.key: secrets are not written in the config file",
            ),
            (
                "kind = \"s3-keys\"\nsecret_access_key = \"s\"\nfile = \"f\"",
                "credentials.x.secret_access_key: secrets are not written",
            ),
            ("kind = \"azure-sas\"", "one source"),
            (
                "kind = \"azure-sas\"\nfile = \"a\"\nenv = \"B\"",
                "one source",
            ),
            ("kind = \"s3-keys\"\nenv = \"B\"", "two variables"),
            (
                "kind = \"s3-keys\"\naccess_key_id_env = \"A\"",
                "go together",
            ),
            (
                "kind = \"azure-key\"\nfile = \"f\"\nendpoint = \"http://x\"",
                "{account}",
            ),
            ("kind = \"gcs-key\"", "one source"),
            (
                "kind = \"gcs-key\"\nfile = \"f\"\nregion = \"eu\"",
                "a region is for s3-keys",
            ),
            (
                "kind = \"gcs-key\"\nprivate_key = \"-----BEGIN\"",
                "credentials.x.private_key: secrets are not written",
            ),
        ] {
            let error = format!("{:#}", parse(text).unwrap_err());
            assert!(error.contains(said), "{text}: {error}");
        }
        let unknown = format!(
            "{:#}",
            parse("kind = \"azure-magic\"\nfile = \"f\"").unwrap_err()
        );
        assert!(unknown.contains("azure-magic"), "{unknown}");
    }
}
