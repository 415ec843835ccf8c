//! Topology 2, seed 004: the server's own firewall admits port 21 and
//! nothing else inbound (stateful: answers to what the server opened come
//! back).
//!
//! ```text
//! client 10.25.2.2 ------ 10.25.2.1 wharfd, nftables: tcp dport 21, established, related
//! ```
//!
//! Expected: FTPS with the default data port works (the server connects
//! out from port 20, which the firewall lets leave), in MODE S (a data
//! connection per transfer) and MODE B (one data connection for every
//! transfer); PASV and EPSV get their 227/229, the offered port never
//! answers, and the transfer ends in 425 after the data-connect timeout.
//! Active PORT and EPRT work, as the default port does.

use super::clients::suite;
use super::lab::{Lab, lab};
use super::rulesets::control_port_only;
use super::wharfd::{Wharfd, start};

const SERVER: &str = "10.25.2.1";

fn topology(test: &str) -> Option<(Lab, Wharfd, String)> {
    let mut lab = lab(test)?;
    let server = lab.namespace("server");
    let client = lab.namespace("client");
    lab.link(
        (&server, "eth0", "10.25.2.1/24"),
        (&client, "eth0", "10.25.2.2/24"),
    );
    lab.nft(&server, &control_port_only());
    let wharfd = start(
        &mut lab,
        &server,
        &format!("{SERVER}:21"),
        "[passive]\nports = \"50000-50009\"\n",
    );
    Some((lab, wharfd, client))
}

/// FTPS, MODE S, default data port: RETR twice, STOR and LIST, each over
/// a TLS connection the server opens from port 20.
#[test]
fn firewall_ftps_default_port() {
    let Some((lab, wharfd, client)) = topology("firewall_ftps_default_port") else {
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

/// FTPS, MODE B, default data port: one TLS data connection from port 20
/// carries downloads, an upload, its download back and a listing.
#[test]
fn firewall_ftps_mode_b_default_port() {
    let Some((lab, wharfd, client)) = topology("firewall_ftps_mode_b_default_port") else {
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

/// PASV (plain) and EPSV (FTPS): the offer is made, a connection to it is
/// dropped, and the transfer gets 150 then 425 after the data-connect
/// timeout, not before and not much later.
#[test]
fn firewall_passive_fails_with_425() {
    let Some((lab, wharfd, client)) = topology("firewall_passive_fails_with_425") else {
        return;
    };
    suite(
        &lab,
        &client,
        "nat_passive_blocked",
        SERVER,
        SERVER,
        &wharfd,
    );
}

/// Active PORT and EPRT, plain and FTPS: the server connects out, which
/// the firewall lets leave.
#[test]
fn firewall_active_works() {
    let Some((lab, wharfd, client)) = topology("firewall_active_works") else {
        return;
    };
    suite(&lab, &client, "nat_active", SERVER, SERVER, &wharfd);
}
