//! Topology 4, seeds 001/002 with clients inside: the server behind a
//! one-to-one NAT, clients outside and inside its own network.
//!
//! ```text
//! outside 172.25.4.2 --wan-- 172.25.4.1, 172.25.4.10 router 10.25.4.1 --lan (bridge)-- 10.25.4.2 wharfd
//!                            172.25.4.10 <-> 10.25.4.2           |
//!                                                                 +-- 10.25.4.3 inside client
//! ```
//!
//! wharfd announces the public 172.25.4.10, except to clients of its own
//! network, which get the private 10.25.4.2 through `[[passive.overrides]]`
//! (the first network holding the client wins): an inside client that
//! dials the server directly reaches its passive port directly. An inside
//! client that dials the public address is turned back by the router and
//! masqueraded behind the router's 10.25.4.1; a /32 override before the
//! network's gives that address the public one, so its data connection
//! takes the same hairpin and comes from the same address as its control
//! connection (the passive peer check).
//!
//! Expected: PASV and EPSV, plain and FTPS, work for all three, each
//! offered the address it can reach. Without the overrides the inside
//! client that dials the server directly is offered the public address,
//! and its data connection, hairpinned, fails the peer check (425).

use super::clients::suite;
use super::lab::{Lab, lab};
use super::rulesets::one_to_one;
use super::wharfd::{Wharfd, start};

const PUBLIC: &str = "172.25.4.10";
const PRIVATE: &str = "10.25.4.2";

/// The overrides of this topology: the router's LAN address (hairpinned
/// clients) first, then the rest of the server's network.
pub(super) const OVERRIDES: &str = r#"
[[passive.overrides]]
network = "10.25.4.1/32"
address = "172.25.4.10"

[[passive.overrides]]
network = "10.25.4.0/24"
address = "10.25.4.2"
"#;

/// The lab, its server (with `overrides`), and the outside and inside
/// client namespaces.
fn topology(test: &str, overrides: &str) -> Option<(Lab, Wharfd, String, String)> {
    let mut lab = lab(test)?;
    let server = lab.namespace("server");
    let router = lab.namespace("router");
    let outside = lab.namespace("outside");
    let inside = lab.namespace("inside");
    // The server's network: a bridge in the router with the server's and
    // the inside client's links on it.
    lab.ip(&router, &["link", "add", "lan", "type", "bridge"]);
    lab.ip(&router, &["addr", "add", "10.25.4.1/24", "dev", "lan"]);
    lab.ip(&router, &["link", "set", "lan", "up"]);
    lab.link(
        (&server, "eth0", "10.25.4.2/24"),
        (&router, "to-server", ""),
    );
    lab.link(
        (&inside, "eth0", "10.25.4.3/24"),
        (&router, "to-inside", ""),
    );
    for port in ["to-server", "to-inside"] {
        lab.ip(&router, &["link", "set", port, "master", "lan"]);
    }
    lab.link(
        (&router, "wan", "172.25.4.1/24"),
        (&outside, "eth0", "172.25.4.2/24"),
    );
    lab.ip(&router, &["addr", "add", "172.25.4.10/24", "dev", "wan"]);
    lab.default_route(&server, "10.25.4.1");
    lab.default_route(&inside, "10.25.4.1");
    lab.forwarding(&router);
    lab.nft(&router, &one_to_one(PUBLIC, PRIVATE, "10.25.4.0/24"));
    let config =
        format!("[passive]\nports = \"50000-50009\"\npublic_address = \"{PUBLIC}\"\n{overrides}");
    let wharfd = start(&mut lab, &server, &format!("{PRIVATE}:21"), &config);
    Some((lab, wharfd, outside, inside))
}

/// An outside client dials the public address and is offered it.
#[test]
fn one_to_one_outside_client() {
    let Some((lab, wharfd, outside, _)) = topology("one_to_one_outside_client", OVERRIDES) else {
        return;
    };
    suite(&lab, &outside, "nat_passive", PUBLIC, PUBLIC, &wharfd);
}

/// The outside client on the default data port: FTPS in MODE B, the
/// server's connection leaving as the public address.
#[test]
fn one_to_one_outside_client_default_port() {
    let Some((lab, wharfd, outside, _)) =
        topology("one_to_one_outside_client_default_port", OVERRIDES)
    else {
        return;
    };
    suite(
        &lab,
        &outside,
        "nat_ftps_mode_b_default_port",
        PUBLIC,
        PUBLIC,
        &wharfd,
    );
}

/// An inside client dials the private address and is offered it (the
/// network's override).
#[test]
fn one_to_one_inside_client_direct() {
    let Some((lab, wharfd, _, inside)) = topology("one_to_one_inside_client_direct", OVERRIDES)
    else {
        return;
    };
    suite(&lab, &inside, "nat_passive", PRIVATE, PRIVATE, &wharfd);
}

/// An inside client dials the public address, through the router's
/// hairpin, and is offered the public address (the router's /32
/// override), which takes the same hairpin.
#[test]
fn one_to_one_inside_client_hairpin() {
    let Some((lab, wharfd, _, inside)) = topology("one_to_one_inside_client_hairpin", OVERRIDES)
    else {
        return;
    };
    suite(&lab, &inside, "nat_passive", PUBLIC, PUBLIC, &wharfd);
}

/// Without overrides an inside client that dials the server directly is
/// offered the public address; its data connection takes the hairpin and
/// arrives from the router's address, which the passive peer check
/// refuses: 425 after the data-connect timeout.
#[test]
fn one_to_one_inside_client_without_overrides() {
    let Some((lab, wharfd, _, inside)) = topology("one_to_one_inside_client_without_overrides", "")
    else {
        return;
    };
    suite(
        &lab,
        &inside,
        "nat_passive_foreign",
        PRIVATE,
        PUBLIC,
        &wharfd,
    );
}
