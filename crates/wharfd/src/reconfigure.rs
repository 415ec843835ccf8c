//! What a reload (SIGHUP) gives the sessions that start afterwards: the
//! configuration file and the users files read again with the flags of the
//! start laid over them, resolved as at start, and handed to the engine
//! (`Connections::reload`). Running sessions keep their login and settings.
//!
//! Users, virtual hosts, limits, timeouts, rates, the TLS policy, the
//! public address and the greeting change this way. What the process bound
//! or opened at start stays until a restart, and a reload that finds it
//! changed says so in the log: the listen addresses, the implicit-FTPS
//! addresses, the admin listener, the log files, `run_as`, the quotas and
//! their store, the shared state (`[shared_state]`), and the storage (a reload that names another store fails
//! and keeps every old setting).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Result, bail};
use wharf_blob::FolderMarker;
use wharf_session::{Authenticator, Reload, UserList};
use wharf_vfs::Vfs;

use crate::cli::Cli;
use crate::metrics::StorageCounters;
use crate::passthrough::AzurePassthrough;
use crate::settings::Settings;
use crate::storage::StorageAccess;

/// The engine's authenticator for `settings`, and one per virtual host.
pub(crate) type Authenticators = (
    Arc<dyn Authenticator>,
    Vec<(String, Arc<dyn Authenticator>)>,
);

/// Builds the authenticators: seed 000's pass-through to Azure, or the
/// users list; the virtual hosts' lists.
pub(crate) fn authenticators(
    azure_endpoint: Option<String>,
    azure_accounts: Vec<String>,
    users: UserList,
    hosts: Vec<(String, UserList)>,
    folder_marker: FolderMarker,
    access: &StorageAccess,
    measure: Option<StorageCounters>,
) -> Result<Authenticators> {
    let main: Arc<dyn Authenticator> = match azure_endpoint {
        Some(endpoint) => Arc::new(AzurePassthrough::measured(
            endpoint,
            folder_marker,
            azure_accounts,
            users,
            access,
            measure,
        )?),
        None => Arc::new(users),
    };
    let hosts = hosts
        .into_iter()
        .map(|(name, users)| (name, Arc::new(users) as Arc<dyn Authenticator>))
        .collect();
    Ok((main, hosts))
}

/// What only a restart changes, as it was at start.
#[derive(Debug, Clone, PartialEq)]
struct Fixed {
    listen: Vec<SocketAddr>,
    implicit: Vec<SocketAddr>,
    admin: Option<SocketAddr>,
    logs: (Option<PathBuf>, Option<PathBuf>),
    run_as: Option<String>,
    usage: String,
    shared: String,
}

impl Fixed {
    fn of(settings: &Settings) -> Self {
        Self {
            listen: settings.listen.clone(),
            implicit: settings
                .tls
                .as_ref()
                .map(|tls| tls.implicit.clone())
                .unwrap_or_default(),
            admin: settings.admin_listen,
            logs: (settings.xferlog.clone(), settings.audit_log.clone()),
            run_as: settings.run_as.clone(),
            usage: format!("{:?}", settings.usage),
            shared: format!("{:?}", settings.shared),
        }
    }

    /// The names of what differs from `other`.
    fn changed(&self, other: &Self) -> Vec<&'static str> {
        let mut changed = Vec::new();
        let mut check = |same: bool, name| {
            if !same {
                changed.push(name);
            }
        };
        check(self.listen == other.listen, "listen");
        check(self.implicit == other.implicit, "tls.implicit_listen");
        check(self.admin == other.admin, "admin.listen");
        check(self.logs == other.logs, "logs");
        check(self.run_as == other.run_as, "run_as");
        check(self.usage == other.usage, "quota");
        check(self.shared == other.shared, "shared_state");
        changed
    }
}

/// Everything a reload needs from the start.
pub(crate) struct Reconfigure {
    cli: Cli,
    /// The store opened at start and its URL, served on.
    storage: Option<(String, Arc<dyn Vfs>)>,
    measure: Option<StorageCounters>,
    folder_marker: FolderMarker,
    /// The default user's one-time password, if one was made: the same
    /// after a reload.
    one_time_password: Arc<Mutex<Option<String>>>,
    fixed: Fixed,
}

impl Reconfigure {
    pub(crate) fn new(
        cli: Cli,
        storage: Option<(String, Arc<dyn Vfs>)>,
        measure: Option<StorageCounters>,
        folder_marker: FolderMarker,
        one_time_password: Arc<Mutex<Option<String>>>,
        started: &Settings,
    ) -> Self {
        Self {
            cli,
            storage,
            measure,
            folder_marker,
            one_time_password,
            fixed: Fixed::of(started),
        }
    }

    /// The configuration read again and resolved: the engine's new
    /// settings, and the names of the settings that need a restart.
    pub(crate) fn read(&self) -> Result<(Reload, Vec<&'static str>)> {
        let config = self.cli.merged_config()?;
        let url = self.storage.as_ref().map(|(url, _)| url.as_str());
        if config.storage.as_deref() != url {
            bail!(
                "storage changed from {url:?} to {:?}: that needs a restart",
                config.storage
            );
        }
        let access = StorageAccess::new(&config);
        let password = self.one_time_password.clone();
        let remembered = move || {
            let mut kept = password.lock().unwrap_or_else(PoisonError::into_inner);
            match &*kept {
                Some(password) => Ok(password.clone()),
                None => {
                    let made = crate::one_time_password()?;
                    *kept = Some(made.clone());
                    Ok(made)
                }
            }
        };
        let settings = Settings::resolve(
            config,
            &self.cli.users,
            remembered,
            self.storage.clone(),
            self.measure.clone(),
        )?;
        let restart = self.fixed.changed(&Fixed::of(&settings));
        let (main, hosts) = authenticators(
            settings.azure_endpoint,
            settings.azure_accounts,
            settings.users,
            settings.hosts,
            self.folder_marker.clone(),
            &access,
            self.measure.clone(),
        )?;
        let mut reload = Reload::new(main, settings.options);
        for (name, host) in hosts {
            reload = reload.virtual_host(&name, host);
        }
        Ok((reload, restart))
    }
}

impl Reconfigure {
    /// Reads the configuration again and gives it to new sessions; a few
    /// words on what happened, for the reload's log line. Reading and
    /// resolving (which hashes clear-text passwords) runs off the reactor.
    pub(crate) async fn apply(
        self: &Arc<Self>,
        connections: &wharf_session::Connections,
    ) -> String {
        let reading = self.clone();
        let read = tokio::task::spawn_blocking(move || reading.read()).await;
        match read {
            Ok(Ok((reload, mut restart))) => {
                restart.extend(connections.reload(reload));
                if restart.is_empty() {
                    tracing::info!("configuration reloaded: new sessions get it");
                    "the configuration".to_owned()
                } else {
                    let unchanged = restart.join(", ");
                    tracing::warn!(
                        unchanged,
                        "configuration reloaded: new sessions get it, but these settings need a restart"
                    );
                    format!("the configuration (but not {unchanged}: they need a restart)")
                }
            }
            Ok(Err(error)) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "configuration reload failed; keeping the old settings"
                );
                "not the configuration (it failed to load)".to_owned()
            }
            Err(error) => {
                tracing::warn!(%error, "configuration reload failed; keeping the old settings");
                "not the configuration (it failed to load)".to_owned()
            }
        }
    }
}
