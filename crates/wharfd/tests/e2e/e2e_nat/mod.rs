//! FTP and FTPS through NAT and firewalls (issue 25): topologies of named
//! network namespaces joined by veth pairs, with routers doing real
//! nftables NAT and filtering, wharfd in one namespace and a real client
//! (curl, lftp, Python ftplib and the byte-level clients of
//! `tests/ftplib/wharf_e2e/nat.py`) in another.
//!
//! | file | topology |
//! |---|---|
//! | `server_nat.rs` | 1: server behind DNAT of port 21 and the passive range, `public_address` |
//! | `server_firewall.rs` | 2: server firewall admitting only port 21 |
//! | `client_nat.rs` | 3: client behind MASQUERADE, and behind an address-restricted NAT |
//! | `hairpin.rs` | 4: server behind a one-to-one NAT, clients outside and inside (overrides) |
//!
//! `lab.rs` builds the namespaces, links and routes and removes them on
//! drop, `rulesets.rs` holds the nftables rulesets, `wharfd.rs` starts the
//! server in a namespace and `clients.rs` runs the clients in another.
//! `docs/nat-and-firewalls.md` is the table of what works where, matching
//! these tests' assertions.
//!
//! Namespaces need root (CI runs as root): as any other user each test
//! fails unless `WHARF_TEST_NO_ROOT=1` asks to skip it; as root a missing
//! `ip` or `nft` fails it. Every failure case is bounded by wharfd's
//! data-connect timeout ([`wharfd::CONNECT_SECS`]), every client run and
//! every `ip`/`nft` call by a timeout of its own.

mod clients;
pub(crate) mod lab;
mod rulesets;
mod wharfd;

mod client_nat;
mod hairpin;
mod server_firewall;
mod server_nat;

use crate::support::suite_functions;

/// The `nat_*` suite functions each topology runs, all of them.
#[test]
fn every_nat_suite_function_is_used() {
    let in_suite: Vec<String> = suite_functions()
        .into_iter()
        .filter(|name| name.starts_with("nat_"))
        .collect();
    assert_eq!(
        in_suite,
        [
            "nat_active",
            "nat_active_private_address_refused",
            "nat_default_port_refused",
            "nat_ftps_default_port",
            "nat_ftps_mode_b_default_port",
            "nat_passive",
            "nat_passive_blocked",
            "nat_passive_foreign",
            "nat_pasv_private_address",
        ]
    );
}
