//! Fleet state (`--shared-state`, `[shared_state]`): failed-login counts,
//! bans and per-address session counts in one store every node uses, so
//! a ban started on one node holds on all and `--max-sessions-per-ip`
//! holds across them. The store URL takes the forms of `--usage-store`:
//!
//! ```text
//! DIR or file:///DIR                         a directory every node mounts
//! azure://ACCOUNT/CONTAINER[/PREFIX]         blobs in an Azure container
//! s3://BUCKET[/PREFIX]                       objects in an S3 bucket
//! ```
//!
//! Blobs are changed with wharf-blob's ETag-conditional writes. How
//! stale each part may be, and what a store failure does, is
//! `wharf_session::shared`'s to say; `docs/fleet.md` says it for
//! operators.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use async_trait::async_trait;
use wharf_blob::{BlobConfig, ConditionalObjects, View};
use wharf_session::defence::{BanPolicy, LoginGuard, SessionRegistry};
use wharf_session::shared::{
    ChangeFn, DirStateStore, SharedConfig, SharedHealth, SharedState, StateStore, StateStoreError,
};

use crate::config::Config;
use crate::storage::StorageAccess;
use crate::values::UsageStoreUrl;

/// The shared state the settings ask for.
#[derive(Debug)]
pub(crate) struct SharedPlan {
    pub(crate) store: UsageStoreUrl,
    key_file: Option<PathBuf>,
    config: SharedConfig,
    sessions: bool,
}

/// What [`open`] gives the server.
pub(crate) struct Opened {
    pub(crate) guard: Arc<dyn LoginGuard>,
    pub(crate) registry: Option<Arc<dyn SessionRegistry>>,
    pub(crate) health: Arc<SharedHealth>,
    /// For the start banner.
    pub(crate) line: String,
}

impl SharedPlan {
    /// The plan of the merged settings; `None` without a store.
    pub(crate) fn resolve(config: &Config) -> Result<Option<Self>> {
        let section = &config.shared_state;
        let Some(store) = &section.store else {
            return Ok(None);
        };
        let store = UsageStoreUrl::parse_for("--shared-state", store)?;
        let mut shared = SharedConfig::default();
        if let Some(secs) = section.ban_refresh_secs {
            if secs == 0 {
                bail!("--shared-ban-refresh-secs must be at least 1");
            }
            shared.ban_refresh = Duration::from_secs(secs);
        }
        if let Some(secs) = section.session_lease_secs {
            if secs < 3 {
                bail!("--shared-session-lease-secs must be at least 3 (it is renewed every third)");
            }
            shared.session_lease = Duration::from_secs(secs);
        }
        if let Some(ms) = section.timeout_ms {
            if ms == 0 {
                bail!("shared_state.timeout_ms must be at least 1");
            }
            shared.store_timeout = Duration::from_millis(ms);
        }
        Ok(Some(Self {
            store,
            key_file: section.store_key_file.clone(),
            config: shared,
            sessions: section.sessions.unwrap_or(true),
        }))
    }
}

/// Opens the store and reads the ban list once, so that a wrong key or
/// endpoint stops the server at start rather than at the first ban.
pub(crate) async fn open(
    plan: SharedPlan,
    access: &StorageAccess,
    policy: BanPolicy,
) -> Result<Opened> {
    let access = StorageAccess {
        key_file: plan.key_file.clone().or(access.key_file.clone()),
        ..access.clone()
    };
    let store: Arc<dyn StateStore> = match &plan.store {
        UsageStoreUrl::Dir(dir) => Arc::new(DirStateStore::new(dir)),
        UsageStoreUrl::Azure {
            account,
            container,
            prefix,
        } => blob(access.azure_store(account)?, &access, container, prefix)?,
        UsageStoreUrl::S3 { bucket, prefix } => blob(access.s3_store()?, &access, bucket, prefix)?,
    };
    let shared = SharedState::new(store, plan.config);
    let guard = shared
        .login_guard(policy)
        .await
        .map_err(|e| anyhow!("the shared state store does not answer as expected: {e}"))?;
    let registry = plan
        .sessions
        .then(|| Arc::new(shared.session_registry()) as Arc<dyn SessionRegistry>);
    let line = format!(
        "shared state in {}: bans read every {} s{}",
        plan.store,
        plan.config.ban_refresh.as_secs(),
        if plan.sessions {
            format!(
                ", per-address sessions counted fleet-wide (lease {} s)",
                plan.config.session_lease.as_secs()
            )
        } else {
            String::new()
        }
    );
    Ok(Opened {
        guard: Arc::new(guard),
        registry,
        health: shared.health(),
        line,
    })
}

fn blob(
    store: wharf_blob::Store,
    access: &StorageAccess,
    container: &str,
    prefix: &str,
) -> Result<Arc<dyn StateStore>> {
    let config = crate::storage::store_settings(BlobConfig::new(store, View::Account), access)?;
    let objects = ConditionalObjects::new(config, container, prefix)
        .map_err(|e| anyhow!("shared state store: {e}"))?;
    Ok(Arc::new(BlobStateStore(objects)))
}

/// Records as blobs, changed with ETag-conditional writes.
struct BlobStateStore(ConditionalObjects);

fn backend(error: wharf_blob::ObjectError) -> StateStoreError {
    StateStoreError::Backend(Box::new(error))
}

#[async_trait]
impl StateStore for BlobStateStore {
    async fn read(&self, name: &str) -> Result<Option<Vec<u8>>, StateStoreError> {
        self.0.read(name).await.map_err(backend)
    }

    async fn update(
        &self,
        name: &str,
        change: &mut ChangeFn<'_>,
    ) -> Result<Option<Vec<u8>>, StateStoreError> {
        self.0.change(name, change).await.map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_session::defence::{Admission, address_group};
    use wharf_test_support::azurite::{ACCOUNT, Azurite, KEY};

    fn plan(toml: &str) -> Result<Option<SharedPlan>> {
        SharedPlan::resolve(&Config::parse(toml)?)
    }

    #[test]
    fn the_plan_takes_the_store_forms_and_refuses_bounds_it_cannot_keep() {
        assert!(plan("").unwrap().is_none());
        let dir = plan("[shared_state]\nstore = \"/srv/shared\"")
            .unwrap()
            .unwrap();
        assert!(dir.sessions);
        assert_eq!(dir.config, SharedConfig::default());
        let blob = plan("[shared_state]\nstore = \"azure://acct/fleet/p\"\nsessions = false\nban_refresh_secs = 2")
            .unwrap()
            .unwrap();
        assert!(!blob.sessions);
        assert_eq!(blob.config.ban_refresh, Duration::from_secs(2));
        for bad in [
            "ban_refresh_secs = 0",
            "session_lease_secs = 2",
            "timeout_ms = 0",
        ] {
            let toml = format!("[shared_state]\nstore = \"d\"\n{bad}");
            assert!(plan(&toml).is_err(), "{bad}");
        }
        let error = plan("[shared_state]\nstore = \"gcs://x\"").err().unwrap();
        assert!(
            format!("{error:#}").contains("shared_state.store"),
            "{error:#}"
        );
    }

    fn shared_on(azurite: &Azurite) -> Arc<SharedState> {
        let store =
            wharf_blob::Store::azure_from_secret(&azurite.endpoint(), ACCOUNT, KEY).unwrap();
        let mut config = SharedConfig::default();
        config.ban_refresh = Duration::from_millis(200);
        config.store_timeout = Duration::from_secs(10);
        let access = StorageAccess::new(&Config::parse("").unwrap());
        SharedState::new(blob(store, &access, "fleet", "state").unwrap(), config)
    }

    /// Several nodes (a client each) on one Azurite container: failures
    /// counted at once from all of them add up exactly, the ban reaches
    /// every node, and a per-address limit holds across them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nodes_on_azurite_lose_no_count_and_share_bans_and_limits() {
        let azurite = Azurite::start();
        let policy = BanPolicy {
            max_failures: 40,
            window: Duration::from_secs(600),
            ban: Duration::from_secs(600),
            max_ban: Duration::from_secs(600),
        };
        let group = address_group("192.0.2.44".parse().unwrap(), 64);
        let mut guards = Vec::new();
        for _ in 0..4 {
            guards.push(Arc::new(
                shared_on(&azurite).login_guard(policy).await.unwrap(),
            ));
        }
        let mut tasks = Vec::new();
        for guard in &guards {
            let guard = guard.clone();
            tasks.push(tokio::spawn(async move {
                let mut bans = 0;
                for _ in 0..10 {
                    bans += usize::from(guard.record_failure(group).await.is_some());
                }
                bans
            }));
        }
        let mut bans = 0;
        for task in tasks {
            bans += task.await.unwrap();
        }
        // 40 failures in all: exactly the last one banned.
        assert_eq!(bans, 1, "a count was lost or doubled");
        tokio::time::sleep(Duration::from_millis(600)).await;
        for guard in &guards {
            assert!(guard.is_banned(group).await.is_some());
        }
        let other = address_group("192.0.2.45".parse().unwrap(), 64);
        assert!(guards[0].is_banned(other).await.is_none());

        let nodes: Vec<_> = (0..3)
            .map(|_| shared_on(&azurite).session_registry())
            .collect();
        for node in &nodes {
            assert_eq!(node.open(other, 3).await, Admission::Counted);
        }
        assert_eq!(nodes[1].open(other, 3).await, Admission::Full);
        nodes[0].close(other).await;
        assert_eq!(nodes[2].open(other, 3).await, Admission::Counted);
    }
}
