//! [`EntraIdentity`]: which Entra ID identity obtains the account's tokens.

use std::fmt;
use std::path::PathBuf;

use object_store::azure::MicrosoftAzureBuilder;

use crate::config::REDACTED;

/// An Entra ID (OAuth 2.0) identity whose bearer tokens sign requests, for
/// accounts whose policy disables Shared Key or for code running with a
/// managed or workload identity. The identity needs an RBAC role on the
/// account or container (Storage Blob Data Reader, Contributor or Owner);
/// what the role lacks the store refuses, and the refusal names it.
///
/// Each variant picks one of object_store's token providers explicitly:
/// nothing is guessed from what happens to be set in the environment.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntraIdentity {
    /// An app registration's client secret (the client credentials grant:
    /// `POST {authority_host}/{tenant_id}/oauth2/v2.0/token`).
    ClientSecret {
        /// The directory (tenant) id.
        tenant_id: String,
        /// The application (client) id.
        client_id: String,
        /// The client secret. `Debug` never prints it.
        client_secret: String,
        /// The token service; `None`: `https://login.microsoftonline.com`.
        authority_host: Option<String>,
    },
    /// The managed identity of the VM, container or App Service the
    /// process runs in: IMDS (`http://169.254.169.254/metadata/identity/
    /// oauth2/token`), or App Service's `IDENTITY_ENDPOINT`, which sends
    /// `IDENTITY_HEADER` along (object_store reads that variable).
    ManagedIdentity {
        /// A user-assigned identity's client id; `None`: the
        /// system-assigned identity.
        client_id: Option<String>,
        /// The token endpoint; `None`: IMDS.
        endpoint: Option<String>,
    },
    /// Workload identity federation (Kubernetes): a token file the
    /// platform keeps fresh is exchanged for an Entra ID token.
    WorkloadIdentity {
        /// The directory (tenant) id.
        tenant_id: String,
        /// The application (client) id.
        client_id: String,
        /// The federated token file (`AZURE_FEDERATED_TOKEN_FILE`), read
        /// at each token request.
        token_file: PathBuf,
        /// The token service; `None`: `https://login.microsoftonline.com`.
        authority_host: Option<String>,
    },
    /// The signed-in Azure CLI user (`az account get-access-token`), for
    /// development.
    AzureCli,
}

impl EntraIdentity {
    /// The name of the identity's kind, for logs and messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ClientSecret { .. } => "client secret",
            Self::ManagedIdentity { .. } => "managed identity",
            Self::WorkloadIdentity { .. } => "workload identity",
            Self::AzureCli => "Azure CLI",
        }
    }

    /// `builder` set up to fetch this identity's tokens, with object_store's
    /// credential type named so that nothing else it finds is used.
    pub(crate) fn configure(&self, builder: MicrosoftAzureBuilder) -> MicrosoftAzureBuilder {
        match self {
            Self::ClientSecret {
                tenant_id,
                client_id,
                client_secret,
                authority_host,
            } => {
                let builder = builder
                    .with_client_secret_authorization(client_id, client_secret, tenant_id)
                    .with_credential_type("client_secret");
                with_authority(builder, authority_host.as_deref())
            }
            Self::ManagedIdentity {
                client_id,
                endpoint,
            } => {
                let mut builder = builder.with_credential_type("managed_identity");
                if let Some(id) = client_id {
                    builder = builder.with_client_id(id);
                }
                if let Some(endpoint) = endpoint {
                    builder = builder.with_msi_endpoint(endpoint);
                }
                builder
            }
            Self::WorkloadIdentity {
                tenant_id,
                client_id,
                token_file,
                authority_host,
            } => {
                let builder = builder
                    .with_tenant_id(tenant_id)
                    .with_client_id(client_id)
                    .with_federated_token_file(token_file.to_string_lossy())
                    .with_credential_type("workload_identity");
                with_authority(builder, authority_host.as_deref())
            }
            Self::AzureCli => builder
                .with_use_azure_cli(true)
                .with_credential_type("azure_cli"),
        }
    }
}

fn with_authority(builder: MicrosoftAzureBuilder, host: Option<&str>) -> MicrosoftAzureBuilder {
    match host {
        // object_store appends "/{tenant}/oauth2/v2.0/token".
        Some(host) => builder.with_authority_host(host.trim_end_matches('/')),
        None => builder,
    }
}

/// Never prints the client secret.
impl fmt::Debug for EntraIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClientSecret {
                tenant_id,
                client_id,
                authority_host,
                ..
            } => f
                .debug_struct("ClientSecret")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("client_secret", &REDACTED)
                .field("authority_host", authority_host)
                .finish(),
            Self::ManagedIdentity {
                client_id,
                endpoint,
            } => f
                .debug_struct("ManagedIdentity")
                .field("client_id", client_id)
                .field("endpoint", endpoint)
                .finish(),
            Self::WorkloadIdentity {
                tenant_id,
                client_id,
                token_file,
                authority_host,
            } => f
                .debug_struct("WorkloadIdentity")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("token_file", token_file)
                .field("authority_host", authority_host)
                .finish(),
            Self::AzureCli => f.write_str("AzureCli"),
        }
    }
}
