//! `--azure-credential` / `[azure] credential`: which Azure credential
//! `--storage azure://...` signs with, chosen explicitly.
//!
//! Without a choice, wharfd keeps reading a key, SAS token or connection
//! string from `--storage-key-file` or the environment, told apart by
//! their form. An Entra ID identity is used only when named: a variable
//! left over in a pod's environment never switches the credential.
//!
//! ```text
//! key | sas | connection-string   the key file or AZURE_STORAGE_* (the form must match)
//! client-secret       tenant_id, client_id (or AZURE_TENANT_ID, AZURE_CLIENT_ID) and
//!                     client_secret_file (or AZURE_CLIENT_SECRET)
//! managed-identity    optional client_id (a user-assigned identity); msi_endpoint,
//!                     else IDENTITY_ENDPOINT (App Service), else IMDS
//! workload-identity   tenant_id, client_id, federated_token_file (or
//!                     AZURE_FEDERATED_TOKEN_FILE)
//! azure-cli           `az account get-access-token` (development)
//! ```
//!
//! `authority_host` (or `AZURE_AUTHORITY_HOST`) replaces
//! `https://login.microsoftonline.com` for client secrets and workload
//! identity (sovereign clouds, or a local token service in tests).
//! Secrets come from files or the environment, never from the command line.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::ValueEnum;
use serde::Deserialize;
use wharf_blob::{AzureAuth, EntraIdentity, Store};

/// The credential kinds of `--azure-credential`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum AzureCredentialKind {
    /// The account key (Shared Key).
    Key,
    /// A SAS token.
    Sas,
    /// A connection string (with a key or a SAS).
    ConnectionString,
    /// An app registration's client secret (Entra ID).
    ClientSecret,
    /// The managed identity of the VM, container or App Service.
    ManagedIdentity,
    /// Workload identity federation (a federated token file).
    WorkloadIdentity,
    /// The signed-in Azure CLI user, for development.
    AzureCli,
}

/// The identity settings of the merged configuration (`[azure]` keys and
/// their flags).
#[derive(Clone, Debug, Default)]
pub(crate) struct IdentitySettings {
    pub(crate) credential: Option<AzureCredentialKind>,
    pub(crate) tenant_id: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret_file: Option<PathBuf>,
    pub(crate) federated_token_file: Option<PathBuf>,
    pub(crate) authority_host: Option<String>,
    pub(crate) msi_endpoint: Option<String>,
}

/// Reads the environment; a test gives a map instead.
pub(crate) trait Env {
    /// The variable's value, if set and not blank.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub(crate) struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl IdentitySettings {
    /// The Entra identity chosen, or `None` when the choice is a key, a SAS
    /// or a connection string (or nothing), which the key file and the
    /// `AZURE_STORAGE_*` variables supply.
    pub(crate) fn identity(
        &self,
        key_file: Option<&Path>,
        env: &dyn Env,
    ) -> Result<Option<EntraIdentity>> {
        use AzureCredentialKind as K;
        let Some(kind) = self.credential else {
            return Ok(None);
        };
        if matches!(kind, K::Key | K::Sas | K::ConnectionString) {
            return Ok(None);
        }
        if let Some(file) = key_file {
            bail!(
                "--storage-key-file {} holds a key, SAS or connection string, which \
                 --azure-credential {} does not use: leave one of them out",
                file.display(),
                kind.name()
            );
        }
        let setting =
            |value: &Option<String>, variable: &str| value.clone().or_else(|| env.var(variable));
        let required = |value: &Option<String>, key: &str, variable: &str| {
            setting(value, variable).ok_or_else(|| {
                anyhow!(
                    "--azure-credential {} needs azure.{key} (--azure-{}) or {variable}",
                    kind.name(),
                    key.replace('_', "-")
                )
            })
        };
        let authority_host = setting(&self.authority_host, "AZURE_AUTHORITY_HOST");
        let identity = match kind {
            K::ClientSecret => EntraIdentity::ClientSecret {
                tenant_id: required(&self.tenant_id, "tenant_id", "AZURE_TENANT_ID")?,
                client_id: required(&self.client_id, "client_id", "AZURE_CLIENT_ID")?,
                client_secret: self.client_secret(env)?,
                authority_host,
            },
            K::ManagedIdentity => EntraIdentity::ManagedIdentity {
                client_id: setting(&self.client_id, "AZURE_CLIENT_ID"),
                endpoint: (self.msi_endpoint.clone())
                    .or_else(|| env.var("IDENTITY_ENDPOINT"))
                    .or_else(|| env.var("MSI_ENDPOINT")),
            },
            K::WorkloadIdentity => EntraIdentity::WorkloadIdentity {
                tenant_id: required(&self.tenant_id, "tenant_id", "AZURE_TENANT_ID")?,
                client_id: required(&self.client_id, "client_id", "AZURE_CLIENT_ID")?,
                token_file: (self.federated_token_file.clone())
                    .or_else(|| env.var("AZURE_FEDERATED_TOKEN_FILE").map(PathBuf::from))
                    .ok_or_else(|| {
                        anyhow!(
                            "--azure-credential workload-identity needs \
                             azure.federated_token_file (--azure-federated-token-file) \
                             or AZURE_FEDERATED_TOKEN_FILE"
                        )
                    })?,
                authority_host,
            },
            K::AzureCli => EntraIdentity::AzureCli,
            K::Key | K::Sas | K::ConnectionString => return Ok(None),
        };
        Ok(Some(identity))
    }

    /// The client secret: the file's first line, else `AZURE_CLIENT_SECRET`.
    fn client_secret(&self, env: &dyn Env) -> Result<String> {
        if let Some(file) = &self.client_secret_file {
            let text = std::fs::read_to_string(file).with_context(|| {
                format!("cannot read the client secret file {}", file.display())
            })?;
            let secret = text.trim();
            if secret.is_empty() {
                bail!("the client secret file {} is empty", file.display());
            }
            return Ok(secret.to_owned());
        }
        env.var("AZURE_CLIENT_SECRET").ok_or_else(|| {
            anyhow!(
                "--azure-credential client-secret needs azure.client_secret_file \
                 (--azure-client-secret-file) or AZURE_CLIENT_SECRET"
            )
        })
    }

    /// Fails unless `store`, built from a key file or variable, is the
    /// kind `--azure-credential` named (key, sas, connection-string).
    pub(crate) fn check_form(&self, store: &Store, from_connection_string: bool) -> Result<()> {
        use AzureCredentialKind as K;
        let Some(kind) = self.credential else {
            return Ok(());
        };
        let Store::Azure { auth, .. } = store else {
            return Ok(());
        };
        let matches = match kind {
            K::Key => matches!(auth, AzureAuth::SharedKey(_)) && !from_connection_string,
            K::Sas => matches!(auth, AzureAuth::Sas(_)) && !from_connection_string,
            K::ConnectionString => from_connection_string,
            _ => true,
        };
        if !matches {
            bail!(
                "--azure-credential {} was chosen, but the storage secret is not one",
                kind.name()
            );
        }
        Ok(())
    }
}

impl crate::config::AzureSection {
    /// The identity settings `--storage azure://...` signs with.
    pub(crate) fn identity_settings(&self) -> IdentitySettings {
        IdentitySettings {
            credential: self.credential,
            tenant_id: self.tenant_id.clone(),
            client_id: self.client_id.clone(),
            client_secret_file: self.client_secret_file.clone(),
            federated_token_file: self.federated_token_file.clone(),
            authority_host: self.authority_host.clone(),
            msi_endpoint: self.msi_endpoint.clone(),
        }
    }
}

impl AzureCredentialKind {
    /// The flag's word.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Sas => "sas",
            Self::ConnectionString => "connection-string",
            Self::ClientSecret => "client-secret",
            Self::ManagedIdentity => "managed-identity",
            Self::WorkloadIdentity => "workload-identity",
            Self::AzureCli => "azure-cli",
        }
    }
}

#[cfg(test)]
#[path = "azure_identity_tests.rs"]
mod tests;
