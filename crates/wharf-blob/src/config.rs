//! [`BlobConfig`]: which store, which account, which view, and the knobs.

use std::fmt;
use std::time::Duration;

use crate::errors::BlobError;
use crate::gcs::GcsAuth;
use crate::identity::EntraIdentity;
use crate::memory::UploadMemory;
use crate::s3_auth::S3Auth;
use crate::s3_urls::S3Addressing;
use crate::sas::SasToken;

/// Where the blobs live and how to sign requests.
#[derive(Clone)]
#[non_exhaustive]
pub enum Store {
    /// Azure Blob Storage, or an emulator such as Azurite.
    Azure {
        /// The account's blob endpoint, e.g.
        /// `https://myaccount.blob.core.windows.net`, or for Azurite the
        /// path-style `http://127.0.0.1:10000/devstoreaccount1`.
        endpoint: String,
        /// The storage account name.
        account: String,
        /// How requests are signed.
        auth: AzureAuth,
    },
    /// Amazon S3 or an S3-compatible store.
    S3 {
        /// The service endpoint, without a bucket, e.g.
        /// `https://s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:9000`.
        endpoint: String,
        /// The region to sign for (`us-east-1` for most emulators).
        region: String,
        /// Where the credential comes from.
        auth: S3Auth,
        /// Path-style or virtual-hosted-style bucket URLs.
        addressing: S3Addressing,
    },
    /// Google Cloud Storage, or an emulator such as fake-gcs-server.
    Gcs {
        /// The service's base URL: [`gcs::DEFAULT_ENDPOINT`] or an
        /// emulator's, e.g. `http://127.0.0.1:4443`.
        ///
        /// [`gcs::DEFAULT_ENDPOINT`]: crate::gcs::DEFAULT_ENDPOINT
        endpoint: String,
        /// The project whose buckets the account view lists, and where
        /// `mkdir /name` creates one. Without it only [`View::Container`]
        /// works: GCS lists buckets per project.
        project: Option<String>,
        /// How requests are signed.
        auth: GcsAuth,
    },
}

impl Store {
    /// Azure with Shared Key credentials.
    pub fn azure(
        endpoint: impl Into<String>,
        account: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        Self::azure_with(endpoint, account, AzureAuth::SharedKey(key.into()))
    }

    /// Azure with a SAS token appended to every request instead of a
    /// Shared Key signature.
    pub fn azure_sas(
        endpoint: impl Into<String>,
        account: impl Into<String>,
        token: SasToken,
    ) -> Self {
        Self::azure_with(endpoint, account, AzureAuth::Sas(token))
    }

    /// Azure with any credential.
    pub fn azure_with(
        endpoint: impl Into<String>,
        account: impl Into<String>,
        auth: AzureAuth,
    ) -> Self {
        Self::Azure {
            endpoint: endpoint.into().trim_end_matches('/').to_string(),
            account: account.into(),
            auth,
        }
    }

    /// S3 (path-style) with an access key pair.
    pub fn s3(
        endpoint: impl Into<String>,
        region: impl Into<String>,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        Self::s3_with(
            endpoint,
            region,
            S3Auth::keys(access_key_id, secret_access_key),
            S3Addressing::Path,
        )
    }

    /// S3 with any credential and either addressing style.
    pub fn s3_with(
        endpoint: impl Into<String>,
        region: impl Into<String>,
        auth: S3Auth,
        addressing: S3Addressing,
    ) -> Self {
        Self::S3 {
            endpoint: endpoint.into().trim_end_matches('/').to_string(),
            region: region.into(),
            auth,
            addressing,
        }
    }

    /// Whether this is Azure.
    pub fn is_azure(&self) -> bool {
        matches!(self, Self::Azure { .. })
    }

    /// Google Cloud Storage at its public endpoint, without a project
    /// (one bucket: [`View::Container`]).
    pub fn gcs(auth: GcsAuth) -> Self {
        Self::gcs_at(crate::gcs::DEFAULT_ENDPOINT, None, auth)
    }

    /// Google Cloud Storage at `endpoint` (an emulator's, or a private
    /// endpoint), with the `project` whose buckets the account view shows.
    pub fn gcs_at(endpoint: impl Into<String>, project: Option<String>, auth: GcsAuth) -> Self {
        Self::Gcs {
            endpoint: endpoint.into().trim_end_matches('/').to_string(),
            project,
            auth,
        }
    }

    /// Whether this is Google Cloud Storage.
    pub fn is_gcs(&self) -> bool {
        matches!(self, Self::Gcs { .. })
    }

    /// Whether `name` can name a container or bucket of this store: GCS's
    /// rule for GCS, else [`valid_container_name`](crate::valid_container_name)
    /// (Azure's, which S3's DNS-style names share).
    pub fn valid_container_name(&self, name: &str) -> bool {
        match self {
            Self::Gcs { .. } => crate::gcs::names::valid_bucket_name(name),
            _ => crate::names::valid_container_name(name),
        }
    }
}

/// How Azure requests are signed.
#[derive(Clone)]
#[non_exhaustive]
pub enum AzureAuth {
    /// The account key (base64): Shared Key signatures, every permission.
    SharedKey(String),
    /// A SAS token: only what its permissions, resource types and expiry
    /// allow. A service SAS serves one container (the container view); an
    /// account SAS with resource types `sco` serves the account view.
    Sas(SasToken),
    /// Entra ID bearer tokens of an identity: what its RBAC role grants.
    /// Shared Key alone may change a container's public access, so that
    /// is refused with a reason saying so.
    Entra(EntraIdentity),
}

/// Never prints the key or the token's signature.
impl fmt::Debug for AzureAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SharedKey(_) => f.debug_tuple("SharedKey").field(&REDACTED).finish(),
            Self::Sas(token) => f.debug_tuple("Sas").field(token).finish(),
            Self::Entra(identity) => f.debug_tuple("Entra").field(identity).finish(),
        }
    }
}

/// What `Debug` prints in place of a key or secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// Never prints keys: they show as `"<redacted>"`.
impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Azure {
                endpoint,
                account,
                auth,
            } => f
                .debug_struct("Azure")
                .field("endpoint", endpoint)
                .field("account", account)
                .field("auth", auth)
                .finish(),
            Self::S3 {
                endpoint,
                region,
                auth,
                addressing,
            } => f
                .debug_struct("S3")
                .field("endpoint", endpoint)
                .field("region", region)
                .field("auth", auth)
                .field("addressing", addressing)
                .finish(),
            Self::Gcs {
                endpoint,
                project,
                auth,
            } => f
                .debug_struct("Gcs")
                .field("endpoint", endpoint)
                .field("project", project)
                .field("auth", auth)
                .finish(),
        }
    }
}

/// What `/` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum View {
    /// `/` lists the account's containers (Azure) or buckets (S3, or a
    /// GCS project's); `MKD`,
    /// `RMD` and renames at the top level act on containers.
    Account,
    /// One container or bucket is `/`.
    Container(String),
}

/// How an empty folder is kept alive.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FolderMarker {
    /// A zero-length blob with this name inside the folder (the seed's
    /// `.placeholder`). Clients cannot create or see a file of that name.
    Placeholder(String),
    /// A zero-length blob named after the folder with a trailing `/`
    /// (`photos/`), the rclone/SFTPGo convention that Azure Storage
    /// Explorer shows as a folder.
    TrailingSlash,
}

impl Default for FolderMarker {
    fn default() -> Self {
        Self::Placeholder(".placeholder".to_string())
    }
}

/// Everything a [`BlobFs`](crate::BlobFs) needs.
///
/// ```
/// use wharf_blob::{BlobConfig, Store, View};
///
/// let config = BlobConfig::new(
///     Store::azure("http://127.0.0.1:10000/devstoreaccount1", "devstoreaccount1", "a2V5"),
///     View::Account,
/// );
/// assert_eq!(config.copy_parallelism, 8);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BlobConfig {
    /// The store and its credentials.
    pub store: Store,
    /// Account view or one container.
    pub view: View,
    /// How empty folders are kept.
    pub folder_marker: FolderMarker,
    /// Server-side copies in flight during a folder or container rename.
    pub copy_parallelism: usize,
    /// Blobs per listing page requested from the store.
    pub page_size: usize,
    /// Retries of a failed request that may succeed later (timeouts, 5xx,
    /// throttling) before the error becomes `Transient`.
    pub max_retries: usize,
    /// First retry delay; doubles per retry.
    pub retry_backoff: Duration,
    /// Gives up on one request (and retries it) after this long in all,
    /// its body included. `None` (the default): no total, since a
    /// download streams its blob in one request and a client may take
    /// hours to read it; [`stall_timeout`](Self::stall_timeout) ends a
    /// request whose store has gone silent. Bounded requests (the login
    /// check) set one.
    pub request_timeout: Option<Duration>,
    /// Gives up connecting after this long.
    pub connect_timeout: Duration,
    /// A request whose store takes and sends nothing for this long fails
    /// as timed out, and is retried as a timeout is (`stall.rs`): the
    /// bound on a silent store, which `request_timeout` alone leaves at
    /// minutes.
    pub stall_timeout: Duration,
    /// Whether `set_permissions` on a container (`SITE CHMOD` on `/name` in
    /// the account view) may change its public access. Default `true`: the
    /// holder of the key decides. An application that serves one account
    /// to several users turns it off, since a container made public is
    /// readable by anyone on the internet, not only by those users; then
    /// such a change is `PermissionDenied`.
    pub container_access_changes: bool,
    /// The budget every upload's buffers count against, shared by all
    /// configurations holding a clone of it (default
    /// [`UploadMemory::shared`]: one process-wide budget of 512 MiB).
    pub upload_memory: UploadMemory,
    /// Called before each retry of a request of wharf-blob's own
    /// (containers, folder markers, public access, listings' and copies'
    /// REST calls), for metrics. object_store retries its uploads and
    /// downloads inside itself and reports none of them.
    pub on_retry: Option<RetryHook>,
    /// Root certificates (DER) trusted besides the platform's, for a store
    /// or token service behind a private CA (or an emulator's test
    /// certificate).
    pub root_certificates: Vec<Vec<u8>>,
}

impl BlobConfig {
    /// A configuration with defaults: `.placeholder` folders, 8 parallel
    /// copies, 1000 blobs per page, 4 retries from 100 ms, 5 s to connect,
    /// no total per request, 60 s without progress.
    pub fn new(store: Store, view: View) -> Self {
        Self {
            store,
            view,
            folder_marker: FolderMarker::default(),
            copy_parallelism: 8,
            page_size: 1000,
            max_retries: 4,
            retry_backoff: Duration::from_millis(100),
            request_timeout: None,
            connect_timeout: Duration::from_secs(5),
            stall_timeout: Duration::from_secs(60),
            container_access_changes: true,
            upload_memory: UploadMemory::shared(),
            on_retry: None,
            root_certificates: Vec::new(),
        }
    }

    /// Adds the certificates of a PEM file to
    /// [`BlobConfig::root_certificates`]; text without one is an error.
    pub fn with_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, BlobError> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut found = 0;
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let certificate = certificate
                .map_err(|err| BlobError::Config(format!("a root certificate: {err}")))?;
            self.root_certificates.push(certificate.to_vec());
            found += 1;
        }
        if found == 0 {
            return Err(BlobError::Config(
                "the root certificate file holds no PEM certificate".into(),
            ));
        }
        Ok(self)
    }

    /// Sets [`BlobConfig::upload_memory`]: give every configuration of one
    /// server a clone of the same [`UploadMemory`].
    #[must_use]
    pub fn with_upload_memory(mut self, memory: UploadMemory) -> Self {
        self.upload_memory = memory;
        self
    }

    /// Sets [`BlobConfig::container_access_changes`].
    #[must_use]
    pub fn with_container_access_changes(mut self, allowed: bool) -> Self {
        self.container_access_changes = allowed;
        self
    }

    /// Sets [`BlobConfig::folder_marker`].
    #[must_use]
    pub fn with_folder_marker(mut self, marker: FolderMarker) -> Self {
        self.folder_marker = marker;
        self
    }

    /// Sets [`BlobConfig::store`].
    #[must_use]
    pub fn with_store(mut self, store: Store) -> Self {
        self.store = store;
        self
    }

    /// Sets [`BlobConfig::view`].
    #[must_use]
    pub fn with_view(mut self, view: View) -> Self {
        self.view = view;
        self
    }

    /// Sets [`BlobConfig::page_size`] (at least 1, at most 5000).
    #[must_use]
    pub fn with_page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.clamp(1, 5000);
        self
    }

    /// Sets the retry policy: `max_retries` retries, the first after
    /// `backoff`.
    #[must_use]
    pub fn with_retries(mut self, max_retries: usize, backoff: Duration) -> Self {
        self.max_retries = max_retries;
        self.retry_backoff = backoff;
        self
    }

    /// Calls `hook` before each retry of a request of wharf-blob's own
    /// (see [`BlobConfig::on_retry`]).
    #[must_use]
    pub fn with_retry_hook(mut self, hook: RetryHook) -> Self {
        self.on_retry = Some(hook);
        self
    }

    /// Sets the connect timeout and the per-request total (`None`: none).
    #[must_use]
    pub fn with_timeouts(mut self, connect: Duration, request: Option<Duration>) -> Self {
        self.connect_timeout = connect;
        self.request_timeout = request;
        self
    }

    /// Sets [`BlobConfig::stall_timeout`] (at least 1 ms).
    #[must_use]
    pub fn with_stall_timeout(mut self, stall: Duration) -> Self {
        self.stall_timeout = stall.max(Duration::from_millis(1));
        self
    }

    /// Sets [`BlobConfig::copy_parallelism`] (at least 1).
    #[must_use]
    pub fn with_copy_parallelism(mut self, parallelism: usize) -> Self {
        self.copy_parallelism = parallelism.max(1);
        self
    }
}

/// What [`BlobConfig::with_retry_hook`] calls before each retry.
#[derive(Clone)]
pub struct RetryHook(std::sync::Arc<dyn Fn() + Send + Sync>);

impl RetryHook {
    /// A hook that calls `hook`; it must return at once.
    pub fn new(hook: impl Fn() + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(hook))
    }

    /// Calls the hook, as wharf-blob does before each retry.
    pub fn call(&self) {
        (self.0)();
    }
}

impl std::fmt::Debug for RetryHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RetryHook")
    }
}
