//! The configuration file (`--config FILE`, TOML) and the users file
//! (`--users FILE`). Every setting has a command-line flag or a default;
//! flags win over the file: they arrive as a `Config` of their own
//! (`Cli::overlay`) laid over the file's once (`Overlay`). Unknown keys are errors, and every error names
//! the key it is about. `wharfd.example.toml` shows every key.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use wharf_session::IpNetwork;

use crate::values::{AutoSwitch, Size, Written, access_list};

mod credential_identities;
mod credentials;
mod homes;
mod overlay;
mod rights;
mod store_sections;
mod users;

pub(crate) use credentials::{CredentialEntry, CredentialKind, CredentialStore};
pub(crate) use rights::MountSource;
pub(crate) use store_sections::{AzureSection, GcsSection, S3Section, SharedStateSection};

pub(crate) use overlay::Overlay;

use users::check_users;
pub(crate) use users::{UserEntry, load_users, parse_users};

/// The whole configuration file. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Config {
    pub(crate) listen: Option<Vec<std::net::SocketAddr>>,
    pub(crate) root: Option<PathBuf>,
    pub(crate) sync_uploads: Option<bool>,
    /// The umask of new files and folders, octal in a string (`"022"`).
    pub(crate) umask: Option<Written<u32>>,
    /// Started as root, become this `USER[:GROUP]` after binding.
    pub(crate) run_as: Option<String>,
    pub(crate) sendfile: Option<AutoSwitch>,
    /// Plain binary uploads into local files by splice(2): `true`/`"on"`,
    /// `false`/`"off"`, or `"auto"` (the default).
    pub(crate) splice_uploads: Option<AutoSwitch>,
    pub(crate) greeting: Option<String>,
    pub(crate) anonymous: Option<bool>,
    pub(crate) users_file: Option<PathBuf>,
    #[serde(rename = "user")]
    pub(crate) users: Vec<UserEntry>,
    pub(crate) log_json: Option<bool>,
    pub(crate) passive: PassiveConfig,
    pub(crate) active: ActiveConfig,
    pub(crate) limits: LimitsConfig,
    pub(crate) ban: BanConfig,
    pub(crate) access: AccessSection,
    pub(crate) proxy: ProxySection,
    pub(crate) timeouts: TimeoutsConfig,
    pub(crate) keepalive: KeepaliveConfig,
    #[serde(rename = "host")]
    pub(crate) hosts: Vec<HostEntry>,
    pub(crate) tls: TlsSection,
    pub(crate) azure: AzureSection,
    /// An object store instead of `root`: `azure://ACCOUNT[/CONTAINER]`,
    /// `s3://[BUCKET]` or `gcs://[BUCKET[/PREFIX]]`.
    pub(crate) storage: Option<String>,
    /// The file holding the storage key.
    pub(crate) storage_key_file: Option<PathBuf>,
    /// PEM root certificates the storage's HTTPS client also trusts.
    pub(crate) storage_ca_file: Option<PathBuf>,
    /// Memory all blob uploads together may buffer.
    pub(crate) blob_upload_memory: Option<Size>,
    pub(crate) s3: S3Section,
    pub(crate) gcs: GcsSection,
    pub(crate) quota: QuotaSection,
    pub(crate) rate: RateSection,
    pub(crate) admin: AdminSection,
    pub(crate) logs: LogsSection,
    /// `[credentials.NAME]`: keys of the stores users' homes and mounts
    /// are in, by name (`credentials.rs`).
    pub(crate) credentials: std::collections::BTreeMap<String, CredentialEntry>,
    pub(crate) shared_state: SharedStateSection,
}

/// `[admin]`: the admin HTTP listener (metrics, health), off unless given.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct AdminSection {
    /// `PORT` (on 127.0.0.1) or `IP:PORT`.
    pub(crate) listen: Option<String>,
}

/// `[logs]`: logs of transfers and commands besides the tracing output.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct LogsSection {
    /// One line per transfer in the xferlog format.
    pub(crate) xferlog: Option<PathBuf>,
    /// One JSON object per command and per transfer.
    pub(crate) audit: Option<PathBuf>,
}

/// `[quota]`: traffic quotas and where their counts are stored.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct QuotaSection {
    pub(crate) limit: Option<Size>,
    pub(crate) period: Option<String>,
    pub(crate) store: Option<String>,
    pub(crate) store_key_file: Option<PathBuf>,
    pub(crate) flush_secs: Option<u64>,
    /// Limits by account name (storage accounts in pass-through mode).
    pub(crate) accounts: std::collections::BTreeMap<String, Size>,
}

/// `[rate]`: bandwidth limits per session and per account.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RateSection {
    pub(crate) session_download: Option<Size>,
    pub(crate) session_upload: Option<Size>,
    /// All sessions of the server together.
    pub(crate) server_download: Option<Size>,
    pub(crate) server_upload: Option<Size>,
    pub(crate) account_download: Option<Size>,
    pub(crate) account_upload: Option<Size>,
    /// The least average rate of a data transfer (`"0"` turns it off).
    pub(crate) data_minimum: Option<Size>,
}

/// `[tls]`: FTPS.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct TlsSection {
    /// PEM certificate chain; with `key`.
    pub(crate) cert: Option<PathBuf>,
    /// PEM private key.
    pub(crate) key: Option<PathBuf>,
    /// A self-signed certificate for localhost (testing only).
    pub(crate) self_signed: Option<bool>,
    /// Implicit FTPS addresses.
    pub(crate) implicit_listen: Option<Vec<std::net::SocketAddr>>,
    /// "none", "login", "data" or "all".
    pub(crate) required: Option<String>,
    pub(crate) reuse_required: Option<bool>,
    pub(crate) exempt_anonymous: Option<bool>,
    pub(crate) allow_ccc: Option<bool>,
}

/// `[passive]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct PassiveConfig {
    /// `"50000-50100"`.
    pub(crate) ports: Option<Written<RangeInclusive<u16>>>,
    /// An IP or a host name announced in PASV replies.
    pub(crate) public_address: Option<String>,
    /// Per client network, another address to announce.
    pub(crate) overrides: Vec<OverrideEntry>,
    pub(crate) timeout_secs: Option<u64>,
    pub(crate) peer_check: Option<bool>,
    /// Share the passive ports between clients by reservation.
    pub(crate) multiplex: Option<bool>,
    /// Passive listeners one client address may hold at once (0: no cap).
    pub(crate) max_per_ip: Option<usize>,
    /// Answer EPSV (default); off, EPSV gets 502 and clients use PASV.
    pub(crate) epsv: Option<bool>,
}

/// `[[passive.overrides]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OverrideEntry {
    /// `"10.0.0.0/8"`.
    pub(crate) network: String,
    /// An IP or a host name.
    pub(crate) address: String,
}

/// `[active]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ActiveConfig {
    pub(crate) any_address: Option<bool>,
    /// The default data port (no PORT/PASV before a transfer).
    pub(crate) default_data_port: Option<bool>,
    pub(crate) default_data_source_port: Option<u16>,
    /// PORT/EPRT connect from the default data source port (vsftpd's
    /// `connect_from_port_20`).
    pub(crate) from_data_port: Option<bool>,
}

/// `[limits]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct LimitsConfig {
    pub(crate) max_sessions: Option<usize>,
    pub(crate) max_sessions_per_ip: Option<usize>,
    pub(crate) max_unauthenticated_sessions: Option<usize>,
    pub(crate) max_unauthenticated_sessions_per_ip: Option<usize>,
    /// IPv6 clients are counted and banned per prefix of this many bits.
    pub(crate) ipv6_prefix: Option<u8>,
    /// Logins waiting for a password check before more get 421.
    pub(crate) login_queue: Option<usize>,
    pub(crate) max_login_failures: Option<u32>,
    pub(crate) failed_login_delay_ms: Option<u64>,
    pub(crate) max_line: Option<usize>,
    /// Entries a LIST/NLST wildcard is matched against, at most.
    pub(crate) max_wildcard_scan: Option<usize>,
    /// Levels of subdirectories `LIST -R` goes down, at most.
    pub(crate) max_list_depth: Option<usize>,
    /// Entries `LIST -R` reads over a whole tree, at most.
    pub(crate) max_list_entries: Option<usize>,
    /// Bytes one checksum command (HASH, XCRC, XMD5, XSHA*) reads, at most.
    pub(crate) max_hash_size: Option<u64>,
    /// Bytes SIZE and REST+STOR read in TYPE A to count wire octets.
    pub(crate) ascii_scan_limit: Option<u64>,
}

/// `[ban]`: failed logins that ban an address, and for how long.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct BanConfig {
    /// Failures within `window_secs` that ban; 0 turns bans off.
    pub(crate) failures: Option<u32>,
    pub(crate) window_secs: Option<u64>,
    /// The first ban; each further one doubles, up to `max_secs`.
    pub(crate) secs: Option<u64>,
    pub(crate) max_secs: Option<u64>,
}

/// `[access]`: the client networks that may connect at all (`421`
/// otherwise), checked before any other limit. Users have lists of their
/// own (`allow`, `deny` of `[[user]]`), checked at login.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct AccessSection {
    /// When not empty, only these networks may connect.
    pub(crate) allow: Vec<Written<IpNetwork>>,
    /// These networks may not connect, even when `allow` holds them.
    pub(crate) deny: Vec<Written<IpNetwork>>,
}

/// `[proxy]`: load balancers that send a PROXY header (HAProxy's v1 or
/// v2) naming the client, on control and passive data connections.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ProxySection {
    /// Connections from these networks must start with a header.
    pub(crate) trusted: Vec<Written<IpNetwork>>,
    /// How long the header may take (default 5).
    pub(crate) header_timeout_secs: Option<u64>,
    /// The listeners that read headers: `control`, `implicit`, `passive`
    /// (default all three).
    pub(crate) listeners: Option<Vec<String>>,
}

/// `[timeouts]`, in seconds.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct TimeoutsConfig {
    pub(crate) login_secs: Option<u64>,
    pub(crate) idle_secs: Option<u64>,
    pub(crate) data_connect_secs: Option<u64>,
    pub(crate) data_stall_secs: Option<u64>,
    /// The window `rate.data_minimum` is judged over.
    pub(crate) data_minimum_window_secs: Option<u64>,
    /// How long one control reply may take to be written.
    pub(crate) control_write_secs: Option<u64>,
    pub(crate) shutdown_grace_secs: Option<u64>,
    /// How long connecting to an object store may take (default 5).
    pub(crate) storage_connect_secs: Option<u64>,
    /// An object-store request that moves nothing for this long fails
    /// (default 60): the bound on a silent store.
    pub(crate) storage_stall_secs: Option<u64>,
}

/// `[keepalive]`: TCP keepalive on control and data connections.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct KeepaliveConfig {
    pub(crate) enabled: Option<bool>,
    pub(crate) idle_secs: Option<u64>,
    pub(crate) interval_secs: Option<u64>,
    pub(crate) retries: Option<u32>,
}

/// `[[host]]`: a virtual host chosen with HOST (RFC 7151), with users of
/// its own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HostEntry {
    pub(crate) name: String,
    /// The host's root; users' relative roots are below it.
    pub(crate) root: Option<PathBuf>,
    pub(crate) users_file: Option<PathBuf>,
    #[serde(default, rename = "user")]
    pub(crate) users: Vec<UserEntry>,
    #[serde(default)]
    pub(crate) anonymous: bool,
    /// Bandwidth of all the host's sessions together.
    #[serde(default)]
    pub(crate) download_rate: Option<Size>,
    #[serde(default)]
    pub(crate) upload_rate: Option<Size>,
    /// What the host's users are served in place of `root`, as `storage`
    /// is for the server: `azure://ACCOUNT[/CONTAINER[/PREFIX]]` or
    /// `s3://BUCKET[/PREFIX]`.
    #[serde(default)]
    pub(crate) storage: Option<String>,
    /// The `[credentials.NAME]` of `storage`, and of users' homes and
    /// mounts that name none.
    #[serde(default)]
    pub(crate) credentials: Option<String>,
    /// The home of users that give neither `root` nor `home` (`{user}`
    /// stands for the name).
    #[serde(default)]
    pub(crate) home: Option<String>,
    /// The permissions of users that give neither `permissions` nor
    /// `writable`.
    #[serde(default)]
    pub(crate) permissions: Option<Vec<String>>,
}

pub(super) fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

/// `path` as written in a file in `dir`: relative paths are relative to
/// the file, not to the working directory.
pub(crate) fn relative_to(dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        dir.join(path)
    }
}

impl Config {
    /// Parses configuration text; errors name the key and its line.
    pub(crate) fn parse(text: &str) -> Result<Self> {
        let config: Self = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        config.check()?;
        Ok(config)
    }

    /// Reads a configuration file; paths in it become relative to its
    /// directory.
    pub(crate) fn load(path: &Path) -> Result<Self> {
        let mut config = Self::parse(&read(path, "config file")?)
            .with_context(|| format!("in config file {}", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        config.root = config.root.map(|p| relative_to(dir, &p));
        config.users_file = config.users_file.map(|p| relative_to(dir, &p));
        config.tls.cert = config.tls.cert.map(|p| relative_to(dir, &p));
        config.storage_key_file = config.storage_key_file.map(|p| relative_to(dir, &p));
        config.storage_ca_file = config.storage_ca_file.map(|p| relative_to(dir, &p));
        let azure = &mut config.azure;
        azure.client_secret_file = azure
            .client_secret_file
            .take()
            .map(|p| relative_to(dir, &p));
        azure.federated_token_file =
            (azure.federated_token_file.take()).map(|p| relative_to(dir, &p));
        config.tls.key = config.tls.key.map(|p| relative_to(dir, &p));
        config.quota.store_key_file = config.quota.store_key_file.map(|p| relative_to(dir, &p));
        for credential in config.credentials.values_mut() {
            credential.file = credential.file.take().map(|p| relative_to(dir, &p));
            for file in [
                &mut credential.client_secret_file,
                &mut credential.federated_token_file,
                &mut credential.web_identity_token_file,
            ] {
                *file = file.take().map(|p| relative_to(dir, &p));
            }
        }
        config.s3.web_identity_token_file =
            (config.s3.web_identity_token_file).map(|p| relative_to(dir, &p));
        config.shared_state.store_key_file =
            (config.shared_state.store_key_file).map(|p| relative_to(dir, &p));
        for host in &mut config.hosts {
            host.root = host.root.take().map(|p| relative_to(dir, &p));
            host.users_file = host.users_file.take().map(|p| relative_to(dir, &p));
        }
        Ok(config)
    }

    /// Checks what serde cannot: formats inside strings, required pairs.
    fn check(&self) -> Result<()> {
        if let Some(ports) = &self.passive.ports {
            ports
                .value(crate::values::parse_port_range)
                .map_err(|e| anyhow::anyhow!("passive.ports: {e}"))?;
        }
        for (i, o) in self.passive.overrides.iter().enumerate() {
            o.network
                .parse::<wharf_session::IpNetwork>()
                .map_err(|e| anyhow::anyhow!("passive.overrides[{i}].network: {e}"))?;
            if o.address.trim().is_empty() {
                bail!("passive.overrides[{i}].address: must not be empty");
            }
        }
        access_list(&self.access.allow, &self.access.deny, "access.")
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(required) = &self.tls.required
            && !["none", "login", "data", "all"].contains(&required.as_str())
        {
            bail!("tls.required: {required:?} is not one of none, login, data, all");
        }
        if let Some(storage) = &self.storage {
            crate::values::StorageUrl::parse(storage)
                .map_err(|e| anyhow::anyhow!("storage: {e}"))?;
        }
        if let Some(endpoint) = &self.azure.endpoint
            && !endpoint.contains("{account}")
        {
            bail!("azure.endpoint: {endpoint:?} must contain {{account}}");
        }
        if let Some(limit) = &self.quota.limit {
            limit
                .bytes()
                .map_err(|e| anyhow::anyhow!("quota.limit: {e}"))?;
        }
        if let Some(size) = &self.blob_upload_memory {
            size.bytes()
                .map_err(|e| anyhow::anyhow!("blob_upload_memory: {e}"))?;
        }
        if let Some(period) = &self.quota.period {
            period
                .parse::<wharf_session::usage::Period>()
                .map_err(|e| anyhow::anyhow!("quota.period: {e}"))?;
        }
        if let Some(store) = &self.quota.store {
            crate::values::UsageStoreUrl::parse(store)
                .map_err(|e| anyhow::anyhow!("quota.store: {e}"))?;
        }
        if let Some(store) = &self.shared_state.store {
            crate::values::UsageStoreUrl::parse_for("shared_state.store", store)?;
        }
        for (name, size) in &self.quota.accounts {
            size.bytes()
                .map_err(|e| anyhow::anyhow!("quota.accounts.{name}: {e}"))?;
        }
        for (key, rate) in [
            ("session_download", &self.rate.session_download),
            ("session_upload", &self.rate.session_upload),
            ("account_download", &self.rate.account_download),
            ("account_upload", &self.rate.account_upload),
            ("data_minimum", &self.rate.data_minimum),
        ] {
            if let Some(rate) = rate {
                rate.rate()
                    .map_err(|e| anyhow::anyhow!("rate.{key}: {e}"))?;
            }
        }
        if self.tls.cert.is_some() != self.tls.key.is_some() {
            bail!("tls.cert and tls.key go together");
        }
        check_users(&self.users, "user")?;
        for (name, credential) in &self.credentials {
            credential.check(&format!("credentials.{name}"))?;
        }
        for (i, host) in self.hosts.iter().enumerate() {
            if host.name.trim().is_empty() {
                bail!("host[{i}].name: must not be empty");
            }
            check_users(&host.users, &format!("host[{i}].user"))?;
            host.check(&format!("host[{i}]"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
