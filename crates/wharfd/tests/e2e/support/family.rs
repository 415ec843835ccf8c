//! [`Family`]: the address family a test runs on, IPv4 (`127.0.0.1`) or
//! IPv6 (`::1`), and how each client spells that loopback address.
//!
//! A test on IPv6 needs the `::1` loopback; a machine without it fails the
//! test with a message saying so ([`Family::require`]), because a case that
//! quietly ran on IPv4 instead, or not at all, would prove nothing about
//! IPv6.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpListener};

/// The address family of a test's server and clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// `127.0.0.1`.
    V4,
    /// `::1`.
    V6,
}

impl Family {
    /// The family a test's name (`v4` or `v6`, as the parametrising macros
    /// name their cases) stands for.
    pub(crate) fn named(name: &str) -> Self {
        match name {
            "v4" => Self::V4,
            "v6" => Self::V6,
            other => panic!("no address family is called {other:?}: use v4 or v6"),
        }
    }

    /// The loopback address of this family.
    pub(crate) fn loopback(self) -> IpAddr {
        match self {
            Self::V4 => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Self::V6 => IpAddr::V6(Ipv6Addr::LOCALHOST),
        }
    }

    /// The loopback address as a bare literal (`127.0.0.1`, `::1`): what
    /// curl's `-P`, Python's sockets and EPRT take.
    pub(crate) fn host(self) -> String {
        self.loopback().to_string()
    }

    /// The loopback address as URLs and `ADDR:PORT` arguments write it
    /// (RFC 3986 3.2.2: an IPv6 literal in brackets, `[::1]`).
    pub(crate) fn url_host(self) -> String {
        match self {
            Self::V4 => self.host(),
            Self::V6 => format!("[{}]", self.host()),
        }
    }

    /// Panics with a clear message when this machine cannot listen on the
    /// family's loopback address (no `::1`: IPv6 disabled, or a container
    /// without it), so an IPv6 case never passes without IPv6.
    pub(crate) fn require(self) {
        if let Err(e) = TcpListener::bind((self.loopback(), 0)) {
            panic!(
                "this test runs on {} but cannot listen there ({e}): the machine has no usable \
                 {} loopback (on Linux: `ip -6 addr show dev lo` should list ::1/128, and \
                 net.ipv6.conf.lo.disable_ipv6 be 0)",
                self.url_host(),
                match self {
                    Self::V4 => "IPv4",
                    Self::V6 => "IPv6",
                },
            );
        }
    }
}

/// Declares a case, a function taking the [`Family`], as one `#[test]` per
/// family: `case::v4` and `case::v6`.
macro_rules! per_family {
    ($case:ident) => {
        mod $case {
            #[test]
            fn v4() {
                super::$case($crate::support::Family::V4)
            }

            #[test]
            fn v6() {
                super::$case($crate::support::Family::V6)
            }
        }
    };
}
pub(crate) use per_family;
