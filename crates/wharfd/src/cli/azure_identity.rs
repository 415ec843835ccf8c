//! The flags of `--storage azure://...`'s Entra ID identities and of the
//! storage's private CA, flattened into [`Cli`](super::Cli). Secrets are
//! never flags: a client secret comes from a file or
//! `AZURE_CLIENT_SECRET`.

use std::path::PathBuf;

use crate::config::AzureSection;
use crate::storage::AzureCredentialKind;

/// `--azure-credential` and the identity's settings; `--storage-ca-file`.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct StorageCredentialArgs {
    /// How --storage azure://... signs: key, sas or connection-string (from
    /// --storage-key-file or the environment, as without this flag, but the
    /// form must match), or an Entra ID identity: client-secret,
    /// managed-identity, workload-identity, azure-cli. Without it, a key
    /// file or AZURE_STORAGE_* variable; identities are used only when
    /// named here.
    #[arg(long, value_enum, value_name = "KIND")]
    pub(crate) azure_credential: Option<AzureCredentialKind>,

    /// The Entra ID directory (tenant) id (else AZURE_TENANT_ID).
    #[arg(long, value_name = "ID")]
    pub(crate) azure_tenant_id: Option<String>,

    /// The application (client) id, or a user-assigned managed identity's
    /// (else AZURE_CLIENT_ID).
    #[arg(long, value_name = "ID")]
    pub(crate) azure_client_id: Option<String>,

    /// A file holding the client secret (else AZURE_CLIENT_SECRET).
    #[arg(long, value_name = "FILE")]
    pub(crate) azure_client_secret_file: Option<PathBuf>,

    /// The workload identity's federated token file (else
    /// AZURE_FEDERATED_TOKEN_FILE).
    #[arg(long, value_name = "FILE")]
    pub(crate) azure_federated_token_file: Option<PathBuf>,

    /// The Entra ID token service (else AZURE_AUTHORITY_HOST, else
    /// https://login.microsoftonline.com).
    #[arg(long, value_name = "URL")]
    pub(crate) azure_authority_host: Option<String>,

    /// The managed identity's token endpoint (else IDENTITY_ENDPOINT, App
    /// Service's, else IMDS at 169.254.169.254).
    #[arg(long, value_name = "URL")]
    pub(crate) azure_msi_endpoint: Option<String>,

    /// PEM root certificates every store's HTTPS client trusts besides the
    /// system's (--storage, the homes, --azure-passthrough, the usage store,
    /// the shared state): a private CA, or an emulator's test certificate.
    #[arg(long, value_name = "FILE")]
    pub(crate) storage_ca_file: Option<PathBuf>,
}

impl StorageCredentialArgs {
    /// `section` with the identity flags that were given set.
    pub(crate) fn over_azure(&self, section: AzureSection) -> AzureSection {
        AzureSection {
            credential: self.azure_credential,
            tenant_id: self.azure_tenant_id.clone(),
            client_id: self.azure_client_id.clone(),
            client_secret_file: self.azure_client_secret_file.clone(),
            federated_token_file: self.azure_federated_token_file.clone(),
            authority_host: self.azure_authority_host.clone(),
            msi_endpoint: self.azure_msi_endpoint.clone(),
            ..section
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::Cli;
    use crate::config::{Config, Overlay};
    use crate::storage::AzureCredentialKind;

    #[test]
    fn identity_flags_lay_over_the_file_key_by_key() {
        let file = "[azure]\ncredential = \"client-secret\"\ntenant_id = \"file-tenant\"\n\
                    client_id = \"file-client\"\nendpoint = \"https://{account}.example\"";
        let cli = Cli::parse_from([
            "wharfd",
            "--azure-credential",
            "managed-identity",
            "--azure-client-id",
            "flag-client",
            "--azure-msi-endpoint",
            "http://127.0.0.1:9/token",
            "--storage-ca-file",
            "ca.pem",
        ]);
        let mut config = Config::parse(file).unwrap();
        config.overlay(cli.overlay());
        let settings = config.azure.identity_settings();
        assert_eq!(
            settings.credential,
            Some(AzureCredentialKind::ManagedIdentity)
        );
        assert_eq!(settings.client_id.as_deref(), Some("flag-client"));
        assert_eq!(settings.tenant_id.as_deref(), Some("file-tenant"));
        assert_eq!(
            settings.msi_endpoint.as_deref(),
            Some("http://127.0.0.1:9/token")
        );
        assert_eq!(config.storage_ca_file, Some("ca.pem".into()));
        // The other [azure] keys are untouched by the identity flags.
        assert_eq!(
            config.azure.endpoint.as_deref(),
            Some("https://{account}.example")
        );
    }

    #[test]
    fn a_client_secret_is_no_flag() {
        let given = Cli::try_parse_from(["wharfd", "--azure-client-secret", "s3cret"]);
        assert!(given.is_err());
    }
}
