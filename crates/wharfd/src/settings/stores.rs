//! The object stores of users' homes and mounts, and of virtual hosts'
//! `storage`: each signed with a `[credentials.NAME]` of the config file
//! (or, naming none, with the key of `--storage`: `--storage-key-file` or
//! the environment).
//!
//! One `BlobFs` is built per distinct (store, credentials, container) and
//! every folder of it a home or mount names is a view of that one
//! (`BlobFs::with_prefix`), sharing its HTTP clients; each distinct view
//! is built once and shared by every user and session that has it. All
//! of it happens at start (and at a reload) without a request, so a
//! login costs no more than with a local root; start-up then lists one
//! view of each container once ([`Probes`]), so that a wrong key or a
//! missing container stops wharfd with the store's reason, as
//! `--storage` does. A reload and `check-config` make no request.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use wharf_blob::{BlobConfig, BlobFs, FolderMarker, GcsAuth, Store, View};
use wharf_vfs::{VPath, Vfs, next_entry};

use crate::config::{Config, CredentialEntry, CredentialKind, CredentialStore};
use crate::metrics::{Measured, StorageCounters};
use crate::storage::StorageAccess;
use crate::values::{Backend, StoreLocation};

use super::store_identities;

/// The stores opened so far, by where they are.
pub(crate) struct Stores {
    access: StorageAccess,
    credentials: BTreeMap<String, CredentialEntry>,
    /// By (store, credentials name, container): the view of the whole
    /// container (or account).
    containers: HashMap<(Backend, Option<String>, Option<String>), BlobFs>,
    /// Every view handed out, by its location.
    views: HashMap<StoreLocation, Arc<dyn Vfs>>,
    /// The first view of each container, and who asked for it.
    probes: Vec<(String, Arc<dyn Vfs>)>,
    measure: Option<StorageCounters>,
}

/// One view per container to list at start, each with who uses it.
#[derive(Default)]
pub(crate) struct Probes(Vec<(String, Arc<dyn Vfs>)>);

impl Probes {
    /// Lists the first page of each view: a key the store refuses, or a
    /// container that does not exist, is an error naming who uses it.
    pub(crate) async fn check(&self) -> Result<()> {
        for (what, vfs) in &self.0 {
            let unexpected = |e: wharf_vfs::VfsError| {
                let reason = e.reason().map(|r| format!(": {r}")).unwrap_or_default();
                anyhow!("{what}: the storage does not answer as expected: {e}{reason}")
            };
            let mut entries = vfs.list(&VPath::root()).await.map_err(unexpected)?;
            if let Some(Err(e)) = next_entry(&mut entries).await {
                return Err(unexpected(e));
            }
        }
        Ok(())
    }
}

impl Stores {
    /// No store open yet; `config` gives the credentials and endpoints.
    pub(crate) fn new(config: &Config, measure: Option<StorageCounters>) -> Self {
        Self {
            access: StorageAccess::new(config),
            credentials: config.credentials.clone(),
            containers: HashMap::new(),
            views: HashMap::new(),
            probes: Vec::new(),
            measure,
        }
    }

    /// The view of `location`; `what` names who asked, for errors
    /// (`user alice: home`).
    pub(crate) fn open(&mut self, location: &StoreLocation, what: &str) -> Result<Arc<dyn Vfs>> {
        if let Some(vfs) = self.views.get(location) {
            return Ok(vfs.clone());
        }
        let key = (
            location.backend.clone(),
            location.credentials.clone(),
            location.container.clone(),
        );
        let (container, first) = match self.containers.get(&key) {
            Some(fs) => (fs.clone(), false),
            None => {
                let fs = self
                    .container(location)
                    .with_context(|| format!("{what}: {}", location.url()))?;
                self.containers.insert(key, fs.clone());
                (fs, true)
            }
        };
        if !location.prefix.is_empty() && location.container.is_none() {
            bail!("{what}: {}: a folder needs a container", location.url());
        }
        let view = container
            .with_prefix(&location.prefix)
            .map_err(|e| anyhow!("{what}: {}: {e}", location.url()))?;
        let backend = backend_label(&location.backend);
        let mut vfs: Arc<dyn Vfs> = Arc::new(view);
        if let Some(counters) = &self.measure {
            vfs = Measured::wrap(vfs, backend, counters.clone());
        }
        self.views.insert(location.clone(), vfs.clone());
        if first {
            let probe = format!("{what}: {}", location.url());
            self.probes.push((probe, vfs.clone()));
        }
        Ok(vfs)
    }

    /// The views to list at start, one per container.
    pub(crate) fn probes(&mut self) -> Probes {
        Probes(std::mem::take(&mut self.probes))
    }

    /// Every location opened, for the usage store's check.
    pub(crate) fn opened(&self) -> impl Iterator<Item = &StoreLocation> {
        self.views.keys()
    }

    /// The `BlobFs` of the container (or account) of `location`.
    fn container(&self, location: &StoreLocation) -> Result<BlobFs> {
        let store = self.store(location)?;
        let view = location
            .container
            .clone()
            .map_or(View::Account, View::Container);
        let marker = match location.backend {
            Backend::Azure { .. } => self.access.azure_folder_marker.clone(),
            Backend::S3 | Backend::Gcs => FolderMarker::default(),
        };
        let mut config = BlobConfig::new(store, view)
            .with_folder_marker(marker)
            .with_container_access_changes(self.access.container_public_access);
        if let Some(counters) = &self.measure {
            config = config.with_retry_hook(counters.retry_hook(backend_label(&location.backend)));
        }
        let config = crate::storage::store_settings(config, &self.access)?;
        BlobFs::new(config).map_err(|e| anyhow!("{e}"))
    }

    /// The store of `location`, signed with its credentials.
    fn store(&self, location: &StoreLocation) -> Result<Store> {
        let Some(name) = &location.credentials else {
            return match &location.backend {
                Backend::Azure { account } => self.access.azure_store(account),
                Backend::S3 => self.access.s3_store(),
                Backend::Gcs => {
                    let view = (location.container.clone()).map_or(View::Account, View::Container);
                    self.access.gcs_store(&view)
                }
            };
        };
        let entry = self.credentials.get(name).ok_or_else(|| {
            anyhow!("credentials {name:?}: the config file has no [credentials.{name}]")
        })?;
        let key = format!("credentials.{name}");
        match (&location.backend, entry.kind.store()) {
            (Backend::Azure { account }, CredentialStore::Azure) => {
                let template = entry
                    .endpoint
                    .as_deref()
                    .unwrap_or(&self.access.azure_endpoint);
                let endpoint = template.replace("{account}", account);
                if entry.kind == CredentialKind::AzureIdentity {
                    return store_identities::entra_store(entry, &endpoint, account, &key);
                }
                azure_store(entry, &endpoint, account, &key)
            }
            (Backend::S3, CredentialStore::S3) => {
                let region = entry.region.as_deref().unwrap_or(&self.access.s3_region);
                let endpoint = (entry.endpoint.clone())
                    .or_else(|| self.access.s3_endpoint.clone())
                    .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
                if entry.kind == CredentialKind::S3Identity {
                    return store_identities::s3_identity_store(entry, endpoint, region, &key);
                }
                let (id, secret) = s3_pair(entry, &key)?;
                Ok(Store::s3(endpoint, region, id, secret))
            }
            (Backend::Gcs, CredentialStore::Gcs) => {
                let auth = match &entry.file {
                    Some(file) => GcsAuth::KeyFile(file.clone()),
                    None => GcsAuth::Key(secret(entry, &key)?),
                };
                let endpoint = (entry.endpoint.clone())
                    .or_else(|| self.access.gcs_endpoint.clone())
                    .unwrap_or_else(|| wharf_blob::gcs::DEFAULT_ENDPOINT.to_owned());
                Ok(Store::gcs_at(endpoint, None, auth))
            }
            (backend, kind) => bail!(
                "{key} is for {}, the store is on {}",
                kind.name(),
                store_name(backend)
            ),
        }
    }
}

/// The metrics label of a back-end (a closed set).
fn backend_label(backend: &Backend) -> &'static str {
    match backend {
        Backend::Azure { .. } => "azure",
        Backend::S3 => "s3",
        Backend::Gcs => "gcs",
    }
}

/// The name of a back-end in errors.
fn store_name(backend: &Backend) -> &'static str {
    match backend {
        Backend::Azure { .. } => CredentialStore::Azure.name(),
        Backend::S3 => CredentialStore::S3.name(),
        Backend::Gcs => CredentialStore::Gcs.name(),
    }
}

/// The secret of an Azure kind or of `s3-keys` from a file.
fn secret(entry: &CredentialEntry, key: &str) -> Result<String> {
    if let Some(file) = &entry.file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("{key}: cannot read {}", file.display()))?;
        return Ok(text.trim().to_owned());
    }
    let variable = entry
        .env
        .as_deref()
        .ok_or_else(|| anyhow!("{key}: no file or env"))?;
    std::env::var(variable)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.trim().to_owned())
        .ok_or_else(|| anyhow!("{key}: the environment variable {variable} is not set"))
}

/// An Azure store for `account` at `endpoint`, read as the kind says.
fn azure_store(entry: &CredentialEntry, endpoint: &str, account: &str, key: &str) -> Result<Store> {
    let secret = secret(entry, key)?;
    let store = match entry.kind {
        CredentialKind::AzureKey => Store::azure(endpoint, account, secret),
        CredentialKind::AzureSas => {
            let token = wharf_blob::SasToken::parse(&secret).map_err(|e| anyhow!("{key}: {e}"))?;
            Store::azure_sas(endpoint, account, token)
        }
        CredentialKind::AzureConnectionString => {
            let store =
                Store::from_connection_string(&secret).map_err(|e| anyhow!("{key}: {e}"))?;
            if let Store::Azure { account: named, .. } = &store
                && named != account
            {
                bail!("{key}: the connection string is for account {named}, not {account}");
            }
            store
        }
        CredentialKind::AzureIdentity => bail!("{key} is an Entra identity, not a secret"),
        CredentialKind::S3Keys | CredentialKind::GcsKey | CredentialKind::S3Identity => {
            bail!("{key} is for {}", entry.kind.store().name())
        }
    };
    Ok(store)
}

/// The key id and secret of `s3-keys`.
fn s3_pair(entry: &CredentialEntry, key: &str) -> Result<(String, String)> {
    if let (Some(id), Some(secret)) = (&entry.access_key_id_env, &entry.secret_access_key_env) {
        let read = |variable: &str| {
            std::env::var(variable)
                .map_err(|_| anyhow!("{key}: the environment variable {variable} is not set"))
        };
        return Ok((read(id)?, read(secret)?));
    }
    let pair = secret(entry, key)?;
    let (id, secret) = pair
        .split_once(':')
        .ok_or_else(|| anyhow!("{key}: the file holds ACCESS_KEY_ID:SECRET"))?;
    Ok((id.to_owned(), secret.to_owned()))
}
