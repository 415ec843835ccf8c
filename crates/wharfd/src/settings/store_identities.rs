//! The stores of `[credentials.NAME]`'s identity kinds: `azure-identity`
//! through the resolver of `--azure-credential`, `s3-identity` through
//! that of `--s3-credential`, each fed from the table instead of `[azure]`
//! or `[s3]` (`config/credential_identities.rs` says which variables the
//! table still reads).

use anyhow::{Result, anyhow};
use wharf_blob::{AzureAuth, Store};

use crate::config::{CredentialEntry, S3Section};
use crate::s3_identity::S3Identity;
use crate::storage::{Env, IdentitySettings, ProcessEnv};

/// The environment an `azure-identity` table sees: its own `env` as the
/// client secret, and what the platform sets for its identities.
struct TableEnv<'a> {
    secret: Option<&'a str>,
}

impl Env for TableEnv<'_> {
    fn var(&self, name: &str) -> Option<String> {
        match name {
            "AZURE_CLIENT_SECRET" => self.secret.and_then(|v| ProcessEnv.var(v)),
            "IDENTITY_ENDPOINT"
            | "MSI_ENDPOINT"
            | "AZURE_FEDERATED_TOKEN_FILE"
            | "AZURE_AUTHORITY_HOST" => ProcessEnv.var(name),
            _ => None,
        }
    }
}

/// The Azure store of `account` at `endpoint`, signed by the Entra
/// identity of `entry`; `key` is `credentials.NAME`.
pub(super) fn entra_store(
    entry: &CredentialEntry,
    endpoint: &str,
    account: &str,
    key: &str,
) -> Result<Store> {
    let settings = IdentitySettings {
        credential: Some(entry.azure_credential(key)?),
        tenant_id: entry.tenant_id.clone(),
        client_id: entry.client_id.clone(),
        client_secret_file: entry.client_secret_file.clone(),
        federated_token_file: entry.federated_token_file.clone(),
        authority_host: entry.authority_host.clone(),
        msi_endpoint: entry.msi_endpoint.clone(),
    };
    let env = TableEnv {
        secret: entry.env.as_deref(),
    };
    let identity = settings
        .identity(None, &env)
        .map_err(|e| anyhow!("{key}: {e}"))?
        .ok_or_else(|| anyhow!("{key}: no Entra identity"))?;
    Ok(Store::azure_with(
        endpoint,
        account,
        AzureAuth::Entra(identity),
    ))
}

/// The S3 store at `endpoint` in `region`, signed with the identity of
/// `entry`.
pub(super) fn s3_identity_store(
    entry: &CredentialEntry,
    endpoint: String,
    region: &str,
    key: &str,
) -> Result<Store> {
    let section = S3Section {
        credential: Some(entry.s3_credential(key)?),
        role_arn: entry.role_arn.clone(),
        role_session_name: entry.role_session_name.clone(),
        external_id: entry.external_id.clone(),
        sts_endpoint: entry.sts_endpoint.clone(),
        metadata_endpoint: entry.metadata_endpoint.clone(),
        web_identity_token_file: entry.web_identity_token_file.clone(),
        virtual_hosted: entry.virtual_hosted,
        ..S3Section::default()
    };
    let identity = S3Identity::new(&section);
    let named = |variable: &Option<String>| variable.as_deref().and_then(|v| std::env::var(v).ok());
    let env = |name: &str| match name {
        "AWS_ACCESS_KEY_ID" => named(&entry.access_key_id_env),
        "AWS_SECRET_ACCESS_KEY" => named(&entry.secret_access_key_env),
        "AWS_SESSION_TOKEN" => named(&entry.session_token_env),
        "AWS_WEB_IDENTITY_TOKEN_FILE"
        | "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
        | "AWS_EC2_METADATA_SERVICE_ENDPOINT" => std::env::var(name).ok(),
        _ => None,
    };
    let auth = identity
        .auth_from(entry.file.as_deref(), &env)
        .map_err(|e| anyhow!("{key}: {e}"))?;
    Ok(Store::s3_with(
        endpoint,
        region,
        auth,
        identity.addressing(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(text: &str) -> CredentialEntry {
        let entry: CredentialEntry = toml::from_str(text).unwrap();
        entry.check("credentials.x").unwrap();
        entry
    }

    #[test]
    fn an_entra_table_signs_with_its_own_identity() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("app.secret");
        std::fs::write(&secret, "s3cr3t\n").unwrap();
        let table = entry(&format!(
            "kind = \"azure-identity\"\ncredential = \"client-secret\"\ntenant_id = \"t\"\n\
             client_id = \"c\"\nclient_secret_file = {:?}\nauthority_host = \"https://127.0.0.1:1\"",
            secret.display().to_string()
        ));
        let store = entra_store(&table, "https://acct.blob", "acct", "credentials.x").unwrap();
        let Store::Azure {
            auth: AzureAuth::Entra(identity),
            ..
        } = store
        else {
            panic!("not an Entra store: {store:?}");
        };
        assert!(
            matches!(&identity, wharf_blob::EntraIdentity::ClientSecret { tenant_id, client_id, client_secret, .. }
                if tenant_id == "t" && client_id == "c" && client_secret == "s3cr3t"),
            "{identity:?}"
        );
        std::fs::remove_file(&secret).unwrap();
        let gone = entra_store(&table, "https://acct.blob", "acct", "credentials.x").unwrap_err();
        assert!(
            format!("{gone:#}").contains("credentials.x: cannot read the client secret file"),
            "{gone:#}"
        );
    }

    #[test]
    fn an_s3_table_assumes_its_role_with_its_own_keys() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("source.keys");
        std::fs::write(&keys, "AKID:SECRET\n").unwrap();
        let table = entry(&format!(
            "kind = \"s3-identity\"\ncredential = \"assume-role\"\n\
             role_arn = \"arn:aws:iam::1:role/ftp\"\nfile = {:?}\nvirtual_hosted = true",
            keys.display().to_string()
        ));
        let store =
            s3_identity_store(&table, "http://s3".into(), "eu-west-1", "credentials.x").unwrap();
        let text = format!("{store:?}");
        assert!(text.contains("arn:aws:iam::1:role/ftp"), "{text}");
        assert!(text.contains("VirtualHosted"), "{text}");
        assert!(!text.contains("SECRET"), "{text}");
    }
}
