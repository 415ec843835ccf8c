//! The engine's `Options` from the merged settings and the engine's
//! defaults.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use wharf_session::defence::HashingGate;
use wharf_session::{
    IpNetwork, Keepalive, LocalDownloads, Options, ProxyListeners, ProxyProtocol, PublicAddress,
    SpliceUploads,
};

use crate::cli::public_ip;
use crate::config::Config;
use crate::defaults;
use crate::values::{access_list, parse_port_range, rate};

fn public_address(text: &str) -> PublicAddress {
    match public_ip(text) {
        Some(ip) => PublicAddress::Ip(ip),
        None => PublicAddress::Host(text.to_owned()),
    }
}

fn secs(value: Option<u64>, default: Duration) -> Duration {
    value.map_or(default, Duration::from_secs)
}

/// Limits on connections not logged in, IPv6 grouping and bans.
fn login_defence(o: &mut Options, config: &Config) -> Result<()> {
    let (limits, ban, defaults) = (&config.limits, &config.ban, Options::default());
    o.max_unauthenticated_sessions = limits
        .max_unauthenticated_sessions
        .unwrap_or(defaults.max_unauthenticated_sessions);
    o.max_unauthenticated_sessions_per_ip = limits
        .max_unauthenticated_sessions_per_ip
        .unwrap_or(defaults.max_unauthenticated_sessions_per_ip);
    o.ipv6_prefix = limits.ipv6_prefix.unwrap_or(defaults.ipv6_prefix);
    if o.ipv6_prefix > 128 {
        return Err(anyhow!(
            "limits.ipv6_prefix: {} is not 0 to 128",
            o.ipv6_prefix
        ));
    }
    let policy = &mut o.login_ban;
    policy.max_failures = ban.failures.unwrap_or(policy.max_failures);
    policy.window = secs(ban.window_secs, policy.window);
    policy.ban = secs(ban.secs, policy.ban);
    policy.max_ban = secs(ban.max_secs, policy.max_ban).max(policy.ban);
    Ok(())
}

/// The one argon2 gate every user list of the server shares.
pub(super) fn hashing_gate(config: &Config) -> HashingGate {
    match config.limits.login_queue {
        Some(queue) => HashingGate::new(
            std::thread::available_parallelism().map_or(1, usize::from),
            queue,
        ),
        None => HashingGate::default(),
    }
}

pub(super) fn options(config: &Config) -> Result<Options> {
    let defaults = Options::default();
    let mut o = Options::default();
    if let Some(greeting) = &config.greeting {
        o.greeting = greeting.clone();
    }
    o.passive_ports = Some(match &config.passive.ports {
        Some(ports) => ports
            .value(parse_port_range)
            .map_err(|e| anyhow!("passive.ports: {e}"))?,
        None => defaults::PASSIVE_PORTS,
    });
    if let Some(text) = &config.passive.public_address {
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
    o.active_any_address = config.active.any_address.unwrap_or(false);
    o.passive_multiplex = config.passive.multiplex.unwrap_or(false);
    o.epsv = config.passive.epsv.unwrap_or(true);
    o.max_passive_per_ip = config
        .passive
        .max_per_ip
        .unwrap_or(defaults.max_passive_per_ip);
    o.default_data_port = config
        .active
        .default_data_port
        .unwrap_or(defaults.default_data_port);
    o.default_data_source_port = config.active.default_data_source_port;
    o.active_from_data_port = config
        .active
        .from_data_port
        .unwrap_or(defaults.active_from_data_port);

    let limits = &config.limits;
    o.max_sessions = limits.max_sessions.unwrap_or(defaults.max_sessions);
    o.max_sessions_per_ip = limits
        .max_sessions_per_ip
        .unwrap_or(defaults.max_sessions_per_ip);
    login_defence(&mut o, config)?;
    o.proxy_protocol = proxy_protocol(&config.proxy)?;
    o.access = access_list(&config.access.allow, &config.access.deny, "access.")
        .map_err(|e| anyhow!(e))?;
    o.max_login_failures = limits
        .max_login_failures
        .unwrap_or(defaults.max_login_failures)
        .max(1);
    o.failed_login_delay = limits
        .failed_login_delay_ms
        .map_or(defaults.failed_login_delay, Duration::from_millis);
    o.max_line = limits.max_line.unwrap_or(defaults.max_line).max(512);
    o.max_hash_size = limits.max_hash_size.unwrap_or(defaults.max_hash_size);
    o.ascii_scan_limit = limits.ascii_scan_limit.unwrap_or(defaults.ascii_scan_limit);
    o.max_wildcard_scan = limits
        .max_wildcard_scan
        .unwrap_or(defaults.max_wildcard_scan);
    o.max_list_depth = limits.max_list_depth.unwrap_or(defaults.max_list_depth);
    o.max_list_entries = limits.max_list_entries.unwrap_or(defaults.max_list_entries);
    o.local_downloads = config
        .sendfile
        .map_or(defaults.local_downloads, LocalDownloads::from);
    o.splice_uploads = config
        .splice_uploads
        .map_or(defaults.splice_uploads, SpliceUploads::from);
    let r = &config.rate;
    o.session_download_rate = rate(r.session_download.as_ref(), "session_download")?;
    o.session_upload_rate = rate(r.session_upload.as_ref(), "session_upload")?;
    o.server_download_rate = rate(r.server_download.as_ref(), "server_download")?;
    o.server_upload_rate = rate(r.server_upload.as_ref(), "server_upload")?;

    let t = &config.timeouts;
    o.login_timeout = secs(t.login_secs, defaults.login_timeout);
    o.idle_timeout = secs(t.idle_secs, defaults.idle_timeout);
    o.data_connect_timeout = secs(t.data_connect_secs, defaults.data_connect_timeout);
    o.data_stall_timeout = secs(t.data_stall_secs, defaults.data_stall_timeout);
    o.min_data_rate = match &r.data_minimum {
        Some(size) => rate(Some(size), "data_minimum")?,
        None => defaults.min_data_rate,
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

/// `[proxy]`: `None` without trusted networks.
fn proxy_protocol(section: &crate::config::ProxySection) -> Result<Option<ProxyProtocol>> {
    let trusted = section
        .trusted
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            entry
                .value(crate::values::parse_network)
                .map_err(|e| anyhow!("proxy.trusted[{i}]: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    if trusted.is_empty() {
        if section.listeners.is_some() {
            bail!(
                "proxy.listeners (--proxy-protocol-on) needs the balancers' networks: \
                 [proxy] trusted or --proxy-protocol-from"
            );
        }
        return Ok(None);
    }
    let mut proxy = ProxyProtocol::new(trusted);
    if let Some(secs) = section.header_timeout_secs {
        proxy.header_timeout = Duration::from_secs(secs.max(1));
    }
    if let Some(names) = &section.listeners {
        proxy.listeners = proxy_listeners(names)?;
    }
    Ok(Some(proxy))
}

/// `[proxy] listeners` (`--proxy-protocol-on`): the kinds named, at least
/// one, each known.
fn proxy_listeners(names: &[String]) -> Result<ProxyListeners> {
    let mut on = ProxyListeners {
        control: false,
        implicit: false,
        passive: false,
    };
    for name in names {
        match name.trim() {
            "control" => on.control = true,
            "implicit" => on.implicit = true,
            "passive" => on.passive = true,
            other => bail!(
                "proxy.listeners: {other:?} is not a listener kind (control, implicit, passive)"
            ),
        }
    }
    if on
        == (ProxyListeners {
            control: false,
            implicit: false,
            passive: false,
        })
    {
        bail!(
            "proxy.listeners is empty: name the listeners that read PROXY headers \
             (control, implicit, passive), or list no trusted networks"
        );
    }
    Ok(on)
}
