//! Builds what the server runs with from the merged settings (the file
//! with the flags laid over it, `Cli::merged_config`), applying the
//! defaults (`defaults.rs`, and the engine's `Options::default()`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use wharf_fs::LocalFs;
use wharf_session::{Options, TlsPolicy, UserList};
use wharf_vfs::Vfs;

use crate::config::{Config, UserEntry, load_users};
use crate::defaults;
use crate::metrics::{Measured, StorageCounters};
use crate::tls_settings::{TlsSettings, tls_settings};
use crate::usage::UsagePlan;
use crate::values::{Size, parse_umask};

mod engine;
mod host_stores;
mod store_identities;
mod stores;
mod users;

use engine::{hashing_gate, options};
use stores::Stores;
use users::{Scope, add_users};

/// Everything `main` needs to start the server.
pub(crate) struct Settings {
    pub(crate) listen: Vec<SocketAddr>,
    pub(crate) root: PathBuf,
    /// What the main users are served: the store of `--storage`, else the
    /// root directory (`/readyz` probes it).
    pub(crate) served: Arc<dyn Vfs>,
    pub(crate) options: Options,
    pub(crate) users: UserList,
    /// Virtual hosts by name.
    pub(crate) hosts: Vec<(String, UserList)>,
    pub(crate) log_json: bool,
    /// Lines to print at start (how to log in).
    pub(crate) banner: Vec<String>,
    pub(crate) tls: Option<TlsSettings>,
    /// Seed 000's bridge: the blob endpoint, when logins go to Azure.
    pub(crate) azure_endpoint: Option<String>,
    /// The storage accounts that may log in by passthrough; empty: all.
    pub(crate) azure_accounts: Vec<String>,
    /// Quotas and account bandwidth.
    pub(crate) usage: UsagePlan,
    /// Fleet state, when `--shared-state` is given.
    pub(crate) shared: Option<crate::shared_state::SharedPlan>,
    /// Every local root opened, for the start-up sweep of orphaned
    /// upload temporary files.
    pub(crate) local_roots: Vec<LocalFs>,
    /// Root directories wharfd created (they were missing), to hand to
    /// the `run_as` user before the privilege drop.
    pub(crate) created_roots: Vec<PathBuf>,
    /// `--run-as` / `run_as`: who to become after binding, when root.
    pub(crate) run_as: Option<String>,
    /// The admin HTTP listener's address, when on.
    pub(crate) admin_listen: Option<SocketAddr>,
    /// The xferlog file, when on.
    pub(crate) xferlog: Option<PathBuf>,
    /// The JSON-lines audit log, when on.
    pub(crate) audit_log: Option<PathBuf>,
    /// One view per container that homes, mounts and hosts' stores are
    /// in, with who uses it: start-up lists each once (`Probes::check`).
    pub(crate) store_probes: stores::Probes,
}

/// Opens each distinct root directory once; with `--storage`, every user
/// gets the store (per-user roots are for local disk).
#[derive(Default)]
pub(super) struct Roots {
    opened: HashMap<PathBuf, Arc<dyn Vfs>>,
    pub(super) fixed: Option<Arc<dyn Vfs>>,
    /// Skip the sync of finished uploads (`--sync-uploads off`).
    no_sync: bool,
    /// `--umask` / `umask`.
    umask: u32,
    /// The same roots as `LocalFs`, for the start-up sweep.
    local: Vec<LocalFs>,
    /// The roots that did not exist and were created.
    created: Vec<PathBuf>,
    /// Counts storage calls, with metrics on.
    measure: Option<StorageCounters>,
    /// `check-config`: a missing root is not created (the check changes
    /// nothing; startup creates it and gives it to `run_as`), an empty
    /// in-memory tree stands in for it, and `created` lists it.
    check_only: bool,
}

impl Roots {
    pub(super) fn open(&mut self, dir: &Path) -> Result<Arc<dyn Vfs>> {
        if let Some(vfs) = &self.fixed {
            return Ok(vfs.clone());
        }
        self.open_dir(dir)
    }

    /// Opens `dir` even with `--storage` (a user's `home` names it).
    pub(super) fn open_dir(&mut self, dir: &Path) -> Result<Arc<dyn Vfs>> {
        if let Some(vfs) = self.opened.get(dir) {
            return Ok(vfs.clone());
        }
        if !dir.exists() && self.check_only {
            let stand_in: Arc<dyn Vfs> = Arc::new(wharf_vfs::MemoryFs::new());
            self.created.push(dir.to_owned());
            self.opened.insert(dir.to_owned(), stand_in.clone());
            return Ok(stand_in);
        }
        if !dir.exists() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            self.created.push(dir.to_owned());
        }
        let local = LocalFs::new(dir)
            .with_context(|| format!("cannot serve {}", dir.display()))?
            .with_sync(!self.no_sync)
            .with_umask(self.umask);
        self.local.push(local.clone());
        let mut vfs: Arc<dyn Vfs> = Arc::new(local);
        if let Some(counters) = &self.measure {
            vfs = Measured::wrap(vfs, "local", counters.clone());
        }
        self.opened.insert(dir.to_owned(), vfs.clone());
        Ok(vfs)
    }
}

/// A rate of a user's or a host's table; `0` (unlimited) when absent.
pub(super) fn table_rate(size: Option<&Size>, what: &str) -> Result<u64> {
    size.map_or(Ok(0), |size| {
        size.rate().map_err(|e| anyhow!("{what}: {e}"))
    })
}

impl Settings {
    /// Builds the settings from `config`, the file with the flags laid
    /// over it, and the defaults. `flag_users` are the `--user` accounts,
    /// added after the file's and the users file's. `storage`, when given,
    /// is served to every user instead of the root directory (see
    /// `storage.rs`). With `measure`, every local root counts its calls.
    pub(crate) fn resolve(
        config: Config,
        flag_users: &[(String, String)],
        one_time_password: impl FnOnce() -> Result<String>,
        storage: Option<(String, Arc<dyn Vfs>)>,
        measure: Option<StorageCounters>,
    ) -> Result<Self> {
        Self::resolve_as(
            config,
            flag_users,
            one_time_password,
            storage,
            measure,
            false,
        )
    }

    /// [`Settings::resolve`] for `check-config`: every file is read and
    /// checked as at start, but nothing is created (see
    /// `Roots::check_only`; `created_roots` lists the roots startup would
    /// create), and the default user's one-time password is a placeholder
    /// nobody sees.
    pub(crate) fn check(
        config: Config,
        flag_users: &[(String, String)],
        storage: Option<(String, Arc<dyn Vfs>)>,
    ) -> Result<Self> {
        let placeholder = || Ok("check-config".to_owned());
        Self::resolve_as(config, flag_users, placeholder, storage, None, true)
    }

    fn resolve_as(
        config: Config,
        flag_users: &[(String, String)],
        one_time_password: impl FnOnce() -> Result<String>,
        storage: Option<(String, Arc<dyn Vfs>)>,
        measure: Option<StorageCounters>,
        check_only: bool,
    ) -> Result<Self> {
        let mut roots = Roots {
            check_only,
            no_sync: config.sync_uploads == Some(false),
            umask: match &config.umask {
                Some(umask) => umask
                    .value(parse_umask)
                    .map_err(|e| anyhow!("umask: {e}"))?,
                None => defaults::UMASK,
            },
            measure: measure.clone(),
            ..Roots::default()
        };
        let measure_stores = measure;
        let listen = config
            .listen
            .clone()
            .unwrap_or_else(|| vec![defaults::LISTEN]);
        let root = config
            .root
            .clone()
            .unwrap_or_else(|| PathBuf::from(defaults::ROOT));
        let (storage, storage_name) = match storage {
            Some((name, vfs)) => {
                roots.fixed = Some(vfs.clone());
                (vfs, Some(name))
            }
            None => (roots.open(&root)?, None),
        };

        let gate = hashing_gate(&config);
        let mut users = UserList::new().with_hashing_gate(gate.clone());
        let mut banner = Vec::new();
        let mut entries = config.users.clone();
        if let Some(file) = &config.users_file {
            entries.extend(load_users(file)?);
        }
        for (name, password) in flag_users {
            entries.push(UserEntry {
                name: name.clone(),
                password_hash: None,
                password: Some(password.clone()),
                root: None,
                home: None,
                credentials: None,
                writable: None,
                permissions: None,
                rules: Vec::new(),
                mounts: Vec::new(),
                tls_exempt: false,
                quota: None,
                download_rate: None,
                upload_rate: None,
                allow: Vec::new(),
                deny: Vec::new(),
            });
        }
        let mut stores = Stores::new(&config, measure_stores);
        let scope = Scope {
            base: &root,
            fixed: roots.fixed.clone(),
        };
        users = add_users(users, &entries, &scope, &mut roots, &mut stores)?;
        let anonymous = config.anonymous.unwrap_or(false);
        if anonymous {
            users = users.with_anonymous(storage.clone());
            banner.push("anonymous login (read-only) is enabled".to_owned());
        }
        let azure_endpoint = config.azure.passthrough.unwrap_or(false).then(|| {
            (config.azure.endpoint.as_deref())
                .unwrap_or(defaults::AZURE_ENDPOINT)
                .to_owned()
        });
        if let Some(endpoint) = &azure_endpoint {
            if !endpoint.contains("{account}") {
                return Err(anyhow!(
                    "--azure-endpoint {endpoint:?} must contain {{account}}"
                ));
            }
            banner.push(format!(
                "Azure passthrough: log in with a storage account name and key ({endpoint})"
            ));
        }
        if entries.is_empty() && !anonymous && azure_endpoint.is_none() {
            let password = one_time_password()?;
            users =
                users.with_password(defaults::USER, password.as_bytes(), storage.clone(), true)?;
            banner.push(format!(
                "user: {}  password: {password}  (one-time, printed once)",
                defaults::USER
            ));
        }

        let mut hosts = Vec::new();
        let mut host_entries = Vec::new();
        for host in &config.hosts {
            let host_root = host.root.clone().unwrap_or_else(|| root.clone());
            let mut entries = host.users.clone();
            if let Some(file) = &host.users_file {
                entries.extend(load_users(file)?);
            }
            let entries: Vec<UserEntry> = entries.iter().map(|u| u.with_defaults(host)).collect();
            host_entries.extend(entries.iter().cloned());
            let scope = Scope {
                base: &host_root,
                fixed: host_stores::host_store(host, &mut stores)?.or_else(|| roots.fixed.clone()),
            };
            let list = UserList::new().with_hashing_gate(gate.clone());
            let mut list = add_users(list, &entries, &scope, &mut roots, &mut stores)
                .with_context(|| format!("host {}", host.name))?;
            if host.anonymous {
                let tree = match &scope.fixed {
                    Some(store) => store.clone(),
                    None => roots.open(&host_root)?,
                };
                list = list.with_anonymous(tree);
            }
            let what = |key| format!("host {}: {key}", host.name);
            list = list.with_rates(
                table_rate(host.download_rate.as_ref(), &what("download_rate"))?,
                table_rate(host.upload_rate.as_ref(), &what("upload_rate"))?,
            );
            hosts.push((host.name.clone(), list));
        }

        let all_users: Vec<&UserEntry> = entries.iter().chain(&host_entries).collect();
        let usage = UsagePlan::resolve(&config, &all_users)?;
        let azure_accounts = crate::passthrough::allowed_accounts(&config)?;
        usage.refuse_reachable_store(
            storage_name.as_deref(),
            roots.opened.keys().map(PathBuf::as_path),
            azure_endpoint
                .is_some()
                .then_some(azure_accounts.as_slice()),
        )?;
        host_stores::refuse_reachable_usage(&usage, stores.opened())?;
        let shared = crate::shared_state::SharedPlan::resolve(&config)?;
        if let Some(plan) = &shared {
            crate::usage::refuse_reachable(
                &plan.store,
                "--shared-state",
                "bans and session counts",
                storage_name.as_deref(),
                roots.opened.keys().map(PathBuf::as_path),
                azure_endpoint
                    .is_some()
                    .then_some(azure_accounts.as_slice()),
            )?;
            host_stores::refuse_reachable(
                &plan.store,
                "--shared-state",
                "the bans and session counts",
                stores.opened(),
            )?;
        }
        let tls = tls_settings(&config)?;
        let mut options = options(&config)?;
        let required = config
            .tls
            .required
            .as_deref()
            .unwrap_or(defaults::TLS_REQUIRED);
        if required != "none" && tls.is_none() {
            return Err(anyhow!(
                "--tls-required {required} needs a certificate (--tls-cert/--tls-key or --tls-self-signed)"
            ));
        }
        options.tls_policy = TlsPolicy {
            login: matches!(required, "login" | "all"),
            data: matches!(required, "data" | "all"),
            exempt_anonymous: config.tls.exempt_anonymous.unwrap_or(true),
        };
        options.tls_reuse_required = config.tls.reuse_required.unwrap_or(true);
        options.allow_ccc = config.tls.allow_ccc.unwrap_or(false);
        if azure_endpoint.is_some() {
            let self_signed = tls.as_ref().is_some_and(|tls| tls.self_signed);
            crate::passthrough::refuse_keys_in_clear(&config, &options.tls_policy, self_signed)?;
        }
        if let Some(name) = &storage_name {
            banner.push(format!("storage: {name}"));
        }
        Ok(Self {
            usage,
            shared,
            azure_endpoint,
            azure_accounts,
            tls,
            listen,
            root,
            served: storage,
            options,
            users,
            hosts,
            log_json: config.log_json.unwrap_or(false),
            banner,
            local_roots: roots.local,
            created_roots: roots.created,
            run_as: config.run_as.clone(),
            admin_listen: config
                .admin
                .listen
                .as_deref()
                .map(crate::admin::parse_address)
                .transpose()?,
            xferlog: config.logs.xferlog.clone(),
            audit_log: config.logs.audit.clone(),
            store_probes: stores.probes(),
        })
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod homes_tests;
