//! The flags of a server's defence, flattened into [`Cli`](super::Cli):
//! session limits and the login queue, failed-login bans, the fleet's
//! shared state, the access lists and the load balancers that send PROXY
//! headers. Each gives its `Config` section (`overlay.rs` lays them over
//! the file's).

use std::path::PathBuf;

use wharf_session::IpNetwork;

use crate::config::{AccessSection, BanConfig, LimitsConfig, ProxySection, SharedStateSection};
use crate::values::{Switch, Written, parse_network};

/// The defence flags.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct DefenceArgs {
    /// Delay before answering a failed login, in milliseconds (default 1000).
    #[arg(long, value_name = "MS")]
    pub(crate) failed_login_delay_ms: Option<u64>,

    /// Failed logins after which a session is closed (default 3).
    #[arg(long, value_name = "N")]
    pub(crate) max_login_failures: Option<u32>,

    /// Sessions at once, in all (default 1000).
    #[arg(long, value_name = "N")]
    pub(crate) max_sessions: Option<usize>,

    /// Sessions at once from one IP address, or one IPv6 prefix of
    /// --ipv6-prefix bits (default 50).
    #[arg(long, value_name = "N")]
    pub(crate) max_sessions_per_ip: Option<usize>,

    /// Connections at once that have not logged in yet, in all (default
    /// 250); past it new connections get 421. A connection counts until its
    /// first successful login.
    #[arg(long, value_name = "N")]
    pub(crate) max_unauthenticated_sessions: Option<usize>,

    /// Connections at once not logged in yet from one address or IPv6
    /// prefix (default 10).
    #[arg(long, value_name = "N")]
    pub(crate) max_unauthenticated_sessions_per_ip: Option<usize>,

    /// IPv6 clients are limited and banned per prefix of this many bits
    /// (default 64: one host can use every address of its /64).
    #[arg(long, value_name = "BITS", value_parser = clap::value_parser!(u8).range(0..=128))]
    pub(crate) ipv6_prefix: Option<u8>,

    /// Failed logins from one address (or IPv6 prefix) within
    /// --ban-window-secs that ban it: its connections get 421 at once
    /// (default 10; 0 turns bans off).
    #[arg(long, value_name = "N")]
    pub(crate) ban_failures: Option<u32>,

    /// The window failed logins are counted in, seconds (default 600).
    #[arg(long, value_name = "SECS")]
    pub(crate) ban_window_secs: Option<u64>,

    /// The first ban's length, seconds (default 900); each further ban of
    /// the same address doubles, up to --ban-max-secs.
    #[arg(long, value_name = "SECS")]
    pub(crate) ban_secs: Option<u64>,

    /// The longest ban, seconds (default 86400).
    #[arg(long, value_name = "SECS")]
    pub(crate) ban_max_secs: Option<u64>,

    /// Where a fleet keeps failed-login counts, bans and per-address
    /// session counts: a directory every node mounts,
    /// azure://ACCOUNT/CONTAINER[/PREFIX] or s3://BUCKET[/PREFIX] (as
    /// --usage-store). Without it, each node counts alone.
    #[arg(long, value_name = "URL")]
    pub(crate) shared_state: Option<String>,

    /// The key of a blob --shared-state (default: --storage-key-file,
    /// then the environment).
    #[arg(long, value_name = "FILE")]
    pub(crate) shared_state_key_file: Option<PathBuf>,

    /// Seconds between reads of the fleet's ban list (default 5): a ban
    /// started on one node holds on every node within this.
    #[arg(long, value_name = "SECS")]
    pub(crate) shared_ban_refresh_secs: Option<u64>,

    /// Seconds a node's shared session counts hold without renewal
    /// (default 60): a killed node's sessions stop counting within this.
    #[arg(long, value_name = "SECS")]
    pub(crate) shared_session_lease_secs: Option<u64>,

    /// Whether --max-sessions-per-ip holds across the fleet (on, the
    /// default, with --shared-state) or per node (off).
    #[arg(long, value_name = "on|off")]
    pub(crate) shared_sessions: Option<Switch>,

    /// Client networks that may connect, e.g. 10.0.0.0/8 (comma-separated
    /// or repeated; added to [access] allow of --config). With any, every
    /// other address gets 421 at connect. Users have lists of their own
    /// (allow, deny in the users file).
    #[arg(long, value_name = "NET[,NET...]", value_delimiter = ',', value_parser = parse_network)]
    pub(crate) allow_from: Vec<IpNetwork>,

    /// Client networks that may not connect (421 at connect), even those
    /// --allow-from holds (added to [access] deny of --config).
    #[arg(long, value_name = "NET[,NET...]", value_delimiter = ',', value_parser = parse_network)]
    pub(crate) deny_from: Vec<IpNetwork>,

    /// Load balancers whose control and passive data connections start
    /// with a PROXY header (HAProxy's v1 or v2) naming the client
    /// (comma-separated or repeated; added to [proxy] trusted). A
    /// connection from them without a valid header is closed.
    #[arg(long, value_name = "NET[,NET...]", value_delimiter = ',', value_parser = parse_network)]
    pub(crate) proxy_protocol_from: Vec<IpNetwork>,

    /// The listeners that read PROXY headers from --proxy-protocol-from:
    /// control, implicit, passive (comma-separated; default all three;
    /// replaces [proxy] listeners). On the others those balancers are
    /// served as clients.
    #[arg(long, value_name = "KIND[,KIND...]", value_delimiter = ',')]
    pub(crate) proxy_protocol_on: Option<Vec<String>>,

    /// Logins that may wait for a password check (argon2 runs one per CPU)
    /// before further ones get 421 at once (default 32 per CPU, at least
    /// 64).
    #[arg(long, value_name = "N")]
    pub(crate) login_queue: Option<usize>,
}

impl DefenceArgs {
    /// `[limits]` as the flags set it.
    pub(crate) fn limits(&self) -> LimitsConfig {
        LimitsConfig {
            max_sessions: self.max_sessions,
            max_sessions_per_ip: self.max_sessions_per_ip,
            max_unauthenticated_sessions: self.max_unauthenticated_sessions,
            max_unauthenticated_sessions_per_ip: self.max_unauthenticated_sessions_per_ip,
            ipv6_prefix: self.ipv6_prefix,
            login_queue: self.login_queue,
            max_login_failures: self.max_login_failures,
            failed_login_delay_ms: self.failed_login_delay_ms,
            // File-only: max_line and the listing limits.
            ..LimitsConfig::default()
        }
    }

    /// `[ban]` as the flags set it.
    pub(crate) fn ban(&self) -> BanConfig {
        BanConfig {
            failures: self.ban_failures,
            window_secs: self.ban_window_secs,
            secs: self.ban_secs,
            max_secs: self.ban_max_secs,
        }
    }

    /// `[shared_state]` as the flags set it.
    pub(crate) fn shared_state(&self) -> SharedStateSection {
        SharedStateSection {
            store: self.shared_state.clone(),
            store_key_file: self.shared_state_key_file.clone(),
            ban_refresh_secs: self.shared_ban_refresh_secs,
            session_lease_secs: self.shared_session_lease_secs,
            sessions: self.shared_sessions.map(Switch::is_on),
            timeout_ms: None,
        }
    }

    /// `[access]` as the flags set it (added to the file's lists).
    pub(crate) fn access(&self) -> AccessSection {
        AccessSection {
            allow: networks(&self.allow_from),
            deny: networks(&self.deny_from),
        }
    }

    /// `[proxy]` as the flags set it.
    pub(crate) fn proxy(&self) -> ProxySection {
        ProxySection {
            trusted: networks(&self.proxy_protocol_from),
            header_timeout_secs: None,
            listeners: self.proxy_protocol_on.clone(),
        }
    }
}

fn networks(list: &[IpNetwork]) -> Vec<Written<IpNetwork>> {
    list.iter().copied().map(Written::Parsed).collect()
}
