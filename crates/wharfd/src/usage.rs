//! Quotas and bandwidth limits: where the usage counts are stored
//! (`--usage-store`), and the blob-backed [`UsageStore`].
//!
//! ```text
//! DIR or file:///DIR                         a local directory
//! azure://ACCOUNT/CONTAINER[/PREFIX]         blobs in an Azure container
//! s3://BUCKET[/PREFIX]                       objects in an S3 bucket
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use async_trait::async_trait;
use wharf_blob::{BlobConfig, ConditionalObjects, View};
use wharf_session::usage::{
    DirUsageStore, UsageConfig, UsageLedger, UsageRecord, UsageStore, UsageStoreError,
};

use std::collections::HashMap;
use std::time::Duration;

use wharf_session::usage::Period;

use crate::config::{Config, UserEntry};
use crate::defaults;
use crate::storage::StorageAccess;
use crate::values::{Size, StorageUrl, UsageStoreUrl, rate};

/// Quotas, per-account bandwidth and where counts are stored; the store
/// is opened by `main` (it may be remote).
#[derive(Debug, Default)]
pub(crate) struct UsagePlan {
    pub(crate) period: Period,
    pub(crate) default_limit: u64,
    pub(crate) limits: HashMap<String, u64>,
    pub(crate) store: Option<UsageStoreUrl>,
    pub(crate) store_key_file: Option<PathBuf>,
    pub(crate) flush_interval: Duration,
    pub(crate) account_rates: (u64, u64),
}

impl UsagePlan {
    /// UsageLedger is needed at all: something to limit or to store.
    pub(crate) fn enabled(&self) -> bool {
        self.default_limit > 0
            || self.limits.values().any(|&l| l > 0)
            || self.store.is_some()
            || self.account_rates != (0, 0)
    }

    /// The plan of the merged settings; `users` are every configured
    /// account, for their own quotas.
    pub(crate) fn resolve(config: &Config, users: &[&UserEntry]) -> Result<Self> {
        let size = |s: &Size, key: &str| s.bytes().map_err(|e| anyhow!("{key}: {e}"));
        let quota = &config.quota;
        let default_limit = match &quota.limit {
            Some(limit) => size(limit, "quota.limit")?,
            None => 0,
        };
        let mut limits = HashMap::new();
        for (name, limit) in &quota.accounts {
            limits.insert(
                name.clone(),
                size(limit, &format!("quota.accounts.{name}"))?,
            );
        }
        for user in users {
            if let Some(limit) = &user.quota {
                limits.insert(
                    user.name.clone(),
                    size(limit, &format!("user {}", user.name))?,
                );
            }
        }
        let period = (quota.period.as_deref())
            .unwrap_or(defaults::QUOTA_PERIOD)
            .parse::<Period>()
            .map_err(|e| anyhow!("--quota-period: {e}"))?;
        let store = (quota.store.as_deref())
            .map(UsageStoreUrl::parse)
            .transpose()?;
        let flush = quota.flush_secs.unwrap_or(defaults::USAGE_FLUSH_SECS);
        if flush == 0 {
            return Err(anyhow!("--usage-flush-secs must be at least 1"));
        }
        Ok(Self {
            period,
            default_limit,
            limits,
            store,
            store_key_file: quota.store_key_file.clone(),
            flush_interval: Duration::from_secs(flush),
            account_rates: (
                rate(config.rate.account_download.as_ref(), "account_download")?,
                rate(config.rate.account_upload.as_ref(), "account_upload")?,
            ),
        })
    }
}

impl UsagePlan {
    /// Refuses a usage store that FTP users could reach: its container or
    /// bucket inside the `--storage` view (the account view holds every
    /// container of the account; `s3://` every bucket the key lists), or its
    /// directory inside a served root (or a root inside it).
    ///
    /// Refusing was chosen over hiding the records' prefix from the view:
    /// hiding would have to hold in every path of the back-end (listings,
    /// reads, writes, deletes, folder and container renames and deletes,
    /// which copy or remove everything under them) and one missed path
    /// would let any writable user reset every account's quota. A store
    /// outside the view is out of reach by construction.
    ///
    /// `passthrough` is the pass-through allow-list when
    /// `--azure-passthrough` is on (empty: every account may log in): an
    /// Azure store in an account that may log in is in that user's view.
    pub(crate) fn refuse_reachable_store<'a>(
        &self,
        storage: Option<&str>,
        local_roots: impl IntoIterator<Item = &'a std::path::Path>,
        passthrough: Option<&[String]>,
    ) -> Result<()> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let records = "usage records and so every quota";
        refuse_reachable(
            store,
            "--usage-store",
            records,
            storage,
            local_roots,
            passthrough,
        )
    }
}

/// Refuses a store (of `flag`, holding `records`) that FTP users could
/// reach, as [`UsagePlan::refuse_reachable_store`] explains.
pub(crate) fn refuse_reachable<'a>(
    store: &UsageStoreUrl,
    flag: &str,
    records: &str,
    storage: Option<&str>,
    local_roots: impl IntoIterator<Item = &'a std::path::Path>,
    passthrough: Option<&[String]>,
) -> Result<()> {
    if let (UsageStoreUrl::Azure { account, .. }, Some(allowed)) = (store, passthrough)
        && (allowed.is_empty() || allowed.iter().any(|a| a.eq_ignore_ascii_case(account)))
    {
        bail!(
            "{flag} {store} is in storage account {account}, which may log in through \
             --azure-passthrough and would see (and could delete) the {records}: keep them \
             in an account no FTP user may log in as, and list the accounts that may \
             (--azure-accounts)"
        );
    }
    let storage_url = storage.map(StorageUrl::parse).transpose()?;
    let reachable = match (store, &storage_url) {
        (UsageStoreUrl::Dir(dir), _) => {
            let dir = resolved(dir);
            local_roots.into_iter().any(|root| {
                let root = resolved(root);
                dir.starts_with(&root) || root.starts_with(&dir)
            })
        }
        (
            UsageStoreUrl::Azure {
                account, container, ..
            },
            Some(StorageUrl::Azure {
                account: served,
                container: view,
            }),
        ) => {
            served.eq_ignore_ascii_case(account)
                && view
                    .as_ref()
                    .is_none_or(|c| c.eq_ignore_ascii_case(container))
        }
        (UsageStoreUrl::S3 { bucket, .. }, Some(StorageUrl::S3 { bucket: view })) => {
            view.as_ref().is_none_or(|b| b == bucket)
        }
        _ => false,
    };
    if reachable {
        let seen = storage.map_or_else(|| "the FTP root".to_owned(), |s| format!("--storage {s}"));
        bail!(
            "{flag} {store} is inside what FTP users see ({seen}): any writable user could \
             delete or rewrite the {records}. Keep them out of the view: \
             another container or bucket (serve one with --storage azure://ACCOUNT/CONTAINER or \
             s3://BUCKET), another account, or a directory outside every root"
        );
    }
    Ok(())
}

/// `path` made absolute with symbolic links resolved as far as it exists.
fn resolved(path: &std::path::Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut existing = absolute.as_path();
    let mut missing = Vec::new();
    loop {
        if let Ok(mut real) = existing.canonicalize() {
            real.extend(missing.iter().rev());
            return real;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_owned());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// Opens the store; a blob store is read once so that a wrong key or
/// endpoint stops the server at start.
pub(crate) async fn open_store(
    url: &UsageStoreUrl,
    access: &StorageAccess,
) -> Result<Arc<dyn UsageStore>> {
    let (store, container, prefix) = match url {
        UsageStoreUrl::Dir(dir) => return Ok(Arc::new(DirUsageStore::new(dir))),
        UsageStoreUrl::Azure {
            account,
            container,
            prefix,
        } => (access.azure_store(account)?, container, prefix),
        UsageStoreUrl::S3 { bucket, prefix } => (access.s3_store()?, bucket, prefix),
    };
    let config = crate::storage::store_settings(BlobConfig::new(store, View::Account), access)?;
    let objects = ConditionalObjects::new(config, container, prefix)
        .map_err(|e| anyhow!("usage store: {e}"))?;
    objects
        .read("wharf-usage-check")
        .await
        .map_err(|e| anyhow!("the usage store does not answer as expected: {e}"))?;
    Ok(Arc::new(BlobUsageStore(objects)))
}

/// The server's usage ledger from `plan`, and a line for the start banner.
pub(crate) async fn usage_ledger(
    plan: UsagePlan,
    access: &StorageAccess,
) -> Result<(Arc<UsageLedger>, String)> {
    let mut access = StorageAccess {
        key_file: plan.store_key_file.clone().or(access.key_file.clone()),
        ..access.clone()
    };
    if plan.store_key_file.is_some() {
        // A key of its own names the usage store's credential, not the
        // identity of --storage.
        access.azure_identity.credential = None;
    }
    let store = match &plan.store {
        Some(url) => Some(open_store(url, &access).await?),
        None => None,
    };
    let limit = match plan.default_limit {
        0 => "no default limit".to_owned(),
        n => format!("{n} bytes per account"),
    };
    let kept = match &plan.store {
        Some(UsageStoreUrl::Dir(dir)) => format!("counts in {}", dir.display()),
        Some(_) => "counts in the blob store".to_owned(),
        None => "counts in memory only".to_owned(),
    };
    let line = format!("quotas: {limit}, {} (UTC), {kept}", plan.period.adjective());
    let mut config = UsageConfig::default();
    config.period = plan.period;
    config.default_limit = plan.default_limit;
    config.limits = plan.limits;
    config.store = store;
    config.flush_interval = plan.flush_interval;
    config.account_rates = plan.account_rates;
    Ok((UsageLedger::new(config), line))
}

/// Usage records as blobs, one per account and period, updated with
/// ETag-conditional writes.
struct BlobUsageStore(ConditionalObjects);

fn backend(error: wharf_blob::ObjectError) -> UsageStoreError {
    UsageStoreError::Backend(Box::new(error))
}

#[async_trait]
impl UsageStore for BlobUsageStore {
    async fn load(&self, account: &str, period: &str) -> Result<u64, UsageStoreError> {
        let name = UsageRecord::object_name(account, period);
        match self.0.read(&name).await.map_err(backend)? {
            Some(bytes) => Ok(UsageRecord::from_json(&bytes, &name)?.bytes),
            None => Ok(0),
        }
    }

    async fn add(&self, account: &str, period: &str, delta: u64) -> Result<u64, UsageStoreError> {
        let name = UsageRecord::object_name(account, period);
        let written = self
            .0
            .update(&name, |current| {
                let current = current
                    .map(|bytes| UsageRecord::from_json(bytes, &name))
                    .transpose()
                    .map_err(|e| e.to_string())?;
                Ok(UsageRecord::added(current, account, period, delta).to_json())
            })
            .await
            .map_err(backend)?;
        Ok(UsageRecord::from_json(&written, &name)?.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(store: &str, storage: Option<&str>, roots: &[&std::path::Path]) -> bool {
        refused_with(store, storage, roots, None)
    }

    fn refused_with(
        store: &str,
        storage: Option<&str>,
        roots: &[&std::path::Path],
        passthrough: Option<&[String]>,
    ) -> bool {
        let plan = UsagePlan {
            store: Some(UsageStoreUrl::parse(store).unwrap()),
            ..UsagePlan::default()
        };
        plan.refuse_reachable_store(storage, roots.iter().copied(), passthrough)
            .is_err()
    }

    #[test]
    fn a_store_in_an_account_that_may_log_in_by_passthrough_is_refused() {
        let everyone: &[String] = &[];
        assert!(refused_with(
            "azure://acct/usage",
            None,
            &[],
            Some(everyone)
        ));
        let listed = ["acct".to_owned(), "other".to_owned()];
        assert!(refused_with("azure://ACCT/usage", None, &[], Some(&listed)));
        let others = ["other".to_owned()];
        assert!(!refused_with(
            "azure://acct/usage",
            None,
            &[],
            Some(&others)
        ));
        assert!(!refused_with("s3://usage", None, &[], Some(everyone)));
        assert!(!refused_with("azure://acct/usage", None, &[], None));
    }

    #[test]
    fn a_store_inside_the_ftp_view_is_refused() {
        let view = Some("azure://acct");
        assert!(refused("azure://acct/usage", view, &[]));
        assert!(refused("azure://ACCT/usage/p", view, &[]));
        assert!(!refused("azure://other/usage", view, &[]));
        let one = Some("azure://acct/box");
        assert!(refused("azure://acct/box/wharf", one, &[]));
        assert!(!refused("azure://acct/usage", one, &[]));
        assert!(refused("s3://usage", Some("s3://"), &[]));
        assert!(refused("s3://box/p", Some("s3://box"), &[]));
        assert!(!refused("s3://usage", Some("s3://box"), &[]));
        assert!(!refused("s3://usage", view, &[]));
        assert!(!refused("azure://acct/usage", Some("s3://"), &[]));
        // Local: the store inside a root, or a root inside the store.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir(&root).unwrap();
        let inside = root.join("a/../usage");
        assert!(refused(inside.to_str().unwrap(), None, &[&root]));
        assert!(refused(dir.path().to_str().unwrap(), None, &[&root]));
        let beside = dir.path().join("usage");
        assert!(!refused(beside.to_str().unwrap(), None, &[&root]));
        // Through a symbolic link into the root.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&root, &link).unwrap();
        assert!(refused(
            link.join("usage").to_str().unwrap(),
            None,
            &[&root]
        ));
        // A blob store is never in a local root, nor a directory in a blob view.
        assert!(!refused("azure://acct/usage", None, &[&root]));
        assert!(!refused(beside.to_str().unwrap(), view, &[]));
    }
}
