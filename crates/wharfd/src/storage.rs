//! `--storage`: serve an object store instead of a local directory, with
//! the users of the flags and users file.
//!
//! ```text
//! azure://ACCOUNT             the account's containers as folders
//! azure://ACCOUNT/CONTAINER   one container as /
//! s3://                       the buckets as folders
//! s3://BUCKET                 one bucket as /
//! gcs://                      a GCS project's buckets as folders
//! gcs://BUCKET                one bucket as /
//! gcs://BUCKET/PREFIX         a folder of one bucket as /
//! ```
//!
//! Keys never come from the command line: `--storage-key-file FILE`, else
//! the environment. For Azure the file holds an account key, a SAS token
//! (`sv=...&sig=...`, account or container SAS) or a connection string
//! (`AccountName=...;AccountKey=...` or `BlobEndpoint=...;
//! SharedAccessSignature=...`; its endpoint replaces `--azure-endpoint`),
//! told apart by their form; the environment's are
//! `AZURE_STORAGE_CONNECTION_STRING`, `AZURE_STORAGE_SAS_TOKEN` and
//! `AZURE_STORAGE_KEY`, the first one set. For S3: `ACCESS_KEY_ID:SECRET`
//! (`:SESSION_TOKEN` after it for temporary keys), or `AWS_ACCESS_KEY_ID`
//! and `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`); other S3
//! identities (AssumeRole, web identity, instance profile) are
//! `--s3-credential` (`s3_identity.rs`).
//!
//! `--azure-credential` picks an Entra ID identity instead (client
//! secret, managed identity, workload identity, Azure CLI; see
//! `storage/azure_identity.rs`), and `--storage-ca-file` adds root
//! certificates the store's HTTPS client trusts.
//! For GCS: a service account's JSON key, else application default
//! credentials (`gcs_storage.rs`).
//!
//! The users share one account that none of them owns, so SITE CHMOD on a
//! container (its public access: open to anyone on the internet, not only
//! to them) is refused with 550 unless `--allow-container-public-access`.
//! A usage store inside this view is refused at start (`usage.rs`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use wharf_blob::{AzureAuth, BlobConfig, BlobFs, FolderMarker, Store, UploadMemory, View};
use wharf_vfs::{VPath, Vfs, next_entry};

use crate::config::Config;
use crate::defaults;
use crate::values::{MarkerStyle, StorageUrl};

mod azure_identity;

pub(crate) use azure_identity::{AzureCredentialKind, Env, IdentitySettings, ProcessEnv};

/// Where the store is and how to sign for it.
#[derive(Clone)]
pub(crate) struct StorageAccess {
    /// Azure endpoint template with `{account}`.
    pub(crate) azure_endpoint: String,
    pub(crate) s3_endpoint: Option<String>,
    pub(crate) s3_region: String,
    /// GCS's endpoint (`--gcs-endpoint`), if not the public one.
    pub(crate) gcs_endpoint: Option<String>,
    /// The project whose buckets `gcs://` shows (`--gcs-project`).
    pub(crate) gcs_project: Option<String>,
    pub(crate) key_file: Option<PathBuf>,
    /// What keeps an empty folder in an Azure container.
    pub(crate) azure_folder_marker: FolderMarker,
    /// Whether the users of `--storage azure://ACCOUNT` may make a
    /// container public (`--allow-container-public-access`).
    pub(crate) container_public_access: bool,
    /// `--azure-credential` and the identity's settings.
    pub(crate) azure_identity: IdentitySettings,
    /// PEM root certificates the store's HTTPS client trusts besides the
    /// system's (`--storage-ca-file`).
    pub(crate) ca_file: Option<PathBuf>,
    /// Which S3 credential, and the addressing style.
    pub(crate) s3_identity: crate::s3_identity::S3Identity,
    /// `[timeouts] storage_connect_secs`, when set.
    pub(crate) connect_timeout: Option<Duration>,
    /// `[timeouts] storage_stall_secs`, when set.
    pub(crate) stall_timeout: Option<Duration>,
}

impl StorageAccess {
    /// The access of the merged settings.
    pub(crate) fn new(config: &Config) -> Self {
        Self {
            azure_endpoint: (config.azure.endpoint.clone())
                .unwrap_or_else(|| defaults::AZURE_ENDPOINT.to_owned()),
            s3_endpoint: config.s3.endpoint.clone(),
            s3_region: (config.s3.region.clone()).unwrap_or_else(|| defaults::S3_REGION.to_owned()),
            gcs_endpoint: config.gcs.endpoint.clone(),
            gcs_project: config.gcs.project.clone(),
            key_file: config.storage_key_file.clone(),
            azure_folder_marker: (config.azure.folder_marker)
                .unwrap_or(MarkerStyle::Placeholder)
                .marker(),
            container_public_access: config.azure.allow_container_public_access.unwrap_or(false),
            azure_identity: config.azure.identity_settings(),
            ca_file: config.storage_ca_file.clone(),
            s3_identity: crate::s3_identity::S3Identity::new(&config.s3),
            connect_timeout: config
                .timeouts
                .storage_connect_secs
                .map(Duration::from_secs),
            stall_timeout: config.timeouts.storage_stall_secs.map(Duration::from_secs),
        }
    }

    /// The Azure storage account `account`, signed with the Entra identity
    /// `--azure-credential` names, else its key, a SAS token or what a
    /// connection string says.
    pub(crate) fn azure_store(&self, account: &str) -> Result<Store> {
        let identity = (self.azure_identity)
            .identity(self.key_file.as_deref(), &azure_identity::ProcessEnv)?;
        if let Some(identity) = identity {
            let endpoint = self.azure_endpoint.replace("{account}", account);
            return Ok(Store::azure_with(
                endpoint,
                account,
                AzureAuth::Entra(identity),
            ));
        }
        let secret = match &self.key_file {
            Some(_) => secret(self, &[])?,
            None => AZURE_VARIABLES
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
                .ok_or_else(|| {
                    anyhow!(
                        "no credential: give --storage-key-file or set {}",
                        AZURE_VARIABLES.join(", ")
                    )
                })?,
        };
        let endpoint = self.azure_endpoint.replace("{account}", account);
        let store = Store::azure_from_secret(&endpoint, account, &secret)
            .map_err(|e| anyhow!("storage: {e}"))?;
        (self.azure_identity).check_form(&store, Store::is_connection_string(&secret))?;
        Ok(store)
    }

    /// S3 (or the S3-compatible `s3_endpoint`), signed with the credential
    /// `s3_identity.rs` resolves.
    pub(crate) fn s3_store(&self) -> Result<Store> {
        let auth = self.s3_identity.auth(self.key_file.as_deref())?;
        let endpoint = self
            .s3_endpoint
            .clone()
            .unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", self.s3_region));
        Ok(Store::s3_with(
            endpoint,
            &self.s3_region,
            auth,
            self.s3_identity.addressing(),
        ))
    }
}

/// Where an Azure credential may come from without a key file, in order.
const AZURE_VARIABLES: [&str; 3] = [
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_KEY",
];

fn secret(access: &StorageAccess, variables: &[&str]) -> Result<String> {
    if let Some(file) = &access.key_file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the key file {}", file.display()))?;
        return Ok(text.trim().to_owned());
    }
    let values: Vec<String> = variables
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .collect();
    if values.len() != variables.len() {
        bail!(
            "no key: give --storage-key-file or set {}",
            variables.join(" and ")
        );
    }
    Ok(values.join(":"))
}

/// `--blob-upload-memory` / `blob_upload_memory`: sizes the one budget that
/// every blob upload of the process counts against (`--storage` and
/// `--azure-passthrough` alike), before any store is opened. The budget's
/// size, as rounded.
pub(crate) fn init_upload_memory(config: &Config) -> Result<u64> {
    let bytes = match &config.blob_upload_memory {
        Some(size) => size
            .bytes()
            .map_err(|e| anyhow!("blob_upload_memory: {e}"))?,
        None => wharf_blob::memory::DEFAULT_UPLOAD_MEMORY,
    };
    if !UploadMemory::init_shared(bytes) {
        bail!("the blob upload memory budget was in use before it was sized");
    }
    Ok(UploadMemory::shared().limit())
}

/// `config` trusting the roots of `--storage-ca-file`, if given.
fn with_ca_file(config: BlobConfig, access: &StorageAccess) -> Result<BlobConfig> {
    let Some(file) = &access.ca_file else {
        return Ok(config);
    };
    let pem = std::fs::read(file)
        .with_context(|| format!("cannot read the CA file {}", file.display()))?;
    config
        .with_root_certificates_pem(&pem)
        .map_err(|e| anyhow!("{}: {e}", file.display()))
}

/// `config` with what holds for every store wharfd opens (`--storage`,
/// each home, the usage store, the shared state, the pass-through
/// accounts): the timeouts of `[timeouts]` and the roots of
/// `--storage-ca-file`, since a private endpoint's certificate and a
/// silent store do not depend on what the store is for.
pub(crate) fn store_settings(config: BlobConfig, access: &StorageAccess) -> Result<BlobConfig> {
    with_ca_file(with_timeouts(config, access), access)
}

/// `config` with the store timeouts of `[timeouts]`, where set; the
/// per-request total stays wharf-blob's.
fn with_timeouts(mut config: BlobConfig, access: &StorageAccess) -> BlobConfig {
    if let Some(connect) = access.connect_timeout {
        let request = config.request_timeout;
        config = config.with_timeouts(connect, request);
    }
    if let Some(stall) = access.stall_timeout {
        config = config.with_stall_timeout(stall);
    }
    config
}

/// Opens the store and checks it answers (one listing call).
/// `on_retry` hears each retry of wharf-blob's own requests (metrics).
pub(crate) async fn open(
    url: &StorageUrl,
    access: &StorageAccess,
    on_retry: Option<wharf_blob::RetryHook>,
) -> Result<Arc<dyn Vfs>> {
    let mut marker = FolderMarker::default();
    let mut prefix = "";
    let (store, view) = match url {
        StorageUrl::Azure { account, container } => {
            let view = container.clone().map_or(View::Account, View::Container);
            marker = access.azure_folder_marker.clone();
            (access.azure_store(account)?, view)
        }
        StorageUrl::S3 { bucket } => {
            let view = bucket.clone().map_or(View::Account, View::Container);
            (access.s3_store()?, view)
        }
        StorageUrl::Gcs {
            bucket,
            prefix: folder,
        } => {
            let view = bucket.clone().map_or(View::Account, View::Container);
            prefix = folder;
            (access.gcs_store(&view)?, view)
        }
    };
    // One account, several users: none of them owns it, and a public
    // container is open to everyone, not only to them.
    let mut config = BlobConfig::new(store, view)
        .with_folder_marker(marker)
        .with_container_access_changes(access.container_public_access);
    if let Some(hook) = on_retry {
        config = config.with_retry_hook(hook);
    }
    let config = store_settings(config, access)?;
    let mut fs = BlobFs::new(config).map_err(|e| anyhow!("storage: {e}"))?;
    if !prefix.is_empty() {
        fs = fs
            .with_prefix(prefix)
            .map_err(|e| anyhow!("storage: {prefix}: {e}"))?;
    }
    let vfs: Arc<dyn Vfs> = Arc::new(fs);
    // The listing's first page is the check (a stream may not send its
    // request until polled).
    let unexpected = |e: wharf_vfs::VfsError| {
        let reason = e.reason().map(|r| format!(": {r}")).unwrap_or_default();
        anyhow!("the storage does not answer as expected: {e}{reason}")
    };
    let mut entries = vfs.list(&VPath::root()).await.map_err(unexpected)?;
    if let Some(Err(e)) = next_entry(&mut entries).await {
        return Err(unexpected(e));
    }
    Ok(vfs)
}
