//! The identity kinds of `[credentials.NAME]`: a home or mount signed by
//! an Entra ID identity or an S3 role rather than by a key.
//!
//! ```toml
//! [credentials.entra]
//! kind = "azure-identity"
//! credential = "client-secret"     # | managed-identity | workload-identity | azure-cli
//! tenant_id = "..."                # client-secret, workload-identity
//! client_id = "..."                # client-secret, workload-identity; managed-identity: a user-assigned one
//! client_secret_file = "keys/app"  # client-secret (or env = "VARIABLE")
//! # federated_token_file = "..."   # workload-identity (default AZURE_FEDERATED_TOKEN_FILE)
//! # authority_host, msi_endpoint
//!
//! [credentials.role]
//! kind = "s3-identity"
//! credential = "assume-role"       # | static | session | web-identity | instance-profile | container
//! role_arn = "arn:aws:iam::123456789012:role/ftp"
//! file = "keys/source"             # KEY_ID:SECRET[:TOKEN] (or the *_env variables)
//! # role_session_name, external_id, sts_endpoint, web_identity_token_file,
//! # metadata_endpoint, virtual_hosted, endpoint, region
//! ```
//!
//! The settings are those of `[azure]` and `[s3]` (`storage/azure_identity.rs`
//! and `s3_identity.rs` resolve them), written per table. What names the
//! identity (tenant, client, role) is required in the table itself rather
//! than taken from `AZURE_*`/`AWS_*` variables: those describe the process's
//! own identity, and a table exists to name another one. Only what the
//! platform provides (the managed identity endpoint, a projected token
//! file, the ECS credentials URI) still comes from the environment.

use anyhow::{Result, anyhow, bail};
use clap::ValueEnum;

use super::credentials::{CredentialEntry, CredentialKind};
use crate::storage::AzureCredentialKind;
use crate::values::S3Credential;

/// A setting's name, and whether the table gives it.
type Given = (&'static str, bool);

impl CredentialEntry {
    /// The Entra identity of `azure-identity`.
    pub(crate) fn azure_credential(&self, key: &str) -> Result<AzureCredentialKind> {
        let word = self.credential_word(key)?;
        let kind = AzureCredentialKind::from_str(word, false).ok().filter(|k| {
            !matches!(
                k,
                AzureCredentialKind::Key
                    | AzureCredentialKind::Sas
                    | AzureCredentialKind::ConnectionString
            )
        });
        kind.ok_or_else(|| {
            anyhow!(
                "{key}.credential: {word:?} is no Entra identity: client-secret, \
                 managed-identity, workload-identity or azure-cli (keys, SAS tokens and \
                 connection strings are the kinds azure-key, azure-sas, azure-connection-string)"
            )
        })
    }

    /// The S3 credential of `s3-identity`.
    pub(crate) fn s3_credential(&self, key: &str) -> Result<S3Credential> {
        let word = self.credential_word(key)?;
        S3Credential::from_str(word, false).map_err(|_| {
            anyhow!(
                "{key}.credential: {word:?} is none of static, session, assume-role, \
                 web-identity, instance-profile, container"
            )
        })
    }

    fn credential_word(&self, key: &str) -> Result<&str> {
        self.credential
            .as_deref()
            .ok_or_else(|| anyhow!("{key}: an identity kind names its credential = \"...\""))
    }

    /// The identity settings given, by name: Azure's, then S3's.
    fn identity_fields(&self) -> ([Given; 6], [Given; 8]) {
        let azure = [
            ("tenant_id", self.tenant_id.is_some()),
            ("client_id", self.client_id.is_some()),
            ("client_secret_file", self.client_secret_file.is_some()),
            ("federated_token_file", self.federated_token_file.is_some()),
            ("authority_host", self.authority_host.is_some()),
            ("msi_endpoint", self.msi_endpoint.is_some()),
        ];
        let s3 = [
            ("role_arn", self.role_arn.is_some()),
            ("role_session_name", self.role_session_name.is_some()),
            ("external_id", self.external_id.is_some()),
            ("sts_endpoint", self.sts_endpoint.is_some()),
            ("metadata_endpoint", self.metadata_endpoint.is_some()),
            (
                "web_identity_token_file",
                self.web_identity_token_file.is_some(),
            ),
            ("virtual_hosted", self.virtual_hosted.is_some()),
            ("session_token_env", self.session_token_env.is_some()),
        ];
        (azure, s3)
    }

    /// Refuses identity settings on a key kind (`credential`, `role_arn`,
    /// ...), which would otherwise be silently unused.
    pub(super) fn refuse_identity_fields(&self, key: &str) -> Result<()> {
        let (azure, s3) = self.identity_fields();
        let credential = [("credential", self.credential.is_some())];
        let given = azure.iter().chain(&s3).chain(&credential).find(|f| f.1);
        if let Some((field, _)) = given {
            bail!("{key}.{field}: a setting of the kinds azure-identity and s3-identity");
        }
        Ok(())
    }

    /// Checks an identity kind: its credential is known, what it needs is
    /// there and nothing of another is.
    pub(super) fn check_identity(&self, key: &str) -> Result<()> {
        let (azure, s3) = self.identity_fields();
        let needs = |field: &str, given: bool, credential: &str| {
            if given {
                Ok(())
            } else {
                Err(anyhow!(
                    "{key}: credential = \"{credential}\" needs {field}"
                ))
            }
        };
        let refuse = |fields: &[Given], kind: &str| match fields.iter().find(|f| f.1) {
            Some((field, _)) => Err(anyhow!("{key}.{field}: not a setting of {kind}")),
            None => Ok(()),
        };
        match self.kind {
            CredentialKind::AzureIdentity => {
                refuse(&s3, "azure-identity")?;
                let kind = self.azure_credential(key)?;
                let word = kind.name();
                if self.file.is_some() || self.access_key_id_env.is_some() {
                    bail!(
                        "{key}: azure-identity reads its secret from client_secret_file (or \
                         env = \"VARIABLE\")"
                    );
                }
                if self.secret_access_key_env.is_some() || self.region.is_some() {
                    bail!("{key}: the *_env pair and region are for S3");
                }
                match kind {
                    AzureCredentialKind::ClientSecret => {
                        needs("tenant_id", self.tenant_id.is_some(), word)?;
                        needs("client_id", self.client_id.is_some(), word)?;
                        let sources = usize::from(self.client_secret_file.is_some())
                            + usize::from(self.env.is_some());
                        if sources != 1 {
                            bail!(
                                "{key}: credential = \"client-secret\" reads the secret from one \
                                 of client_secret_file or env"
                            );
                        }
                    }
                    AzureCredentialKind::WorkloadIdentity => {
                        needs("tenant_id", self.tenant_id.is_some(), word)?;
                        needs("client_id", self.client_id.is_some(), word)?;
                    }
                    _ => {
                        if self.tenant_id.is_some() {
                            bail!("{key}.tenant_id: credential = \"{word}\" takes no tenant");
                        }
                    }
                }
                if kind != AzureCredentialKind::ClientSecret
                    && (self.client_secret_file.is_some() || self.env.is_some())
                {
                    bail!("{key}: a client secret is for credential = \"client-secret\"");
                }
                if let Some(endpoint) = &self.endpoint
                    && !endpoint.contains("{account}")
                {
                    bail!("{key}.endpoint: {endpoint:?} must contain {{account}}");
                }
            }
            CredentialKind::S3Identity => {
                refuse(&azure, "s3-identity")?;
                let credential = self.s3_credential(key)?;
                if self.env.is_some() {
                    bail!(
                        "{key}.env: S3 keys are two variables: access_key_id_env and \
                         secret_access_key_env (and session_token_env)"
                    );
                }
                let pair = (&self.access_key_id_env, &self.secret_access_key_env);
                if pair.0.is_some() != pair.1.is_some() {
                    bail!("{key}: access_key_id_env and secret_access_key_env go together");
                }
                let keys = self.file.is_some() || pair.0.is_some();
                if self.file.is_some() && pair.0.is_some() {
                    bail!("{key}: give the keys' one source: file, or the *_env pair");
                }
                let word = match credential {
                    S3Credential::Static => "static",
                    S3Credential::Session => "session",
                    S3Credential::AssumeRole => "assume-role",
                    S3Credential::WebIdentity => "web-identity",
                    S3Credential::InstanceProfile => "instance-profile",
                    S3Credential::Container => "container",
                };
                match credential {
                    S3Credential::Static | S3Credential::Session | S3Credential::AssumeRole => {
                        needs("file or the *_env pair (the access keys)", keys, word)?;
                    }
                    _ if keys => bail!("{key}: credential = \"{word}\" uses no access keys"),
                    _ => {}
                }
                if matches!(
                    credential,
                    S3Credential::AssumeRole | S3Credential::WebIdentity
                ) {
                    needs("role_arn", self.role_arn.is_some(), word)?;
                } else if self.role_arn.is_some() {
                    bail!("{key}.role_arn: credential = \"{word}\" assumes no role");
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn parse(text: &str) -> Result<CredentialEntry> {
        let entry: CredentialEntry = toml::from_str(text)?;
        entry.check("credentials.x")?;
        Ok(entry)
    }

    #[test]
    fn each_identity_parses() {
        for (text, kind) in [
            (
                "credential = \"client-secret\"\ntenant_id = \"t\"\nclient_id = \"c\"\n\
                 client_secret_file = \"app.secret\"\nauthority_host = \"https://login.example\"",
                AzureCredentialKind::ClientSecret,
            ),
            (
                "credential = \"client-secret\"\ntenant_id = \"t\"\nclient_id = \"c\"\nenv = \"APP_SECRET\"",
                AzureCredentialKind::ClientSecret,
            ),
            (
                "credential = \"managed-identity\"\nclient_id = \"c\"\nmsi_endpoint = \"http://127.0.0.1:1\"",
                AzureCredentialKind::ManagedIdentity,
            ),
            (
                "credential = \"workload-identity\"\ntenant_id = \"t\"\nclient_id = \"c\"\n\
                 federated_token_file = \"token\"",
                AzureCredentialKind::WorkloadIdentity,
            ),
            ("credential = \"azure-cli\"", AzureCredentialKind::AzureCli),
        ] {
            let entry = parse(&format!("kind = \"azure-identity\"\n{text}")).unwrap();
            assert_eq!(entry.azure_credential("k").unwrap(), kind, "{text}");
        }
        for (text, credential) in [
            (
                "credential = \"assume-role\"\nrole_arn = \"arn:aws:iam::1:role/r\"\nfile = \"keys\"\n\
                 external_id = \"e\"\nsts_endpoint = \"http://127.0.0.1:1\"",
                S3Credential::AssumeRole,
            ),
            (
                "credential = \"web-identity\"\nrole_arn = \"arn:aws:iam::1:role/r\"\n\
                 web_identity_token_file = \"token\"",
                S3Credential::WebIdentity,
            ),
            (
                "credential = \"instance-profile\"\nmetadata_endpoint = \"http://127.0.0.1:1\"",
                S3Credential::InstanceProfile,
            ),
            ("credential = \"container\"", S3Credential::Container),
            (
                "credential = \"session\"\naccess_key_id_env = \"A\"\nsecret_access_key_env = \"B\"\n\
                 session_token_env = \"T\"\nvirtual_hosted = true",
                S3Credential::Session,
            ),
        ] {
            let entry = parse(&format!("kind = \"s3-identity\"\n{text}")).unwrap();
            assert_eq!(entry.s3_credential("k").unwrap(), credential, "{text}");
        }
    }

    #[test]
    fn what_an_identity_lacks_or_does_not_take_is_named() {
        for (text, said) in [
            ("kind = \"azure-identity\"", "names its credential"),
            (
                "kind = \"azure-identity\"\ncredential = \"key\"",
                "\"key\" is no Entra identity",
            ),
            (
                "kind = \"azure-identity\"\ncredential = \"client-secret\"\nclient_id = \"c\"\n\
                 client_secret_file = \"s\"",
                "credential = \"client-secret\" needs tenant_id",
            ),
            (
                "kind = \"azure-identity\"\ncredential = \"client-secret\"\ntenant_id = \"t\"\n\
                 client_id = \"c\"",
                "one of client_secret_file or env",
            ),
            (
                "kind = \"azure-identity\"\ncredential = \"workload-identity\"\ntenant_id = \"t\"",
                "needs client_id",
            ),
            (
                "kind = \"azure-identity\"\ncredential = \"managed-identity\"\nenv = \"S\"",
                "a client secret is for credential = \"client-secret\"",
            ),
            (
                "kind = \"azure-identity\"\ncredential = \"azure-cli\"\nrole_arn = \"r\"",
                "credentials.x.role_arn: not a setting of azure-identity",
            ),
            (
                "kind = \"azure-identity\"\ncredential = \"client-secret\"\ntenant_id = \"t\"\n\
                 client_id = \"c\"\nclient_secret = \"inline\"",
                "credentials.x.client_secret: secrets are not written",
            ),
            (
                "kind = \"s3-identity\"\ncredential = \"assume-role\"\nfile = \"k\"",
                "credential = \"assume-role\" needs role_arn",
            ),
            (
                "kind = \"s3-identity\"\ncredential = \"assume-role\"\nrole_arn = \"r\"",
                "needs file or the *_env pair",
            ),
            (
                "kind = \"s3-identity\"\ncredential = \"instance-profile\"\nfile = \"k\"",
                "uses no access keys",
            ),
            (
                "kind = \"s3-identity\"\ncredential = \"web-identity\"\ntenant_id = \"t\"\nrole_arn = \"r\"",
                "credentials.x.tenant_id: not a setting of s3-identity",
            ),
            (
                "kind = \"s3-identity\"\ncredential = \"role\"",
                "\"role\" is none of static",
            ),
            (
                "kind = \"azure-key\"\nfile = \"k\"\ntenant_id = \"t\"",
                "credentials.x.tenant_id: a setting of the kinds azure-identity and s3-identity",
            ),
        ] {
            let error = format!("{:#}", parse(text).unwrap_err());
            assert!(error.contains(said), "{text}: {error}");
        }
    }

    /// The check runs when the config file is read, so a missing tenant
    /// stops the start (and `check-config`) before any store is opened.
    #[test]
    fn a_missing_tenant_stops_reading_the_config() {
        let error = Config::parse(
            "[credentials.entra]\nkind = \"azure-identity\"\ncredential = \"client-secret\"\n\
             client_id = \"c\"\nclient_secret_file = \"s\"\n",
        )
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
        assert!(
            error.contains("credentials.entra: credential = \"client-secret\" needs tenant_id"),
            "{error}"
        );
    }
}
