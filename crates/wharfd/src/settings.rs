//! Resolves the flags, the config file and the defaults into what the
//! server runs with: flag, else file, else default.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use wharf_fs::LocalFs;
use wharf_session::defence::HashingGate;
use wharf_session::{
    IpNetwork, Keepalive, LocalDownloads, Options, PublicAddress, TlsPolicy, UserList,
};
use wharf_vfs::Vfs;

use crate::cli::{Cli, public_ip};
use crate::config::{Config, UserEntry, load_users, relative_to};
use crate::tls_settings::{TlsSettings, tls_settings};
use crate::usage::UsagePlan;
use crate::values::{Sendfile, parse_port_range, parse_umask, rate};

/// The user created when no user and no anonymous access is configured.
pub(crate) const DEFAULT_USER: &str = "wharf";

/// Passive ports when neither a flag nor the config names a range: a
/// known range is one a firewall can open.
pub(crate) const DEFAULT_PASSIVE_PORTS: std::ops::RangeInclusive<u16> = 50000..=50999;

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
    /// The storage accounts that may log in by passthrough; empty: all.
    pub(crate) azure_accounts: Vec<String>,
    /// Quotas and account bandwidth.
    pub(crate) usage: UsagePlan,
    /// Every local root opened, for the start-up sweep of orphaned
    /// upload temporary files.
    pub(crate) local_roots: Vec<LocalFs>,
    /// Root directories wharfd created (they were missing), to hand to
    /// the `run_as` user before the privilege drop.
    pub(crate) created_roots: Vec<PathBuf>,
    /// `--run-as` / `run_as`: who to become after binding, when root.
    pub(crate) run_as: Option<String>,
}

/// Opens each distinct root directory once; with `--storage`, every user
/// gets the store (per-user roots are for local disk).
#[derive(Default)]
struct Roots {
    opened: HashMap<PathBuf, Arc<dyn Vfs>>,
    fixed: Option<Arc<dyn Vfs>>,
    /// Skip the sync of finished uploads (`--sync-uploads off`).
    no_sync: bool,
    /// `--umask` / `umask`.
    umask: u32,
    /// The same roots as `LocalFs`, for the start-up sweep.
    local: Vec<LocalFs>,
    /// The roots that did not exist and were created.
    created: Vec<PathBuf>,
}

impl Roots {
    fn open(&mut self, dir: &Path) -> Result<Arc<dyn Vfs>> {
        if let Some(vfs) = &self.fixed {
            return Ok(vfs.clone());
        }
        if let Some(vfs) = self.opened.get(dir) {
            return Ok(vfs.clone());
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
        let vfs: Arc<dyn Vfs> = Arc::new(local);
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
                .map_or(config.sync_uploads == Some(false), |switch| !switch.is_on()),
            umask: match (cli.umask, &config.umask) {
                (Some(umask), _) => umask,
                (None, Some(text)) => parse_umask(text).map_err(|e| anyhow!("umask: {e}"))?,
                (None, None) => 0o022,
            },
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

        let gate = hashing_gate(cli, &config);
        let mut users = UserList::new().with_hashing_gate(gate.clone());
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
            let list = UserList::new().with_hashing_gate(gate.clone());
            let mut list = add_users(list, &entries, &host_root, &mut roots)
                .with_context(|| format!("host {}", host.name))?;
            if host.anonymous {
                list = list.with_anonymous(roots.open(&host_root)?);
            }
            hosts.push((host.name.clone(), list));
        }

        let all_users: Vec<&UserEntry> = entries.iter().chain(&host_entries).collect();
        let usage = UsagePlan::resolve(cli, &config, &all_users)?;
        let azure_accounts = crate::passthrough::allowed_accounts(cli, &config)?;
        usage.refuse_reachable_store(
            storage_name.as_deref(),
            roots.opened.keys().map(PathBuf::as_path),
            azure_endpoint
                .is_some()
                .then_some(azure_accounts.as_slice()),
        )?;
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
        if azure_endpoint.is_some() {
            let self_signed = tls.as_ref().is_some_and(|tls| tls.self_signed);
            crate::passthrough::refuse_keys_in_clear(
                cli,
                &config,
                &options.tls_policy,
                self_signed,
            )?;
        }
        if let Some(name) = &storage_name {
            banner.push(format!("storage: {name}"));
        }
        Ok(Self {
            usage,
            azure_endpoint,
            azure_accounts,
            tls,
            listen,
            root,
            options,
            users,
            hosts,
            log_json: cli.log_json || config.log_json.unwrap_or(false),
            banner,
            local_roots: roots.local,
            created_roots: roots.created,
            run_as: cli.run_as.clone().or(config.run_as.clone()),
        })
    }
}

/// Limits on connections not logged in, IPv6 grouping and bans.
fn login_defence(o: &mut Options, cli: &Cli, config: &Config) -> Result<()> {
    let (limits, ban, defaults) = (&config.limits, &config.ban, Options::default());
    o.max_unauthenticated_sessions = cli
        .max_unauthenticated_sessions
        .or(limits.max_unauthenticated_sessions)
        .unwrap_or(defaults.max_unauthenticated_sessions);
    o.max_unauthenticated_sessions_per_ip = cli
        .max_unauthenticated_sessions_per_ip
        .or(limits.max_unauthenticated_sessions_per_ip)
        .unwrap_or(defaults.max_unauthenticated_sessions_per_ip);
    o.ipv6_prefix = cli
        .ipv6_prefix
        .or(limits.ipv6_prefix)
        .unwrap_or(defaults.ipv6_prefix);
    if o.ipv6_prefix > 128 {
        return Err(anyhow!(
            "limits.ipv6_prefix: {} is not 0 to 128",
            o.ipv6_prefix
        ));
    }
    let policy = &mut o.login_ban;
    policy.max_failures = cli
        .ban_failures
        .or(ban.failures)
        .unwrap_or(policy.max_failures);
    policy.window = secs(cli.ban_window_secs.or(ban.window_secs), policy.window);
    policy.ban = secs(cli.ban_secs.or(ban.secs), policy.ban);
    policy.max_ban = secs(cli.ban_max_secs.or(ban.max_secs), policy.max_ban).max(policy.ban);
    Ok(())
}

/// The one argon2 gate every user list of the server shares.
fn hashing_gate(cli: &Cli, config: &Config) -> HashingGate {
    match cli.login_queue.or(config.limits.login_queue) {
        Some(queue) => HashingGate::new(
            std::thread::available_parallelism().map_or(1, usize::from),
            queue,
        ),
        None => HashingGate::default(),
    }
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
    o.max_passive_per_ip = cli
        .max_passive_per_ip
        .or(config.passive.max_per_ip)
        .unwrap_or(defaults.max_passive_per_ip);
    o.default_data_port = match cli.default_data_port {
        Some(switch) => switch.is_on(),
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
    login_defence(&mut o, cli, config)?;
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
    o.local_downloads = cli
        .sendfile
        .map(Sendfile::Word)
        .or(config.sendfile)
        .map_or(defaults.local_downloads, LocalDownloads::from);
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
    o.min_data_rate = match (cli.min_data_rate, &config.rate.data_minimum) {
        (None, None) => defaults.min_data_rate,
        (flag, size) => rate(flag, size, "data_minimum")?,
    };
    o.min_data_rate_window = secs(t.data_minimum_window_secs, defaults.min_data_rate_window);
    o.control_write_timeout = secs(t.control_write_secs, defaults.control_write_timeout);
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
    fn login_defence_from_flags_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("r");
        let config = format!(
            "root = {root:?}\n[limits]\nmax_unauthenticated_sessions = 5\nipv6_prefix = 48\n[ban]\nfailures = 4\nsecs = 30\nmax_secs = 10",
        );
        let flags = [
            "--ban-failures",
            "6",
            "--max-unauthenticated-sessions-per-ip",
            "2",
        ];
        let o = resolve(&flags, &config).options;
        let unauthenticated = (
            o.max_unauthenticated_sessions,
            o.max_unauthenticated_sessions_per_ip,
        );
        assert_eq!(unauthenticated, (5, 2));
        assert_eq!((o.ipv6_prefix, o.login_ban.max_failures), (48, 6));
        // The longest ban is never shorter than the first.
        let thirty = Duration::from_secs(30);
        assert_eq!((o.login_ban.ban, o.login_ban.max_ban), (thirty, thirty));
        assert_eq!(o.login_ban.window, Options::default().login_ban.window);
    }

    #[test]
    fn sendfile_is_on_unless_a_flag_or_the_file_says() {
        let dir = tempfile::tempdir().unwrap();
        let root = format!("root = {:?}\n", dir.path());
        let way = |args: &[&str], file: &str| {
            resolve(args, &format!("{root}{file}"))
                .options
                .local_downloads
        };
        assert_eq!(way(&[], ""), LocalDownloads::SendFile);
        assert_eq!(way(&[], "sendfile = true"), LocalDownloads::SendFile);
        assert_eq!(way(&[], "sendfile = false"), LocalDownloads::Copy);
        assert_eq!(way(&[], "sendfile = \"off\""), LocalDownloads::Copy);
        assert_eq!(way(&[], "sendfile = \"auto\""), LocalDownloads::Auto);
        assert_eq!(
            way(&["--sendfile", "on"], "sendfile = false"),
            LocalDownloads::SendFile
        );
        assert_eq!(
            way(&["--sendfile", "auto"], "sendfile = true"),
            LocalDownloads::Auto
        );
        assert!(Config::parse("sendfile = \"sometimes\"").is_err());
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
