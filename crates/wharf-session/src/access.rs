//! Access lists: the client addresses that may connect to the server
//! ([`Options::access`](crate::Options::access), checked when a control
//! connection arrives) or log in as one user ([`Login::access`], checked
//! after the password). The rules are on [`AccessList`].
//!
//! [`Login::access`]: crate::Login::access

use std::fmt;
use std::net::IpAddr;

use crate::network::IpNetwork;

/// The tracing target of the access lists' log lines (`connection refused
/// by the access list`, `login refused by the access list`), named here
/// rather than taken from the module path so that it stays put.
pub(crate) const ACCESS_LOG: &str = "wharf::access";

/// The text of the `421` to a connection the server-wide list refuses.
pub(crate) const REFUSED_ADDRESS: &str = "Connections from your address are not accepted.";

/// Networks allowed and denied, with the rules of tcp_wrappers and
/// ProFTPD's `<Limit LOGIN>`, in this order:
///
/// 1. an address in a network of `deny` is refused (deny wins over allow);
/// 2. with a non-empty `allow`, an address outside all its networks is
///    refused;
/// 3. anything else is accepted, so an empty list accepts everyone.
///
/// IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`, how a dual-stack
/// listener reports IPv4 clients) count as the IPv4 address they map, so
/// `10.0.0.0/8` matches them and `::/0` does not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessList {
    /// When not empty, only addresses in one of these networks are
    /// accepted.
    pub allow: Vec<IpNetwork>,
    /// Addresses in any of these networks are refused, even when `allow`
    /// holds them too.
    pub deny: Vec<IpNetwork>,
}

/// Why an address was refused: the rule that refused it, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessRefusal {
    /// The address is in this network of the deny list.
    Denied(IpNetwork),
    /// The allow list is not empty and no network of it holds the address.
    NotAllowed,
}

impl fmt::Display for AccessRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Denied(network) => write!(f, "deny {network}"),
            Self::NotAllowed => f.write_str("allow (no network matched)"),
        }
    }
}

impl AccessList {
    /// A list that accepts every address.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same list with `network` added to the allow list.
    pub fn allow(mut self, network: IpNetwork) -> Self {
        self.allow.push(network);
        self
    }

    /// The same list with `network` added to the deny list.
    pub fn deny(mut self, network: IpNetwork) -> Self {
        self.deny.push(network);
        self
    }

    /// Whether the list accepts every address (both lists are empty).
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }

    /// Accepts `ip`, or says which rule refuses it.
    pub fn check(&self, ip: IpAddr) -> Result<(), AccessRefusal> {
        if let Some(network) = self.deny.iter().find(|net| net.contains(ip)) {
            return Err(AccessRefusal::Denied(*network));
        }
        if !self.allow.is_empty() && !self.allow.iter().any(|net| net.contains(ip)) {
            return Err(AccessRefusal::NotAllowed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> IpNetwork {
        text.parse().unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_empty_list_accepts_everyone() {
        let list = AccessList::new();
        assert!(list.is_empty());
        for address in ["10.0.0.1", "::1", "::ffff:192.0.2.1"] {
            assert_eq!(list.check(ip(address)), Ok(()), "{address}");
        }
    }

    #[test]
    fn an_allow_list_accepts_only_its_networks() {
        let list = AccessList::new()
            .allow(net("10.0.0.0/8"))
            .allow(net("2001:db8::/32"));
        assert!(!list.is_empty());
        assert_eq!(list.check(ip("10.200.0.1")), Ok(()));
        assert_eq!(list.check(ip("2001:db8::7")), Ok(()));
        assert_eq!(list.check(ip("11.0.0.1")), Err(AccessRefusal::NotAllowed));
        assert_eq!(
            list.check(ip("2001:db9::1")),
            Err(AccessRefusal::NotAllowed)
        );
    }

    #[test]
    fn deny_wins_over_allow() {
        let list = AccessList::new()
            .allow(net("10.0.0.0/8"))
            .deny(net("10.9.0.0/16"));
        assert_eq!(list.check(ip("10.8.0.1")), Ok(()));
        assert_eq!(
            list.check(ip("10.9.1.1")),
            Err(AccessRefusal::Denied(net("10.9.0.0/16")))
        );
        // A deny list alone refuses its networks and accepts the rest.
        let list = AccessList::new().deny(net("192.0.2.0/24"));
        assert_eq!(list.check(ip("198.51.100.1")), Ok(()));
        assert_eq!(
            list.check(ip("192.0.2.99")),
            Err(AccessRefusal::Denied(net("192.0.2.0/24")))
        );
    }

    #[test]
    fn ipv4_mapped_addresses_count_as_ipv4() {
        let list = AccessList::new()
            .allow(net("10.0.0.0/8"))
            .deny(net("10.1.0.0/16"));
        assert_eq!(list.check(ip("::ffff:10.2.0.1")), Ok(()));
        assert_eq!(
            list.check(ip("::ffff:10.1.0.1")),
            Err(AccessRefusal::Denied(net("10.1.0.0/16")))
        );
        assert_eq!(
            list.check(ip("::ffff:11.0.0.1")),
            Err(AccessRefusal::NotAllowed)
        );
        // An IPv6 rule does not catch IPv4 clients of a dual-stack socket.
        let list = AccessList::new().deny(net("::/0"));
        assert_eq!(list.check(ip("::ffff:10.0.0.1")), Ok(()));
        assert!(list.check(ip("2001:db8::1")).is_err());
        // A mapped network written in IPv6 form holds the IPv4 clients.
        let list = AccessList::new().deny(net("::ffff:10.0.0.0/104"));
        assert!(list.check(ip("10.3.0.1")).is_err());
        assert!(list.check(ip("::ffff:10.3.0.1")).is_err());
        assert_eq!(list.check(ip("11.0.0.1")), Ok(()));
    }

    #[test]
    fn refusals_name_their_rule() {
        assert_eq!(
            AccessRefusal::Denied(net("10.0.0.0/8")).to_string(),
            "deny 10.0.0.0/8"
        );
        assert_eq!(
            AccessRefusal::NotAllowed.to_string(),
            "allow (no network matched)"
        );
    }
}
