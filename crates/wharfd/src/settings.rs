//! Resolves the flags, the config file and the defaults into what the
//! server runs with: flag, else file, else default.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use wharf_fs::LocalFs;
use wharf_session::usage::Period;
use wharf_session::{
    CertificatePem, IpNetwork, Keepalive, Options, PublicAddress, TlsConfig, TlsPolicy, UserList,
};
use wharf_vfs::Vfs;

use crate::cli::{Cli, parse_port_range, public_ip};
use crate::config::{Config, UserEntry, load_users, relative_to};
use crate::sizes::Size;
use crate::usage::UsageStoreUrl;

/// The user created when no user and no anonymous access is configured.
pub(crate) const DEFAULT_USER: &str = "wharf";

/// Passive ports when neither a flag nor the config names a range: a
/// known range is one a firewall can open.
pub(crate) const DEFAULT_PASSIVE_PORTS: std::ops::RangeInclusive<u16> = 50000..=50999;

/// FTPS settings.
pub(crate) struct TlsSettings {
    pub(crate) config: Arc<TlsConfig>,
    /// Implicit-FTPS addresses.
    pub(crate) implicit: Vec<SocketAddr>,
    /// The certificate is a throwaway one made at start.
    pub(crate) self_signed: bool,
}

/// Everything `main` needs to start the server.
pub(crate) struct Settings {
    pub(crate) listen: Vec<SocketAddr>,
    pub(crate) root: PathBuf,
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
    /// Quotas and account bandwidth.
    pub(crate) usage: UsagePlan,
}

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
    /// Accounting is needed at all: something to limit or to store.
    pub(crate) fn enabled(&self) -> bool {
        self.default_limit > 0
            || self.limits.values().any(|&l| l > 0)
            || self.store.is_some()
            || self.account_rates != (0, 0)
    }

    fn resolve(cli: &Cli, config: &Config, users: &[&UserEntry]) -> Result<Self> {
        let size = |s: &Size, key: &str| s.bytes().map_err(|e| anyhow!("{key}: {e}"));
        let default_limit = match (cli.quota, &config.quota.limit) {
            (Some(limit), _) => limit,
            (None, Some(limit)) => size(limit, "quota.limit")?,
            (None, None) => 0,
        };
        let mut limits = HashMap::new();
        for (name, limit) in &config.quota.accounts {
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
        let period = cli
            .quota_period
            .as_deref()
            .or(config.quota.period.as_deref())
            .unwrap_or("day")
            .parse::<Period>()
            .map_err(|e| anyhow!("--quota-period: {e}"))?;
        let store = cli
            .usage_store
            .as_deref()
            .or(config.quota.store.as_deref())
            .map(UsageStoreUrl::parse)
            .transpose()?;
        let flush = cli
            .usage_flush_secs
            .or(config.quota.flush_secs)
            .unwrap_or(10);
        if flush == 0 {
            return Err(anyhow!("--usage-flush-secs must be at least 1"));
        }
        Ok(Self {
            period,
            default_limit,
            limits,
            store,
            store_key_file: cli
                .usage_store_key_file
                .clone()
                .or(config.quota.store_key_file.clone()),
            flush_interval: Duration::from_secs(flush),
            account_rates: (
                rate(
                    cli.account_download_rate,
                    &config.rate.account_download,
                    "account_download",
                )?,
                rate(
                    cli.account_upload_rate,
                    &config.rate.account_upload,
                    "account_upload",
                )?,
            ),
        })
    }
}

/// Opens each distinct root directory once; with `--storage`, every user
/// gets the store (per-user roots are for local disk).
#[derive(Default)]
struct Roots {
    opened: HashMap<PathBuf, Arc<dyn Vfs>>,
    fixed: Option<Arc<dyn Vfs>>,
    /// Skip the sync of finished uploads (`--sync-uploads off`).
    no_sync: bool,
}

impl Roots {
    fn open(&mut self, dir: &Path) -> Result<Arc<dyn Vfs>> {
        if let Some(vfs) = &self.fixed {
            return Ok(vfs.clone());
        }
        if let Some(vfs) = self.opened.get(dir) {
            return Ok(vfs.clone());
        }
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let vfs: Arc<dyn Vfs> = Arc::new(
            LocalFs::new(dir)
                .with_context(|| format!("cannot serve {}", dir.display()))?
                .with_sync(!self.no_sync),
        );
        self.opened.insert(dir.to_owned(), vfs.clone());
        Ok(vfs)
    }
}

fn public_address(text: &str) -> PublicAddress {
    match public_ip(text) {
        Some(ip) => PublicAddress::Ip(ip),
        None => PublicAddress::Host(text.to_owned()),
    }
}

/// A rate from its flag, else `[rate] key`, else unlimited (0).
fn rate(flag: Option<u64>, size: &Option<Size>, key: &str) -> Result<u64> {
    match (flag, size) {
        (Some(rate), _) => Ok(rate),
        (None, Some(size)) => size.rate().map_err(|e| anyhow!("rate.{key}: {e}")),
        (None, None) => Ok(0),
    }
}

fn secs(value: Option<u64>, default: Duration) -> Duration {
    value.map_or(default, Duration::from_secs)
}

/// Adds `entries` to `list`; their relative roots are below `base`.
fn add_users(
    mut list: UserList,
    entries: &[UserEntry],
    base: &Path,
    roots: &mut Roots,
) -> Result<UserList> {
    for user in entries {
        if roots.fixed.is_some() && user.root.is_some() {
            return Err(anyhow!(
                "user {}: a per-user root needs local storage, not --storage",
                user.name
            ));
        }
        let root = match &user.root {
            Some(dir) => relative_to(base, dir),
            None => base.to_owned(),
        };
        let vfs = roots.open(&root)?;
        if user.tls_exempt {
            list = list.exempt_from_tls(user.name.clone());
        }
        list = match (&user.password_hash, &user.password) {
            (Some(hash), _) => list
                .with_hash(user.name.clone(), hash.clone(), vfs, user.writable)
                .with_context(|| format!("user {}: password_hash", user.name))?,
            (None, Some(password)) => list
                .with_password(user.name.clone(), password.as_bytes(), vfs, user.writable)
                .with_context(|| format!("user {}: password", user.name))?,
            (None, None) => {
                return Err(anyhow!(
                    "user {}: needs password_hash or password",
                    user.name
                ));
            }
        };
    }
    Ok(list)
}

impl Settings {
    /// Merges `cli` over `config` over the defaults. `storage`, when given,
    /// is served to every user instead of the root directory (see
    /// `storage.rs`).
    pub(crate) fn resolve(
        cli: &Cli,
        config: Config,
        one_time_password: impl FnOnce() -> Result<String>,
        storage: Option<(String, Arc<dyn Vfs>)>,
    ) -> Result<Self> {
        let mut roots = Roots {
            no_sync: cli
                .sync_uploads
                .as_deref()
                .map_or(config.sync_uploads == Some(false), |value| value == "off"),
            ..Roots::default()
        };
        let listen = if !cli.listen.is_empty() {
            cli.listen.clone()
        } else {
            config
                .listen
                .clone()
                .unwrap_or_else(|| vec![SocketAddr::from(([127, 0, 0, 1], 2121))])
        };
        let root = cli
            .root
            .clone()
            .or(config.root.clone())
            .unwrap_or_else(|| PathBuf::from("ftp-root"));
        let (storage, storage_name) = match storage {
            Some((name, vfs)) => {
                roots.fixed = Some(vfs.clone());
                (vfs, Some(name))
            }
            None => (roots.open(&root)?, None),
        };

        let mut users = UserList::new();
        let mut banner = Vec::new();
        let mut entries = config.users.clone();
        if let Some(file) = cli.users_file.clone().or(config.users_file.clone()) {
            entries.extend(load_users(&file)?);
        }
        for (name, password) in &cli.users {
            entries.push(UserEntry {
                name: name.clone(),
                password_hash: None,
                password: Some(password.clone()),
                root: None,
                writable: true,
                tls_exempt: false,
                quota: None,
            });
        }
        users = add_users(users, &entries, &root, &mut roots)?;
        let anonymous = cli.anonymous || config.anonymous.unwrap_or(false);
        if anonymous {
            users = users.with_anonymous(storage.clone());
            banner.push("anonymous login (read-only) is enabled".to_owned());
        }
        let azure_endpoint = (cli.azure_passthrough || config.azure.passthrough.unwrap_or(false))
            .then(|| {
                cli.azure_endpoint
                    .clone()
                    .or(config.azure.endpoint.clone())
                    .unwrap_or_else(|| "https://{account}.blob.core.windows.net".to_owned())
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
                users.with_password(DEFAULT_USER, password.as_bytes(), storage.clone(), true)?;
            banner.push(format!(
                "user: {DEFAULT_USER}  password: {password}  (one-time, printed once)"
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
            host_entries.extend(entries.iter().cloned());
            let mut list = add_users(UserList::new(), &entries, &host_root, &mut roots)
                .with_context(|| format!("host {}", host.name))?;
            if host.anonymous {
                list = list.with_anonymous(roots.open(&host_root)?);
            }
            hosts.push((host.name.clone(), list));
        }

        let all_users: Vec<&UserEntry> = entries.iter().chain(&host_entries).collect();
        let usage = UsagePlan::resolve(cli, &config, &all_users)?;
        let tls = tls_settings(cli, &config)?;
        let mut options = options(cli, &config)?;
        let required = cli
            .tls_required
            .clone()
            .or(config.tls.required.clone())
            .unwrap_or_else(|| "none".into());
        if required != "none" && tls.is_none() {
            return Err(anyhow!(
                "--tls-required {required} needs a certificate (--tls-cert/--tls-key or --tls-self-signed)"
            ));
        }
        options.tls_policy = TlsPolicy {
            login: matches!(required.as_str(), "login" | "all"),
            data: matches!(required.as_str(), "data" | "all"),
            exempt_anonymous: config.tls.exempt_anonymous.unwrap_or(true),
        };
        options.tls_reuse_required = cli
            .tls_reuse_required
            .or(config.tls.reuse_required)
            .unwrap_or(true);
        options.allow_ccc = cli.tls_allow_ccc || config.tls.allow_ccc.unwrap_or(false);
        if let Some(name) = &storage_name {
            banner.push(format!("storage: {name}"));
        }
        Ok(Self {
            usage,
            azure_endpoint,
            tls,
            listen,
            root,
            options,
            users,
            hosts,
            log_json: cli.log_json || config.log_json.unwrap_or(false),
            banner,
        })
    }
}

/// A certificate for localhost made now, for tests and trying things out.
fn make_self_signed() -> Result<CertificatePem> {
    let names = ["localhost", "127.0.0.1", "::1"]
        .map(str::to_owned)
        .to_vec();
    let generated = rcgen::generate_simple_self_signed(names)
        .context("cannot make a self-signed certificate")?;
    Ok(CertificatePem {
        chain: generated.cert.pem().into_bytes(),
        key: generated.signing_key.serialize_pem().into_bytes(),
    })
}

fn tls_settings(cli: &Cli, config: &Config) -> Result<Option<TlsSettings>> {
    let files = match (&cli.tls_cert, &cli.tls_key) {
        (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
        _ => config.tls.cert.clone().zip(config.tls.key.clone()),
    };
    let self_signed =
        files.is_none() && (cli.tls_self_signed || config.tls.self_signed.unwrap_or(false));
    let implicit = if cli.implicit_listen.is_empty() {
        config.tls.implicit_listen.clone().unwrap_or_default()
    } else {
        cli.implicit_listen.clone()
    };
    let config = match (files, self_signed) {
        (Some((cert, key)), _) => {
            TlsConfig::from_files(&cert, &key).with_context(|| "tls.cert/tls.key")?
        }
        (None, true) => TlsConfig::new(&make_self_signed()?)?,
        (None, false) => {
            if !implicit.is_empty() {
                return Err(anyhow!(
                    "--implicit-listen needs a certificate (--tls-cert/--tls-key or --tls-self-signed)"
                ));
            }
            return Ok(None);
        }
    };
    Ok(Some(TlsSettings {
        config: Arc::new(config),
        implicit,
        self_signed,
    }))
}

fn options(cli: &Cli, config: &Config) -> Result<Options> {
    let defaults = Options::default();
    let mut o = Options::default();
    if let Some(greeting) = &config.greeting {
        o.greeting = greeting.clone();
    }
    o.passive_ports = match (&cli.passive_ports, &config.passive.ports) {
        (Some(range), _) => Some(range.clone()),
        (None, Some(text)) => {
            Some(parse_port_range(text).map_err(|e| anyhow!("passive.ports: {e}"))?)
        }
        (None, None) => Some(DEFAULT_PASSIVE_PORTS),
    };
    if let Some(text) = cli
        .public_address
        .as_deref()
        .or(config.passive.public_address.as_deref())
    {
        o.public_address = public_address(text);
    }
    for (i, entry) in config.passive.overrides.iter().enumerate() {
        let network: IpNetwork = entry
            .network
            .parse()
            .map_err(|e| anyhow!("passive.overrides[{i}].network: {e}"))?;
        o.public_address_overrides
            .push((network, public_address(&entry.address)));
    }
    o.passive_timeout = secs(config.passive.timeout_secs, defaults.passive_timeout);
    o.passive_peer_check = config
        .passive
        .peer_check
        .unwrap_or(defaults.passive_peer_check);
    o.active_any_address = cli.active_any_address || config.active.any_address.unwrap_or(false);
    o.passive_multiplex = cli.passive_multiplex || config.passive.multiplex.unwrap_or(false);
    o.default_data_port = match cli.default_data_port.as_deref() {
        Some(value) => value == "on",
        None => config
            .active
            .default_data_port
            .unwrap_or(defaults.default_data_port),
    };
    o.default_data_source_port = cli
        .default_data_source_port
        .or(config.active.default_data_source_port);

    let limits = &config.limits;
    o.max_sessions = cli
        .max_sessions
        .or(limits.max_sessions)
        .unwrap_or(defaults.max_sessions);
    o.max_sessions_per_ip = cli
        .max_sessions_per_ip
        .or(limits.max_sessions_per_ip)
        .unwrap_or(defaults.max_sessions_per_ip);
    o.max_login_failures = cli
        .max_login_failures
        .or(limits.max_login_failures)
        .unwrap_or(defaults.max_login_failures)
        .max(1);
    o.failed_login_delay = cli
        .failed_login_delay_ms
        .or(limits.failed_login_delay_ms)
        .map_or(defaults.failed_login_delay, Duration::from_millis);
    o.max_line = limits.max_line.unwrap_or(defaults.max_line).max(512);
    o.zero_copy_downloads = match cli.sendfile.as_deref() {
        Some(value) => value == "on",
        None => config.sendfile.unwrap_or(defaults.zero_copy_downloads),
    };
    o.session_download_rate = rate(
        cli.session_download_rate,
        &config.rate.session_download,
        "session_download",
    )?;
    o.session_upload_rate = rate(
        cli.session_upload_rate,
        &config.rate.session_upload,
        "session_upload",
    )?;

    let t = &config.timeouts;
    o.login_timeout = secs(t.login_secs, defaults.login_timeout);
    o.idle_timeout = secs(cli.idle_timeout.or(t.idle_secs), defaults.idle_timeout);
    o.data_connect_timeout = secs(t.data_connect_secs, defaults.data_connect_timeout);
    o.data_stall_timeout = secs(t.data_stall_secs, defaults.data_stall_timeout);
    o.shutdown_grace = secs(t.shutdown_grace_secs, defaults.shutdown_grace);

    let k = &config.keepalive;
    let base = Keepalive::default();
    o.keepalive = if k.enabled.unwrap_or(true) {
        Some(Keepalive {
            idle: secs(k.idle_secs, base.idle),
            interval: secs(k.interval_secs, base.interval),
            retries: k.retries.unwrap_or(base.retries),
        })
    } else {
        None
    };
    Ok(o)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn resolve(args: &[&str], config: &str) -> Settings {
        let cli = Cli::parse_from(std::iter::once("wharfd").chain(args.iter().copied()));
        Settings::resolve(
            &cli,
            Config::parse(config).unwrap(),
            || Ok("otp".into()),
            None,
        )
        .unwrap()
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("r");
        let config = format!(
            "root = {root:?}\n[limits]\nmax_sessions = 7\nmax_sessions_per_ip = 3\n[timeouts]\nidle_secs = 9\n[passive]\nports = \"40000-40010\"",
        );
        let s = resolve(
            &["--max-sessions", "11", "--passive-ports", "41000-41001"],
            &config,
        );
        assert_eq!(s.options.max_sessions, 11);
        assert_eq!(s.options.max_sessions_per_ip, 3);
        assert_eq!(s.options.idle_timeout, Duration::from_secs(9));
        assert_eq!(s.options.passive_ports, Some(41000..=41001));
        assert_eq!(s.options.login_timeout, Options::default().login_timeout);
        assert_eq!(s.root, root);
        assert_eq!(
            resolve(&[], &format!("root = {root:?}"))
                .options
                .passive_ports,
            Some(DEFAULT_PASSIVE_PORTS)
        );
        // No user configured: the one-time default user is announced.
        assert!(s.banner.iter().any(|l| l.contains("password: otp")));
    }

    #[test]
    fn tls_policies() {
        let dir = tempfile::tempdir().unwrap();
        let root = format!("root = {:?}", dir.path());
        let s = resolve(&["--tls-self-signed", "--tls-required", "login"], &root);
        assert!(s.tls.is_some());
        assert!(s.options.tls_policy.login && !s.options.tls_policy.data);
        assert!(s.options.tls_reuse_required);
        let s = resolve(
            &[
                "--tls-self-signed",
                "--tls-required",
                "all",
                "--tls-reuse-required",
                "false",
            ],
            &root,
        );
        assert!(s.options.tls_policy.login && s.options.tls_policy.data);
        assert!(!s.options.tls_reuse_required);
        let cli = Cli::parse_from(["wharfd", "--tls-required", "data"]);
        let err = Settings::resolve(&cli, Config::parse(&root).unwrap(), || Ok("x".into()), None)
            .err()
            .unwrap();
        assert!(err.to_string().contains("needs a certificate"), "{err}");
    }

    #[test]
    fn data_connection_options() {
        let dir = tempfile::tempdir().unwrap();
        let root = format!("root = {:?}", dir.path());
        let s = resolve(
            &["--passive-multiplex", "--passive-ports", "40000-40004"],
            &root,
        );
        assert!(s.options.passive_multiplex);
        assert!(s.options.default_data_port);
        let s = resolve(
            &[
                "--default-data-port",
                "off",
                "--default-data-source-port",
                "2020",
            ],
            &root,
        );
        assert!(!s.options.default_data_port);
        assert_eq!(s.options.default_data_source_port, Some(2020));
        let file =
            format!("{root}\n[active]\ndefault_data_port = false\n[passive]\nmultiplex = true");
        let s = resolve(&[], &file);
        assert!(!s.options.default_data_port && s.options.passive_multiplex);
    }

    #[test]
    fn keepalive_can_be_turned_off() {
        let dir = tempfile::tempdir().unwrap();
        let config = format!("root = {:?}\n[keepalive]\nenabled = false", dir.path());
        assert!(resolve(&[], &config).options.keepalive.is_none());
    }
}
