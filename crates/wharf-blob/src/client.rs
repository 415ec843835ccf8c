//! The clients for one account: object_store per container or bucket
//! (cached), and the signing REST client for what object_store lacks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::azure::{MicrosoftAzure, MicrosoftAzureBuilder};
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::list::{PaginatedListOptions, PaginatedListResult, PaginatedListStore};
use object_store::{BackoffConfig, ObjectStore, RetryConfig};
use wharf_vfs::{VPath, VfsError};

use crate::config::{AzureAuth, BlobConfig, Store};
use crate::connector::RingConnector;
use crate::errors::BlobError;
use crate::gcs::store::GcsStore;
use crate::identity::provider;
use crate::refusal::{Operation, Refusal};
use crate::rest::{Rest, Signer};
use crate::retry::Backoff;
use crate::s3_urls::S3Addressing;

/// object_store's client for one container or bucket. Its `Debug` is the
/// store's `Display` (account or bucket and container): object_store's own
/// `Debug` of `MicrosoftAzure` prints the account key's bytes.
#[derive(Clone)]
pub(crate) enum Client {
    Azure(Arc<MicrosoftAzure>),
    S3(Arc<AmazonS3>),
    Gcs(Arc<GcsStore>),
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Azure(store) => write!(f, "{store}"),
            Self::S3(store) => write!(f, "{store}"),
            Self::Gcs(store) => write!(f, "{store}"),
        }
    }
}

impl Client {
    /// The object API.
    pub(crate) fn store(&self) -> &dyn ObjectStore {
        match self {
            Self::Azure(store) => store.as_ref(),
            Self::S3(store) => store.as_ref(),
            Self::Gcs(store) => store.as_ref(),
        }
    }

    /// One page of a delimited listing (S3, GCS; Azure lists through REST
    /// to get metadata).
    pub(crate) async fn list_page(
        &self,
        prefix: &str,
        page_token: Option<String>,
        max_keys: usize,
    ) -> object_store::Result<PaginatedListResult> {
        self.paginated(prefix, page_token, max_keys, Some("/"))
            .await
    }

    /// One page of an undelimited listing: every key under `prefix`,
    /// however deep (S3; Azure lists through REST).
    pub(crate) async fn list_flat_page(
        &self,
        prefix: &str,
        page_token: Option<String>,
        max_keys: usize,
    ) -> object_store::Result<PaginatedListResult> {
        self.paginated(prefix, page_token, max_keys, None).await
    }

    async fn paginated(
        &self,
        prefix: &str,
        page_token: Option<String>,
        max_keys: usize,
        delimiter: Option<&'static str>,
    ) -> object_store::Result<PaginatedListResult> {
        let options = PaginatedListOptions {
            delimiter: delimiter.map(Into::into),
            max_keys: Some(max_keys),
            page_token,
            ..PaginatedListOptions::default()
        };
        let prefix = (!prefix.is_empty()).then_some(prefix);
        match self {
            Self::Azure(store) => store.list_paginated(prefix, options).await,
            Self::S3(store) => store.list_paginated(prefix, options).await,
            Self::Gcs(store) => store.inner.list_paginated(prefix, options).await,
        }
    }
}

/// object_store's retry policy for `config`.
fn retry_config(config: &BlobConfig) -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: config.retry_backoff,
            max_backoff: Duration::from_secs(10),
            base: 2.0,
        },
        max_retries: config.max_retries,
        retry_timeout: Duration::from_secs(120),
    }
}

/// Gives object_store the credential the REST client signs with.
fn with_credential(builder: MicrosoftAzureBuilder, signer: &Signer) -> MicrosoftAzureBuilder {
    match signer.azure_credential() {
        Some(credential) => builder.with_credentials(credential),
        None => builder,
    }
}

/// Everything shared by one account's [`BlobFs`](crate::BlobFs).
#[derive(Debug)]
pub(crate) struct Account {
    pub(crate) config: BlobConfig,
    pub(crate) rest: Arc<Rest>,
    connector: RingConnector,
    clients: Mutex<HashMap<String, Client>>,
}

impl Account {
    /// Builds the HTTP client and the REST signer; object_store clients
    /// come per container on first use.
    pub(crate) fn new(config: BlobConfig) -> Result<Self, BlobError> {
        let connector = RingConnector {
            connect_timeout: config.connect_timeout,
            request_timeout: config.request_timeout,
            stall_timeout: config.stall_timeout,
            roots: crate::connector::roots(&config),
        };
        let http = connector
            .client()
            .map_err(|err| BlobError::Config(err.to_string()))?;
        let (signer, endpoint, addressing) = match &config.store {
            Store::Azure {
                endpoint,
                account,
                auth: AzureAuth::Entra(identity),
            } => {
                let retry = retry_config(&config);
                let tokens = provider::build(identity, account, endpoint, &connector, retry)?;
                (
                    Signer::azure_entra(account, tokens),
                    endpoint.clone(),
                    S3Addressing::Path,
                )
            }
            Store::Azure {
                endpoint,
                account,
                auth,
            } => (
                Signer::azure(account, auth)?,
                endpoint.clone(),
                S3Addressing::Path,
            ),
            Store::S3 {
                endpoint,
                region,
                auth,
                addressing,
            } => {
                // One provider for the account: every bucket's client and
                // the REST calls sign with the same current credential.
                let signer = Signer::S3 {
                    credentials: auth.provider(region, &connector, &retry_config(&config))?,
                    region: region.clone(),
                    identity: auth.describe(),
                };
                (signer, endpoint.clone(), *addressing)
            }
            Store::Gcs { endpoint, auth, .. } => {
                // The account view's client names no bucket; the name is
                // only ever put in URLs, and this client makes no request.
                let bucket = match &config.view {
                    crate::config::View::Container(name) => name.as_str(),
                    crate::config::View::Account => "wharf-account-view",
                };
                let store = crate::gcs::builder(endpoint, bucket, auth)
                    .with_http_connector(connector.clone())
                    .build()
                    .map_err(|err| BlobError::Config(format!("GCS credentials: {err}")))?;
                let signer = Signer::Gcs {
                    credentials: store.credentials().clone(),
                };
                (signer, endpoint.clone(), S3Addressing::Path)
            }
        };
        if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
            return Err(BlobError::Config(format!(
                "endpoint {endpoint:?} must start with http:// or https://"
            )));
        }
        let rest = Arc::new(Rest {
            http: connector.guarded(http),
            signer,
            endpoint,
            addressing,
            backoff: Backoff {
                first: config.retry_backoff,
                retries: config.max_retries,
                on_retry: config.on_retry.clone(),
            },
        });
        Ok(Self {
            config,
            rest,
            connector,
            clients: Mutex::new(HashMap::new()),
        })
    }

    fn retry(&self) -> RetryConfig {
        retry_config(&self.config)
    }

    /// The object_store client for `container`, built once.
    pub(crate) fn client(&self, container: &str) -> Result<Client, object_store::Error> {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = clients.get(container) {
            return Ok(client.clone());
        }
        let client = match &self.config.store {
            Store::Azure {
                endpoint, account, ..
            } => Client::Azure(Arc::new(
                // The REST signer's provider: one token cache per account.
                with_credential(MicrosoftAzureBuilder::new(), &self.rest.signer)
                    .with_account(account)
                    .with_container_name(container)
                    .with_endpoint(endpoint.clone())
                    .with_allow_http(true)
                    .with_retry(self.retry())
                    .with_http_connector(self.connector.clone())
                    .build()?,
            )),
            Store::S3 {
                endpoint,
                region,
                addressing,
                ..
            } => {
                let Signer::S3 { credentials, .. } = &self.rest.signer else {
                    return Err(object_store::Error::Generic {
                        store: "wharf-blob",
                        source: "an S3 store without an S3 signer".into(),
                    });
                };
                // object_store takes a virtual-hosted endpoint with the
                // bucket in it, a path-style one without.
                let endpoint = match addressing {
                    S3Addressing::VirtualHosted => addressing.bucket_url(endpoint, container),
                    _ => endpoint.clone(),
                };
                Client::S3(Arc::new(
                    AmazonS3Builder::new()
                        .with_endpoint(endpoint)
                        .with_region(region)
                        .with_bucket_name(container)
                        .with_credentials(Arc::clone(credentials))
                        .with_virtual_hosted_style_request(addressing.is_virtual_hosted())
                        .with_allow_http(true)
                        .with_retry(self.retry())
                        .with_http_connector(self.connector.clone())
                        .build()?,
                ))
            }
            Store::Gcs { endpoint, .. } => {
                let Signer::Gcs { credentials } = &self.rest.signer else {
                    return Err(object_store::Error::NotSupported {
                        source: "a GCS store without a GCS signer".into(),
                    });
                };
                // The account's one credential provider: one token, fetched
                // and refreshed once for every bucket and the JSON calls.
                let inner = GoogleCloudStorageBuilder::new()
                    .with_bucket_name(container)
                    .with_base_url(endpoint)
                    .with_credentials(credentials.clone())
                    .with_retry(self.retry())
                    .with_http_connector(self.connector.clone())
                    .build()?;
                Client::Gcs(Arc::new(GcsStore {
                    inner,
                    rest: self.rest.clone(),
                    bucket: container.to_string(),
                }))
            }
        };
        // Bound the cache: an account view may touch many containers.
        if clients.len() >= 256 {
            clients.clear();
        }
        clients.insert(container.to_string(), client.clone());
        Ok(client)
    }

    /// Refuses `operation` on `path` at once when a SAS token cannot do
    /// it (expired, a permission or scope it lacks): the client hears why
    /// before any data moves (a `550` before the `150` of a `STOR`).
    pub(crate) fn foresee(&self, operation: Operation, path: &VPath) -> Result<(), VfsError> {
        match &self.config.store {
            Store::Azure {
                auth: AzureAuth::Entra(_),
                ..
            } => match Refusal::foreseen_for_identity(operation) {
                Some(refusal) => Err(refusal.at(path)),
                None => Ok(()),
            },
            Store::Azure {
                auth: AzureAuth::Sas(token),
                ..
            } => match Refusal::foreseen(operation, token) {
                Some(refusal) => Err(refusal.at(path)),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// Forgets a container's client (after it was deleted).
    pub(crate) fn forget(&self, container: &str) {
        self.clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(container);
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;
    use crate::config::View;
    use crate::{BlobFs, ConditionalObjects};

    const AZURE_KEY: &str =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    const S3_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRETqq";

    /// Fails if `debug` shows any 6 characters of `secret` in a row, or (for
    /// a base64 key) three of its decoded bytes the way `Vec<u8>` or hex
    /// would print them.
    fn assert_hides(debug: &str, secret: &str, what: &str) {
        let chars: Vec<char> = secret.chars().collect();
        for window in chars.windows(6) {
            let part: String = window.iter().collect();
            assert!(!debug.contains(&part), "{what} shows {part:?}: {debug}");
        }
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(secret) {
            for window in bytes.windows(3) {
                let listed = format!("{}, {}, {}", window[0], window[1], window[2]);
                let hex = format!("{:02x}{:02x}{:02x}", window[0], window[1], window[2]);
                assert!(!debug.contains(&listed), "{what} shows key bytes: {debug}");
                assert!(!debug.contains(&hex), "{what} shows key bytes: {debug}");
            }
        }
    }

    fn configs() -> Vec<(BlobConfig, &'static str)> {
        vec![
            (
                BlobConfig::new(
                    Store::azure(
                        "http://127.0.0.1:10000/devstoreaccount1",
                        "devstoreaccount1",
                        AZURE_KEY,
                    ),
                    View::Container("photos".into()),
                ),
                AZURE_KEY,
            ),
            (
                BlobConfig::new(
                    Store::s3(
                        "http://127.0.0.1:9000",
                        "us-east-1",
                        "AKIAIOSFODNN7EXAMPLE",
                        S3_SECRET,
                    ),
                    View::Container("photos".into()),
                ),
                S3_SECRET,
            ),
        ]
    }

    #[test]
    fn debug_never_shows_a_key() {
        for (config, secret) in configs() {
            let fs = BlobFs::new(config.clone()).unwrap();
            // A cached object_store client, as after the first request.
            let client = fs.account.client("photos").unwrap();
            let account = &fs.account;
            let shown = [
                ("BlobFs", format!("{fs:?} {fs:#?}")),
                ("Account", format!("{account:?}")),
                ("Rest", format!("{:?}", account.rest)),
                ("Signer", format!("{:?}", account.rest.signer)),
                ("Client", format!("{client:?}")),
                ("BlobConfig", format!("{config:?}")),
                ("Store", format!("{:?}", config.store)),
                (
                    "ConditionalObjects",
                    format!(
                        "{:?}",
                        ConditionalObjects::new(config, "usage", "p").unwrap()
                    ),
                ),
            ];
            for (what, debug) in shown {
                assert_hides(&debug, secret, what);
                assert!(
                    debug.contains("<redacted>") || what == "Client",
                    "{what}: {debug}"
                );
            }
            // What is not secret still shows.
            let debug = format!("{fs:?}");
            assert!(debug.contains("127.0.0.1"), "{debug}");
            assert!(debug.contains("photos"), "{debug}");
        }
    }

    #[test]
    fn debug_never_shows_a_sas_signature() {
        let signature = "c2lnbmF0dXJlLW9mLWEtdG9rZW4tbm90LXNob3du";
        let token = crate::SasToken::parse(&format!(
            "sv=2022-11-02&sr=c&sp=rl&se=2030-01-01&sig={signature}"
        ))
        .unwrap();
        let config = BlobConfig::new(
            Store::azure_sas("http://127.0.0.1:10000/acct", "acct", token),
            View::Container("photos".into()),
        );
        let fs = BlobFs::new(config.clone()).unwrap();
        let client = fs.account.client("photos").unwrap();
        for debug in [
            format!("{fs:?}"),
            format!("{:?}", fs.account.rest.signer),
            format!("{client:?}"),
            format!("{config:?}"),
        ] {
            assert_hides(&debug, signature, "a SAS store");
        }
        assert!(
            format!("{config:?}").contains("sp"),
            "the token's fields show"
        );
    }

    #[test]
    fn debug_names_the_account_and_key_id() {
        let [(azure, _), (s3, _)] = <[_; 2]>::try_from(configs()).unwrap();
        let azure = format!("{:?}", BlobFs::new(azure).unwrap().account.rest.signer);
        assert!(azure.contains("devstoreaccount1"), "{azure}");
        let s3 = format!("{:?}", BlobFs::new(s3).unwrap().account.rest.signer);
        assert!(
            s3.contains("AKIAIOSFODNN7EXAMPLE") && s3.contains("us-east-1"),
            "{s3}"
        );
    }
}
