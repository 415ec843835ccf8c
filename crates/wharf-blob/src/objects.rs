//! [`ConditionalObjects`]: small objects under one prefix of a container
//! (or bucket), each changed by read, change, and a write conditional on
//! the ETag that was read, retried when another writer got there first.
//! Several processes can so share a counter or a lock-free record without
//! losing an update. Usage counters for quotas are the use it was built for.

use std::sync::Arc;
use std::time::Duration;

use object_store::path::Path;
use object_store::{GetOptions, ObjectStore, PutMode, PutOptions, PutPayload, UpdateVersion};

use crate::client::Account;
use crate::config::BlobConfig;
use crate::errors::BlobError;

/// How many times an update is tried before it reports contention.
const ATTEMPTS: u32 = 64;

/// Small objects updated with compare-and-swap on their ETag.
#[derive(Debug, Clone)]
pub struct ConditionalObjects {
    account: Arc<Account>,
    container: String,
    prefix: String,
}

/// Why a conditional update failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// The store failed or refused the request.
    #[error("object store request for {name} failed: {source}")]
    Store {
        /// The object's name.
        name: String,
        /// What the client library reported.
        #[source]
        source: object_store::Error,
    },
    /// Other writers changed the object between every read and write.
    #[error("{name} is still contended after {attempts} attempts")]
    Contended {
        /// The object's name.
        name: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The change function refused the current content.
    #[error("{name}: {reason}")]
    Rejected {
        /// The object's name.
        name: String,
        /// What the change function said.
        reason: String,
    },
}

impl ConditionalObjects {
    /// Objects named `<prefix>/<name>` in `container` of the store in
    /// `config` (its view is ignored). The container is created on the
    /// first write if it does not exist.
    pub fn new(config: BlobConfig, container: &str, prefix: &str) -> Result<Self, BlobError> {
        Ok(Self {
            account: Arc::new(Account::new(config)?),
            container: container.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
        })
    }

    fn path(&self, name: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(name)
        } else {
            Path::from(format!("{}/{name}", self.prefix))
        }
    }

    fn store(&self, name: &str) -> Result<crate::client::Client, ObjectError> {
        self.account
            .client(&self.container)
            .map_err(|source| ObjectError::Store {
                name: name.to_owned(),
                source,
            })
    }

    /// The content of `name` and its ETag, or `None` if it does not exist.
    async fn get(
        store: &dyn ObjectStore,
        path: &Path,
    ) -> Result<Option<(Vec<u8>, Option<String>)>, object_store::Error> {
        match store.get_opts(path, GetOptions::default()).await {
            Ok(result) => {
                let e_tag = result.meta.e_tag.clone();
                Ok(Some((result.bytes().await?.to_vec(), e_tag)))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The content of `name`, or `None` if it does not exist.
    pub async fn read(&self, name: &str) -> Result<Option<Vec<u8>>, ObjectError> {
        let client = self.store(name)?;
        match Self::get(client.store(), &self.path(name)).await {
            Ok(found) => Ok(found.map(|(bytes, _)| bytes)),
            // No container yet: no object either.
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(ObjectError::Store {
                name: name.to_owned(),
                source,
            }),
        }
    }

    /// Replaces `name` with `change(current content)`, written only if
    /// nobody changed it since it was read; otherwise reads it again and
    /// retries. Returns what was written.
    pub async fn update<F>(&self, name: &str, mut change: F) -> Result<Vec<u8>, ObjectError>
    where
        F: FnMut(Option<&[u8]>) -> Result<Vec<u8>, String>,
    {
        let written = self
            .change(name, |current| change(current).map(Some))
            .await?;
        Ok(written.unwrap_or_default())
    }

    /// [`update`](Self::update) where `change` may also leave the object
    /// as it is (`Ok(None)`: nothing is written). Returns the content the
    /// object has afterwards (`None`: there is none).
    pub async fn change<F>(&self, name: &str, mut change: F) -> Result<Option<Vec<u8>>, ObjectError>
    where
        F: FnMut(Option<&[u8]>) -> Result<Option<Vec<u8>>, String>,
    {
        let client = self.store(name)?;
        let store = client.store();
        let path = self.path(name);
        let failed = |source| ObjectError::Store {
            name: name.to_owned(),
            source,
        };
        let mut created_container = false;
        for attempt in 0..ATTEMPTS {
            let current = Self::get(store, &path).await.map_err(failed)?;
            let (content, mode) = match &current {
                Some((bytes, e_tag)) => (
                    Some(bytes.as_slice()),
                    PutMode::Update(UpdateVersion {
                        e_tag: e_tag.clone(),
                        version: None,
                    }),
                ),
                None => (None, PutMode::Create),
            };
            let new = change(content).map_err(|reason| ObjectError::Rejected {
                name: name.to_owned(),
                reason,
            })?;
            let Some(new) = new else {
                return Ok(current.map(|(bytes, _)| bytes));
            };
            let options = PutOptions {
                mode,
                ..PutOptions::default()
            };
            match store
                .put_opts(&path, PutPayload::from(new.clone()), options)
                .await
            {
                Ok(_) => return Ok(Some(new)),
                Err(object_store::Error::Precondition { .. })
                | Err(object_store::Error::AlreadyExists { .. }) => {
                    // Someone else wrote first: back off a little, with
                    // jitter so that racing writers spread out.
                    let wait = 5 + fastrand::u64(0..20) * u64::from(attempt.min(8) + 1);
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                }
                Err(object_store::Error::NotFound { .. }) if !created_container => {
                    created_container = true;
                    self.create_container().await.map_err(failed)?;
                }
                Err(e) => return Err(failed(e)),
            }
        }
        Err(ObjectError::Contended {
            name: name.to_owned(),
            attempts: ATTEMPTS,
        })
    }

    async fn create_container(&self) -> Result<(), object_store::Error> {
        let rest = &self.account.rest;
        let result = if let crate::config::Store::Gcs { project, .. } = &self.account.config.store {
            // GCS creates buckets in a project; without one the bucket
            // must exist already.
            match project {
                Some(project) => rest
                    .gcs_create_bucket(project, &self.container)
                    .await
                    .map(drop),
                None => Err(crate::rest::RestError::Request(format!(
                    "bucket {} does not exist, and no GCS project is named to create it in",
                    self.container
                ))),
            }
        } else if self.account.config.store.is_azure() {
            rest.az_create_container(&self.container).await.map(drop)
        } else {
            rest.s3_create_bucket(&self.container).await.map(drop)
        };
        result.map_err(crate::append::os_err)
    }
}
