//! Which addresses count as one client: an IPv4 address alone (/32), an
//! IPv6 address with its neighbours in the same prefix (/64 by default).
//!
//! One IPv6 host usually holds a whole /64 (SLAAC, privacy addresses), and
//! anyone can pick a fresh address in it for every connection, so a limit
//! per IPv6 address limits nothing. An IPv4-mapped IPv6 address (a
//! dual-stack listener's view of an IPv4 client) is grouped as the IPv4
//! address it carries.

use std::net::{IpAddr, Ipv6Addr};

use crate::network::IpNetwork;

/// The default IPv6 grouping prefix: the size of one subnet, which is what
/// one host or one customer is usually given.
pub const DEFAULT_IPV6_PREFIX: u8 = 64;

/// The group of `ip`: the /32 of an IPv4 address, or the `/ipv6_prefix`
/// network of an IPv6 one (a prefix above 128 is taken as 128).
pub fn address_group(ip: IpAddr, ipv6_prefix: u8) -> IpNetwork {
    let (addr, prefix) = match ip.to_canonical() {
        IpAddr::V4(v4) => (IpAddr::V4(v4), 32),
        IpAddr::V6(v6) => {
            let prefix = ipv6_prefix.min(128);
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            (IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask)), prefix)
        }
    };
    IpNetwork::new(addr, prefix)
        .unwrap_or_else(|| unreachable!("/32 and at most /128 are valid prefixes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(ip: &str, prefix: u8) -> String {
        address_group(ip.parse().unwrap(), prefix).to_string()
    }

    #[test]
    fn ipv6_addresses_of_one_prefix_are_one_group() {
        assert_eq!(group("2001:db8:1:2:aaaa::1", 64), "2001:db8:1:2::/64");
        assert_eq!(
            group("2001:db8:1:2:ffff:ffff:ffff:ffff", 64),
            group("2001:db8:1:2::1", 64)
        );
        assert_ne!(group("2001:db8:1:3::1", 64), group("2001:db8:1:2::1", 64));
        assert_eq!(group("2001:db8:1:3::1", 48), group("2001:db8:1:2::1", 48));
        assert_eq!(group("2001:db8::1", 128), "2001:db8::1/128");
        assert_eq!(group("2001:db8::1", 200), "2001:db8::1/128");
        assert_eq!(group("2001:db8::1", 0), "::/0");
    }

    #[test]
    fn ipv4_is_one_address_whatever_the_ipv6_prefix() {
        assert_eq!(group("192.0.2.7", 64), "192.0.2.7/32");
        assert_ne!(group("192.0.2.7", 0), group("192.0.2.8", 0));
        // A dual-stack listener reports IPv4 clients as mapped addresses.
        assert_eq!(group("::ffff:192.0.2.7", 64), "192.0.2.7/32");
    }
}
