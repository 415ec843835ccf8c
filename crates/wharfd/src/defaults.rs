//! wharfd's defaults: what a setting is when neither a flag nor the file
//! gives it. They apply once, to the merged settings (`Cli::merged_config`);
//! the engine's own defaults are `wharf_session::Options::default()`.
//! Imports nothing else of wharfd, so every settings module may use it.

use std::net::SocketAddr;
use std::ops::RangeInclusive;

/// The user created when no user and no anonymous access is configured.
pub(crate) const USER: &str = "wharf";

/// Loopback only: a server reachable from elsewhere is a decision.
pub(crate) const LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 2121);

/// The root directory served, relative to the working directory.
pub(crate) const ROOT: &str = "ftp-root";

/// Files 0644, folders 0755.
pub(crate) const UMASK: u32 = 0o022;

/// Passive ports when neither a flag nor the config names a range: a
/// known range is one a firewall can open.
pub(crate) const PASSIVE_PORTS: RangeInclusive<u16> = 50000..=50999;

/// Which connections need TLS: none.
pub(crate) const TLS_REQUIRED: &str = "none";

/// The Azure blob endpoint, `{account}` standing for the account name.
pub(crate) const AZURE_ENDPOINT: &str = "https://{account}.blob.core.windows.net";

/// The S3 region.
pub(crate) const S3_REGION: &str = "us-east-1";

/// The quota period.
pub(crate) const QUOTA_PERIOD: &str = "day";

/// Seconds between flushes of the usage counts.
pub(crate) const USAGE_FLUSH_SECS: u64 = 10;
