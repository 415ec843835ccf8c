//! Command-line flags. The quick-start flags are kept stable: scripts and
//! tests use them.

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::PathBuf;

use clap::Parser;

/// Wharf's FTP server.
///
/// With no arguments it serves ./ftp-root (created if missing) on
/// 127.0.0.1:2121 to a user `wharf` with a one-time password printed at start.
#[derive(Debug, Parser)]
#[command(name = "wharfd", version, about, long_about = None)]
pub(crate) struct Cli {
    /// Address to listen on; repeat for several (IPv6 as [::1]:2121).
    #[arg(
        long = "listen",
        value_name = "ADDR:PORT",
        default_value = "127.0.0.1:2121"
    )]
    pub(crate) listen: Vec<SocketAddr>,

    /// Directory served as `/`.
    #[arg(long, value_name = "DIR", default_value = "ftp-root")]
    pub(crate) root: PathBuf,

    /// Ports for passive data connections, e.g. 50000-50100 (default: any).
    #[arg(long, value_name = "LOW-HIGH", value_parser = parse_port_range)]
    pub(crate) passive_ports: Option<RangeInclusive<u16>>,

    /// Address announced in PASV replies, for servers behind NAT or a load
    /// balancer: an IP, or a host name re-resolved every minute.
    #[arg(long, value_name = "IP|HOSTNAME")]
    pub(crate) public_address: Option<String>,

    /// A read-write user; repeat for several. The password is hashed in
    /// memory at start.
    #[arg(long = "user", value_name = "NAME:PASSWORD", value_parser = parse_user)]
    pub(crate) users: Vec<(String, String)>,

    /// Let `anonymous` and `ftp` log in read-only with any password.
    #[arg(long)]
    pub(crate) anonymous: bool,

    /// Delay before answering a failed login, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub(crate) failed_login_delay_ms: u64,

    /// Failed logins after which a session is closed.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub(crate) max_login_failures: u32,

    /// Sessions at once, in all.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub(crate) max_sessions: usize,

    /// Sessions at once from one IP address.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub(crate) max_sessions_per_ip: usize,

    /// Allow PORT/EPRT to other hosts than the client and to ports below
    /// 1024 (FTP bounce; off by default, RFC 2577).
    #[arg(long)]
    pub(crate) active_any_address: bool,

    /// Log as JSON lines instead of human-readable text.
    #[arg(long)]
    pub(crate) log_json: bool,
}

fn parse_port_range(text: &str) -> Result<RangeInclusive<u16>, String> {
    let (low, high) = text
        .split_once('-')
        .ok_or_else(|| "expected LOW-HIGH, e.g. 50000-50100".to_owned())?;
    let low: u16 = low
        .trim()
        .parse()
        .map_err(|_| format!("bad port {low:?}"))?;
    let high: u16 = high
        .trim()
        .parse()
        .map_err(|_| format!("bad port {high:?}"))?;
    if low == 0 || low > high {
        return Err(format!(
            "{low}-{high} is not a range of ports (1-65535, low <= high)"
        ));
    }
    Ok(low..=high)
}

fn parse_user(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((name, password)) if !name.is_empty() => Ok((name.to_owned(), password.to_owned())),
        _ => Err("expected NAME:PASSWORD".to_owned()),
    }
}

/// `--public-address` as an IP when it parses as one.
pub(crate) fn public_ip(text: &str) -> Option<IpAddr> {
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_users() {
        assert_eq!(parse_port_range("50000-50100"), Ok(50000..=50100));
        assert!(parse_port_range("5-1").is_err());
        assert!(parse_port_range("0-10").is_err());
        assert!(parse_port_range("x").is_err());
        assert_eq!(parse_user("a:b:c"), Ok(("a".into(), "b:c".into())));
        assert!(parse_user(":pw").is_err());
    }

    #[test]
    fn defaults_need_no_flags() {
        let cli = Cli::parse_from(["wharfd"]);
        assert_eq!(
            cli.listen,
            vec!["127.0.0.1:2121".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(cli.root, PathBuf::from("ftp-root"));
        assert!(cli.users.is_empty() && !cli.anonymous);
    }
}
