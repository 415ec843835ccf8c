//! IP networks in CIDR notation (`10.0.0.0/8`, `fd00::/8`), for choosing the
//! passive address by client network and for access lists.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An IPv4 or IPv6 network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNetwork {
    addr: IpAddr,
    prefix: u8,
}

/// Text that is not `ADDRESS/PREFIX` with a prefix within the family's bits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid network {0:?}: expected ADDRESS/PREFIX such as 10.0.0.0/8")]
pub struct NetworkError(String);

impl IpNetwork {
    /// A network; `None` if `prefix` exceeds 32 (IPv4) or 128 (IPv6).
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Self> {
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= bits).then_some(Self { addr, prefix })
    }

    /// Whether `ip` is in the network. IPv4-mapped IPv6 addresses count as
    /// IPv4, as a dual-stack listener reports IPv4 clients that way; so
    /// does a network written in that form (`::ffff:10.0.0.0/104` is
    /// `10.0.0.0/8`).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (addr, prefix) = self.canonical();
        match (addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    /// The network with an IPv4-mapped IPv6 address of a prefix of at
    /// least 96 bits read as the IPv4 network it maps.
    fn canonical(&self) -> (IpAddr, u8) {
        match self.addr {
            IpAddr::V6(v6) if self.prefix >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => (IpAddr::V4(v4), self.prefix - 96),
                None => (self.addr, self.prefix),
            },
            _ => (self.addr, self.prefix),
        }
    }
}

impl FromStr for IpNetwork {
    type Err = NetworkError;
    fn from_str(text: &str) -> Result<Self, NetworkError> {
        let error = || NetworkError(text.to_owned());
        let (addr, prefix) = text.split_once('/').ok_or_else(error)?;
        let addr: IpAddr = addr.trim().parse().map_err(|_| error())?;
        let prefix: u8 = prefix.trim().parse().map_err(|_| error())?;
        Self::new(addr, prefix).ok_or_else(error)
    }
}

impl fmt::Display for IpNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNetwork {
        s.parse().unwrap()
    }

    #[test]
    fn membership() {
        assert!(net("10.0.0.0/8").contains("10.200.1.2".parse().unwrap()));
        assert!(!net("10.0.0.0/8").contains("11.0.0.1".parse().unwrap()));
        assert!(net("10.0.0.0/8").contains("::ffff:10.1.1.1".parse().unwrap()));
        assert!(net("0.0.0.0/0").contains("192.0.2.1".parse().unwrap()));
        assert!(net("192.0.2.7/32").contains("192.0.2.7".parse().unwrap()));
        assert!(net("fd00::/8").contains("fd12::1".parse().unwrap()));
        assert!(!net("fd00::/8").contains("10.0.0.1".parse().unwrap()));
        assert!(net("::/0").contains("2001:db8::1".parse().unwrap()));
        assert!(net("::ffff:10.0.0.0/104").contains("10.9.9.9".parse().unwrap()));
        assert!(net("::ffff:10.0.0.0/104").contains("::ffff:10.9.9.9".parse().unwrap()));
        assert!(!net("::ffff:10.0.0.0/104").contains("11.0.0.1".parse().unwrap()));
    }

    #[test]
    fn parsing() {
        assert_eq!(net("10.0.0.0/8").to_string(), "10.0.0.0/8");
        for bad in ["10.0.0.0", "10.0.0.0/33", "x/8", "::/129", "10.0.0.0/-1"] {
            assert!(bad.parse::<IpNetwork>().is_err(), "{bad}");
        }
    }
}
