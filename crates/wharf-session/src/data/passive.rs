//! Passive mode: listeners on a port range, and the address to announce.

use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::ops::RangeInclusive;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tracing::warn;

use super::passive_claims::{PassiveClaim, PassiveClaims};
use super::ports::PassiveRefusal;
use crate::network::IpNetwork;
use crate::options::PublicAddress;

/// Hands out passive listeners from a port range, round-robin so that
/// concurrent sessions start their search at different ports, at most
/// `per_client` at once to one client address.
#[derive(Debug)]
pub(crate) struct PassivePorts {
    range: Option<RangeInclusive<u16>>,
    cursor: AtomicUsize,
    claims: PassiveClaims,
}

impl PassivePorts {
    pub(crate) fn new(
        range: Option<RangeInclusive<u16>>,
        per_client: usize,
        ipv6_prefix: u8,
    ) -> Self {
        Self {
            range,
            cursor: AtomicUsize::new(0),
            claims: PassiveClaims::new(per_client, ipv6_prefix),
        }
    }

    /// Listeners bound now and waiting for their data connection.
    pub(crate) fn held(&self) -> usize {
        self.claims.held()
    }

    /// A listener on `ip` for `client`, counted against the client's cap
    /// for as long as the claim lives; at the cap, waits up to `wait` for
    /// one of the client's listeners to be released.
    pub(crate) async fn bind_for(
        &self,
        ip: IpAddr,
        client: IpAddr,
        wait: Duration,
    ) -> Result<(TcpListener, PassiveClaim), PassiveRefusal> {
        let claim = self
            .claims
            .claim_within(client, wait)
            .await
            .ok_or(PassiveRefusal::ClientCap(self.claims.per_address()))?;
        Ok((self.bind(ip).await?, claim))
    }

    /// Binds a listener on `ip` at a free port of the range (any port if
    /// there is no range). Binding is the reservation, so two sessions can
    /// never get the same port.
    pub(crate) async fn bind(&self, ip: IpAddr) -> io::Result<TcpListener> {
        let Some(range) = &self.range else {
            return TcpListener::bind((ip, 0)).await;
        };
        let (low, high) = (usize::from(*range.start()), usize::from(*range.end()));
        let len = high.saturating_sub(low) + 1;
        let start = self.cursor.fetch_add(1, Ordering::Relaxed);
        for i in 0..len {
            let port = u16::try_from(low + (start + i) % len).unwrap_or(u16::MAX);
            match TcpListener::bind((ip, port)).await {
                Ok(listener) => return Ok(listener),
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => {}
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("all passive ports {low}-{high} are in use"),
        ))
    }
}

/// Chooses the address of `227` replies: the override of the client's
/// network if one matches, else the server-wide setting.
#[derive(Debug)]
pub(crate) struct PublicAddresses {
    overrides: Vec<(IpNetwork, PublicAddressResolver)>,
    default: PublicAddressResolver,
}

impl PublicAddresses {
    pub(crate) fn new(
        default: PublicAddress,
        overrides: &[(IpNetwork, PublicAddress)],
        ttl: Duration,
    ) -> Self {
        Self {
            overrides: overrides
                .iter()
                .map(|(net, addr)| (*net, PublicAddressResolver::new(addr.clone(), ttl)))
                .collect(),
            default: PublicAddressResolver::new(default, ttl),
        }
    }

    /// The IPv4 address to announce to `peer`, whose control connection
    /// arrived on `local`.
    pub(crate) async fn ipv4_for(&self, peer: IpAddr, local: IpAddr) -> Option<Ipv4Addr> {
        let resolver = self
            .overrides
            .iter()
            .find(|(net, _)| net.contains(peer))
            .map_or(&self.default, |(_, resolver)| resolver);
        resolver.ipv4_for(local).await
    }
}

/// Turns one public address setting into the IPv4 address of a `227`
/// reply, resolving host names at most once per TTL.
#[derive(Debug)]
pub(crate) struct PublicAddressResolver {
    setting: PublicAddress,
    ttl: Duration,
    cache: Mutex<Option<(Instant, Ipv4Addr)>>,
}

impl PublicAddressResolver {
    pub(crate) fn new(setting: PublicAddress, ttl: Duration) -> Self {
        Self {
            setting,
            ttl,
            cache: Mutex::new(None),
        }
    }

    /// The address for a control connection whose local side is `local`;
    /// `None` when there is no IPv4 address to give (an IPv6 control
    /// connection without a configured IPv4 public address).
    pub(crate) async fn ipv4_for(&self, local: IpAddr) -> Option<Ipv4Addr> {
        let local_v4 = match local.to_canonical() {
            IpAddr::V4(ip) => Some(ip),
            IpAddr::V6(_) => None,
        };
        match &self.setting {
            PublicAddress::ControlLocal => local_v4,
            PublicAddress::Ip(IpAddr::V4(ip)) => Some(*ip),
            PublicAddress::Ip(IpAddr::V6(ip)) => ip.to_ipv4_mapped().or(local_v4),
            PublicAddress::Host(name) => self.resolve(name).await.or(local_v4),
        }
    }

    async fn resolve(&self, name: &str) -> Option<Ipv4Addr> {
        let cached = *self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, ip)) = cached
            && at.elapsed() < self.ttl
        {
            return Some(ip);
        }
        let found = match tokio::net::lookup_host((name, 0)).await {
            Ok(addrs) => addrs
                .filter_map(|a| match a.ip() {
                    IpAddr::V4(ip) => Some(ip),
                    IpAddr::V6(_) => None,
                })
                .next(),
            Err(e) => {
                warn!("cannot resolve public address {name}: {e}");
                None
            }
        };
        match found {
            Some(ip) => {
                *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), ip));
                Some(ip)
            }
            // Keep announcing the last known address while DNS fails.
            None => cached.map(|(_, ip)| ip),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three consecutive ports free right now.
    fn free_range() -> std::ops::RangeInclusive<u16> {
        for base in (20_000u16..60_000).step_by(97) {
            let all_free =
                (base..base + 3).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok());
            if all_free {
                return base..=base + 2;
            }
        }
        panic!("no three consecutive free ports")
    }

    #[tokio::test]
    async fn a_range_never_hands_out_a_port_twice() {
        let range = free_range();
        let (low, high) = (*range.start(), *range.end());
        let ports = PassivePorts::new(Some(range), 0, 64);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let a = ports.bind(ip).await.unwrap();
        let b = ports.bind(ip).await.unwrap();
        let c = ports.bind(ip).await.unwrap();
        let mut got: Vec<u16> = [&a, &b, &c]
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        got.sort_unstable();
        assert_eq!(got, (low..=high).collect::<Vec<_>>());
        let err = ports.bind(ip).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        drop(b);
        assert!(ports.bind(ip).await.is_ok());
    }

    #[tokio::test]
    async fn public_address_choices() {
        let local = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5));
        let fixed = PublicAddressResolver::new(
            PublicAddress::Ip(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9))),
            Duration::from_secs(60),
        );
        assert_eq!(
            fixed.ipv4_for(local).await,
            Some(Ipv4Addr::new(203, 0, 113, 9))
        );
        let control =
            PublicAddressResolver::new(PublicAddress::ControlLocal, Duration::from_secs(60));
        assert_eq!(
            control.ipv4_for(local).await,
            Some(Ipv4Addr::new(10, 0, 0, 5))
        );
        assert_eq!(control.ipv4_for("::1".parse().unwrap()).await, None);
        let host = PublicAddressResolver::new(
            PublicAddress::Host("localhost".into()),
            Duration::from_secs(60),
        );
        assert_eq!(host.ipv4_for(local).await, Some(Ipv4Addr::LOCALHOST));
    }
}
