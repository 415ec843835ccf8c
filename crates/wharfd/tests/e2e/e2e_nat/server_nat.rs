//! Topology 1, seeds 001/002: the server behind a NAT that forwards port
//! 21 and the passive range (an Azure VM behind its public IP).
//!
//! ```text
//! client 172.25.1.2 --wan-- 172.25.1.1 router 10.25.1.1 --lan-- 10.25.1.2 wharfd
//!                           DNAT 21 and 50000-50009 to 10.25.1.2
//! ```
//!
//! wharfd runs with `public_address = "172.25.1.1"`. Expected: PASV
//! (announcing 172.25.1.1) and EPSV work, plain and FTPS, with curl, lftp
//! and ftplib; so do the default data port (MODE S and B, FTPS) and active
//! mode, the server's connections leaving masqueraded. Without `public_address`, PASV names the unreachable
//! private address, which only clients that ignore it survive; EPSV works.

use super::clients::{curl, lftp, suite};
use super::lab::{Lab, lab};
use super::rulesets::server_dnat;
use super::wharfd::{Wharfd, start};
use crate::support::{
    Tls, assert_protected, assert_same_bytes, assert_used, pattern, read_file, write_file,
};

const PUBLIC: &str = "172.25.1.1";
const PRIVATE: &str = "10.25.1.2";

/// wharfd's `[passive]` section here.
const PASSIVE: &str = "[passive]\nports = \"50000-50009\"\npublic_address = \"172.25.1.1\"\n";

/// The lab and its server (with `config`); the client namespace's name.
fn topology(test: &str, config: &str) -> Option<(Lab, Wharfd, String)> {
    let mut lab = lab(test)?;
    let server = lab.namespace("server");
    let router = lab.namespace("router");
    let client = lab.namespace("client");
    lab.link(
        (&server, "eth0", "10.25.1.2/24"),
        (&router, "lan", "10.25.1.1/24"),
    );
    lab.link(
        (&router, "wan", "172.25.1.1/24"),
        (&client, "eth0", "172.25.1.2/24"),
    );
    lab.default_route(&server, "10.25.1.1");
    lab.forwarding(&router);
    lab.nft(&router, &server_dnat(PRIVATE, "50000-50009"));
    let wharfd = start(&mut lab, &server, &format!("{PRIVATE}:21"), config);
    Some((lab, wharfd, client))
}

/// ftplib, dialing exactly the address of each 227: PASV and EPSV, plain
/// and FTPS, STOR, RETR and NLST byte-exact.
#[test]
fn server_nat_ftplib() {
    let Some((lab, wharfd, client)) = topology("server_nat_ftplib", PASSIVE) else {
        return;
    };
    suite(&lab, &client, "nat_passive", PUBLIC, PUBLIC, &wharfd);
}

/// The server's own connections, masqueraded behind the router: FTPS on
/// the default data port in MODE S and MODE B, and active PORT/EPRT,
/// plain and FTPS.
#[test]
fn server_nat_default_port_and_active() {
    let Some((lab, wharfd, client)) = topology("server_nat_default_port_and_active", PASSIVE)
    else {
        return;
    };
    for function in [
        "nat_ftps_default_port",
        "nat_ftps_mode_b_default_port",
        "nat_active",
    ] {
        suite(&lab, &client, function, PUBLIC, PUBLIC, &wharfd);
    }
}

/// Without `public_address`: PASV names the private 10.25.1.2, which the
/// client cannot reach (the dial fails at once); ftplib and curl as they
/// are (both dial the control address whatever a 227 names) and EPSV work.
#[test]
fn server_nat_without_public_address() {
    let Some((lab, wharfd, client)) = topology(
        "server_nat_without_public_address",
        "[passive]\nports = \"50000-50009\"\n",
    ) else {
        return;
    };
    suite(
        &lab,
        &client,
        "nat_pasv_private_address",
        PUBLIC,
        PRIVATE,
        &wharfd,
    );
    // curl (since 7.74) dials the control address too, and says so.
    write_file(wharfd.root(), "plain.bin", b"through PASV");
    let url = format!("ftp://{PUBLIC}/plain.bin");
    let down = curl(&lab, &client, &["--disable-epsv", &url]);
    assert!(down.status.success(), "curl over PASV\n{}", down.report());
    assert_eq!(down.stdout, b"through PASV");
    assert!(
        down.stderr_text().contains(&format!(
            "Skip {PRIVATE} for data connection, re-use {PUBLIC}"
        )),
        "curl did not skip the 227 address\n{}",
        down.report()
    );
}

/// curl (which dials the control address whatever a 227 names, so the
/// test reads the 227 in its log): upload and download over PASV and
/// EPSV, plain and FTPS.
#[test]
fn server_nat_curl() {
    let Some((lab, wharfd, client)) = topology("server_nat_curl", PASSIVE) else {
        return;
    };
    let data = pattern(300_000, 25);
    let local = write_file(lab.dir(), "local.bin", &data);
    let local = local.to_str().expect("temporary paths are UTF-8");
    for tls in [Tls::Plain, Tls::Explicit] {
        for passive in ["PASV", "EPSV"] {
            let name = format!("curl-{tls:?}-{passive}.bin");
            let url = format!("ftp://{PUBLIC}/{name}");
            let mut args = vec!["-T", local, url.as_str()];
            if passive == "PASV" {
                args.push("--disable-epsv");
            }
            if tls == Tls::Explicit {
                args.push("--ssl-reqd");
            }
            let up = curl(&lab, &client, &args);
            let report = || format!("{}\n--- wharfd log ---\n{}", up.report(), wharfd.log_tail());
            assert!(up.status.success(), "{name}: upload\n{}", report());
            let code = if passive == "PASV" { "227" } else { "229" };
            assert_used(&up, passive, &[code]);
            if passive == "PASV" {
                assert!(
                    up.stderr_text().contains(&format!(
                        "< 227 Entering Passive Mode ({},",
                        PUBLIC.replace('.', ",")
                    )),
                    "{name}: the 227 does not name {PUBLIC}\n{}",
                    report()
                );
            }
            tls.assert_protected(&up, 2);
            assert_same_bytes(
                &format!("{name} on disk"),
                &data,
                &read_file(&wharfd.root().join(&name)),
            );

            let back = lab.dir().join(format!("back-{name}"));
            let back_path = back.to_str().expect("temporary paths are UTF-8");
            args[0] = "-o";
            args[1] = back_path;
            let down = curl(&lab, &client, &args);
            assert!(down.status.success(), "{name}: download\n{}", down.report());
            assert_used(&down, passive, &[code]);
            if tls == Tls::Explicit {
                assert_protected(&down, None, 2);
            }
            assert_same_bytes(&format!("{name} downloaded"), &data, &read_file(&back));
        }
    }
}

/// lftp, which dials the address a 227 names (its `ftp:fix-pasv-address`
/// replaces only a private 227 address behind a public control address):
/// put and get over PASV and EPSV, plain and FTPS.
#[test]
fn server_nat_lftp() {
    let Some((lab, wharfd, client)) = topology("server_nat_lftp", PASSIVE) else {
        return;
    };
    let data = pattern(200_000, 26);
    let local = write_file(lab.dir(), "local.bin", &data);
    let common = "set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 10; \
                  set net:reconnect-interval-base 1; set net:persist-retries 0; \
                  set xfer:clobber on; set ftp:passive-mode on; set ssl:verify-certificate no";
    for tls in [Tls::Plain, Tls::Explicit] {
        for passive in ["PASV", "EPSV"] {
            let name = format!("lftp-{tls:?}-{passive}.bin");
            let epsv = if passive == "EPSV" { "yes" } else { "no" };
            let ssl = match tls {
                Tls::Plain => "set ftp:ssl-allow no",
                Tls::Explicit => {
                    "set ftp:ssl-allow yes; set ftp:ssl-force true; \
                     set ftp:ssl-protect-data true; set ftp:ssl-protect-list true"
                }
            };
            let back = lab.dir().join(format!("back-{name}"));
            let run = lftp(
                &lab,
                &client,
                &format!("ftp://{PUBLIC}"),
                &format!("{common}; set ftp:prefer-epsv {epsv}; {ssl}"),
                &format!(
                    "put {} -o {name}; get {name} -o {}",
                    local.display(),
                    back.display()
                ),
            );
            let report = || {
                format!(
                    "{}\n--- wharfd log ---\n{}",
                    run.report(),
                    wharfd.log_tail()
                )
            };
            assert!(run.finished.status.success(), "{name}\n{}", report());
            let code = if passive == "PASV" { "227" } else { "229" };
            assert_eq!(
                run.reply_to(passive).as_deref(),
                Some(code),
                "{name}\n{}",
                report()
            );
            if passive == "PASV" {
                assert!(
                    run.protocol_log.contains(&format!(
                        "<--- 227 Entering Passive Mode ({},",
                        PUBLIC.replace('.', ",")
                    )),
                    "{name}: the 227 does not name {PUBLIC}\n{}",
                    report()
                );
            }
            if tls == Tls::Explicit {
                assert_eq!(run.tls_data_connections(), 2, "{name}\n{}", report());
            }
            assert_same_bytes(
                &format!("{name} on disk"),
                &data,
                &read_file(&wharfd.root().join(&name)),
            );
            assert_same_bytes(&format!("{name} downloaded"), &data, &read_file(&back));
        }
    }
}
