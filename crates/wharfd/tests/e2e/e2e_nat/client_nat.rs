//! Topology 3, seed 004 from the client's side: the client behind a NAT
//! router, the server reachable directly.
//!
//! ```text
//! client 192.168.25.2 --lan-- 192.168.25.1 router 172.25.3.1 --wan-- 172.25.3.2 wharfd
//! ```
//!
//! Two kinds of router (`rulesets.rs`): Linux MASQUERADE, whose conntrack
//! admits only the exact 5-tuple of a connection the client opened
//! (port-restricted), and an address-restricted NAT that admits a
//! connection from any port of an address the client's mapped port has
//! contacted.
//!
//! Expected: the default data port (which the server opens from port 20,
//! not from port 21 the client contacted) fails behind MASQUERADE with 425
//! after the data-connect timeout, and PORT/EPRT (naming the client's
//! private address) are refused, while PASV and EPSV work there; behind
//! the address-restricted NAT the default data port works, FTPS and MODE B
//! included, as do PASV and EPSV, and PORT/EPRT are refused as behind
//! MASQUERADE.

use super::clients::suite;
use super::lab::{Lab, lab};
use super::rulesets::{address_restricted, masquerade};
use super::wharfd::{Wharfd, start};

const SERVER: &str = "172.25.3.2";

fn topology(test: &str, ruleset: &str) -> Option<(Lab, Wharfd, String)> {
    let mut lab = lab(test)?;
    let server = lab.namespace("server");
    let router = lab.namespace("router");
    let client = lab.namespace("client");
    lab.link(
        (&client, "eth0", "192.168.25.2/24"),
        (&router, "lan", "192.168.25.1/24"),
    );
    lab.link(
        (&router, "wan", "172.25.3.1/24"),
        (&server, "eth0", "172.25.3.2/24"),
    );
    lab.default_route(&client, "192.168.25.1");
    lab.forwarding(&router);
    lab.nft(&router, ruleset);
    let wharfd = start(
        &mut lab,
        &server,
        &format!("{SERVER}:21"),
        "[passive]\nports = \"50000-50009\"\n",
    );
    Some((lab, wharfd, client))
}

/// MASQUERADE: the default data port gets 425 after the data-connect
/// timeout, in plain MODE S and in FTPS with MODE B.
#[test]
fn masquerade_default_port_fails_with_425() {
    let Some((lab, wharfd, client)) =
        topology("masquerade_default_port_fails_with_425", &masquerade())
    else {
        return;
    };
    suite(
        &lab,
        &client,
        "nat_default_port_refused",
        SERVER,
        SERVER,
        &wharfd,
    );
}

/// MASQUERADE: the client's PORT and EPRT name its private address, which
/// is not the address wharfd sees: refused at once with 5xx.
#[test]
fn masquerade_active_refused() {
    let Some((lab, wharfd, client)) = topology("masquerade_active_refused", &masquerade()) else {
        return;
    };
    suite(
        &lab,
        &client,
        "nat_active_private_address_refused",
        SERVER,
        SERVER,
        &wharfd,
    );
}

/// MASQUERADE: PASV and EPSV, plain and FTPS, work (the client opens
/// every connection).
#[test]
fn masquerade_passive_works() {
    let Some((lab, wharfd, client)) = topology("masquerade_passive_works", &masquerade()) else {
        return;
    };
    suite(&lab, &client, "nat_passive", SERVER, SERVER, &wharfd);
}

/// Address-restricted NAT: FTPS + MODE B on the default data port works,
/// one TLS data connection for every transfer.
#[test]
fn address_restricted_ftps_mode_b_default_port() {
    let Some((lab, wharfd, client)) = topology(
        "address_restricted_ftps_mode_b_default_port",
        &address_restricted(),
    ) else {
        return;
    };
    suite(
        &lab,
        &client,
        "nat_ftps_mode_b_default_port",
        SERVER,
        SERVER,
        &wharfd,
    );
}

/// Address-restricted NAT: FTPS in MODE S on the default data port works,
/// a connection per transfer.
#[test]
fn address_restricted_ftps_default_port() {
    let Some((lab, wharfd, client)) = topology(
        "address_restricted_ftps_default_port",
        &address_restricted(),
    ) else {
        return;
    };
    suite(
        &lab,
        &client,
        "nat_ftps_default_port",
        SERVER,
        SERVER,
        &wharfd,
    );
}

/// Address-restricted NAT: PASV and EPSV, plain and FTPS, work (the client
/// opens every connection).
#[test]
fn address_restricted_passive_works() {
    let Some((lab, wharfd, client)) =
        topology("address_restricted_passive_works", &address_restricted())
    else {
        return;
    };
    suite(&lab, &client, "nat_passive", SERVER, SERVER, &wharfd);
}

/// Address-restricted NAT: PORT and EPRT still name the client's private
/// address, refused with 5xx as behind MASQUERADE.
#[test]
fn address_restricted_active_refused() {
    let Some((lab, wharfd, client)) =
        topology("address_restricted_active_refused", &address_restricted())
    else {
        return;
    };
    suite(
        &lab,
        &client,
        "nat_active_private_address_refused",
        SERVER,
        SERVER,
        &wharfd,
    );
}
