//! End-to-end protocol tests with Python's `ftplib`.
//!
//! Each test starts its own `wharfd` (user `alice:secret`, a fresh temporary
//! root, plus the flags the test names) and runs one `@test` function of the
//! `tests/ftplib/wharf_e2e` package against it through the entry point:
//! `python3 tests/ftplib/suite.py NAME 127.0.0.1 PORT ROOT`. The function's
//! docstring and the doc comment here say what it pins down; on failure the
//! panic message holds the Python traceback, the last lines exchanged with
//! the server and the server's log.
//!
//! A name marked `[v4 v6]` runs twice, as `name::v4` and as `name::v6` (the
//! server and the client on `::1`): the transfers, ABOR, the listing, the
//! data connections (EPSV and EPRT, the default data port, MODE B; on IPv6
//! also the refusals of PASV and PORT) and HOST. The rest is about logins,
//! configuration, 127.x addresses or IPv4's PASV and PORT, and runs on IPv4
//! only.

use crate::support;

use support::{Server, ServerBuilder, suite_tests};

suite_tests! {
    strip "ftplib_";

    // Login

    /// `--max-login-failures 2` closes the session after two failures.
    ftplib_login_closes_after_configured_failures: Server::builder().args(&["--max-login-failures", "2"]);
    /// Without `--failed-login-delay-ms`, a failed login is answered only
    /// after a delay (default 1 s).
    ftplib_login_failure_is_delayed_by_default: Server::builder().default_login_delay();
    /// Without `--anonymous`, `anonymous` and `ftp` cannot log in.
    ftplib_anonymous_off_by_default: Server::builder();
    /// With `--anonymous`, anonymous/ftp read with any password and every
    /// write is refused with 550/553.
    ftplib_anonymous_read_only: Server::builder().arg("--anonymous");

    // Server information

    /// SITE HELP 214, SITE CHMOD changes the mode bits, other SITE 502.
    ftplib_site_commands: Server::builder();

    // Navigation and directories

    /// PWD doubles quotes: `257 "/dir ""q"""`.
    ftplib_pwd_quoting: Server::builder();
    /// Impossible names (through a file, onto a directory, thousands of
    /// bytes, temporary upload names) get 550/553 and nothing changes.
    ftplib_bad_names: Server::builder();

    // File facts

    /// SIZE, MDTM and MFMT (then MDTM and the disk show the set time).
    ftplib_size_mdtm_mfmt: Server::builder();
    /// HASH, RANG and the X checksum commands against hashlib and zlib on
    /// the file on disk; SITE UTIME on disk.
    ftplib_checksums_match_the_file_on_disk: Server::builder();

    // Transfers

    /// STOR/RETR in TYPE I are byte-exact, on the wire and on disk.
    ftplib_stor_retr_binary [v4 v6]: Server::builder();
    /// TYPE A RETR turns LF into CRLF.
    ftplib_type_a_retr_converts_lf_to_crlf [v4 v6]: Server::builder();
    /// TYPE A STOR turns CRLF into LF, also split across segments.
    ftplib_type_a_stor_converts_crlf_to_lf [v4 v6]: Server::builder();
    /// REST n + RETR sends the tail from byte n.
    ftplib_rest_retr_resumes_download [v4 v6]: Server::builder();
    /// REST n + STOR completes a partial upload.
    ftplib_rest_stor_resumes_upload [v4 v6]: Server::builder();
    /// APPE appends, and creates missing files.
    ftplib_appe_appends [v4 v6]: Server::builder();
    /// STOU replies `150 FILE: name` and stores under that new name.
    ftplib_stou_unique_names [v4 v6]: Server::builder();
    /// ABOR (urgent, as ftplib sends it) during a 50 MiB RETR: 426 then 226,
    /// and the session keeps working.
    ftplib_abor_during_retr [v4 v6]: Server::builder();
    /// ABOR after Telnet IP + Synch during a 50 MiB RETR: 426 then 226, and
    /// the session keeps working.
    ftplib_abor_with_telnet_synch [v4 v6]: Server::builder();
    /// ABOR with no transfer running: 225 or 226.
    ftplib_abor_without_transfer: Server::builder();
    /// NOOP and STAT are answered while a transfer is stalled.
    ftplib_control_answers_during_transfer: Server::builder();
    /// A client reset mid-STOR: 426/451, never 226, and no file left.
    ftplib_stor_reset_by_client [v4 v6]: Server::builder();
    /// UTF-8 names round-trip through MKD/PWD, STOR, NLST and RETR.
    ftplib_unicode_names [v4 v6]: Server::builder();
    /// A Latin-1 name round-trips as the same bytes.
    ftplib_non_utf8_names [v4 v6]: Server::builder();

    // Listings

    /// LIST -la gives `ls -l` lines with types, sizes and names.
    ftplib_list_la [v4 v6]: Server::builder();

    // Data connections

    /// LIST over PASV and over EPSV.
    ftplib_pasv_and_epsv_listing [v4 v6]: Server::builder();
    /// `--passive-ports` and `--public-address` shape the 227/229 replies.
    ftplib_passive_port_range: Server::builder()
        .args(&["--passive-ports", "50000-50100", "--public-address", "127.0.0.1"]);
    /// A passive data connection from another IP than the client's gets no
    /// data.
    ftplib_passive_refuses_foreign_peer: Server::builder();
    /// PORT and EPRT to the client's own address work.
    ftplib_active_port_and_eprt [v4 v6]: Server::builder();
    /// PORT/EPRT to a privileged port or a foreign address: 5xx at once.
    ftplib_port_bounce_refused [v4 v6]: Server::builder();
    /// `--active-any-address` lifts the PORT/EPRT restrictions.
    ftplib_active_any_address_allows_foreign_port [v4 v6]: Server::builder().arg("--active-any-address");
    /// After EPSV ALL, PASV/PORT/EPRT are refused and EPSV still works.
    ftplib_epsv_all [v4 v6]: Server::builder();

    // Command-line framing

    /// A command split across TCP segments (CR and LF apart) is one command.
    ftplib_crlf_split_across_segments: Server::builder();

    // Security and load

    /// `..` and symlinks never lead outside the root.
    ftplib_path_traversal_stays_in_root: Server::builder();
    /// 50 concurrent clients each STOR and RETR a distinct 64 KiB file
    /// intact (all from 127.0.0.1, so the cap on connections not yet
    /// logged in is raised from its 10 per address).
    ftplib_concurrent_clients: Server::builder().args(&["--max-unauthenticated-sessions-per-ip", "50"]);

    // Configuration file

    /// A users file gives bob his own root below the server root and carol
    /// (with an argon2 hash from `--hash-password`) read-only access to hers.
    ftplib_users_file_roots_and_read_only: users_file_server();
    /// `HOST reports.test` selects the `[[host]]` of that name, its users
    /// and its root; an unknown name gets 504.
    ftplib_host_selects_virtual_host [v4 v6]: Server::builder().config(VHOST_CONFIG);
    /// `[[passive.overrides]]` for the client's network replaces the
    /// public address in the 227 reply.
    ftplib_passive_address_by_client_network: Server::builder().config(OVERRIDE_CONFIG);
    /// An override for another network leaves the public address.
    ftplib_passive_address_without_matching_override: Server::builder().config(NO_MATCH_CONFIG);

    // Issue 6 data connections (data_modes.py)

    /// No PORT or PASV: RETR, STOR and LIST over the default data port, the
    /// server connecting from the control port minus one, three times in a
    /// row.
    ftplib_default_port_retr_stor_list [v4 v6]: Server::builder().default_port_friendly();
    /// MODE B over the default data port: one connection for everything.
    ftplib_mode_b_default_port [v4 v6]: Server::builder().default_port_friendly();
}

/// `reports.test`, and the server's own address as an IP literal
/// (`{loopback}`: `127.0.0.1` or `::1`).
const VHOST_CONFIG: &str = r#"
[[host]]
name = "reports.test"
root = "{base}/reports"

[[host.user]]
name = "uploader"
password = "up-pw"

[[host]]
name = "[{loopback}]"
root = "{base}/literal"

[[host.user]]
name = "literal"
password = "lit-pw"
"#;

const OVERRIDE_CONFIG: &str = r#"
[passive]
public_address = "192.0.2.10"

[[passive.overrides]]
network = "127.0.0.0/8"
address = "127.0.0.1"
"#;

const NO_MATCH_CONFIG: &str = r#"
[passive]
public_address = "192.0.2.10"

[[passive.overrides]]
network = "10.0.0.0/8"
address = "10.0.0.5"
"#;

/// A server whose config names a users file with bob (clear password,
/// own root) and carol (argon2 hash made by `wharfd --hash-password`,
/// read-only).
fn users_file_server() -> ServerBuilder {
    let hash = support::hash_password("carol-pw");
    let users = format!(
        r#"
[[user]]
name = "bob"
password = "bob-pw"
root = "bob"

[[user]]
name = "carol"
password_hash = "{hash}"
root = "carol"
writable = false
"#
    );
    Server::builder()
        .file("users.toml", &users)
        .config("users_file = \"users.toml\"\n")
}

/// Every test `suite.py --list` names has a Rust test here and the other way
/// round, so no protocol test is silently left out of `cargo test`. The
/// FTPS functions (`ftps_*`) have theirs in `e2e_ftps_ftplib.rs`, the
/// attacks (`hostile_*`) theirs in `hostile_session.rs`, the NAT
/// topologies' clients (`nat_*`) theirs in `e2e_nat/`, which check them
/// the same way.
#[test]
fn ftplib_suite_matches_rust_tests() {
    let in_suite: Vec<String> = support::suite_functions()
        .into_iter()
        .filter(|name| {
            !["ftps_", "blob_", "netns_", "hostile_", "nat_"]
                .iter()
                .any(|p| name.starts_with(p))
        })
        .map(|name| format!("ftplib_{name}"))
        .collect();
    let mut declared: Vec<String> = DECLARED.iter().map(|name| (*name).to_owned()).collect();
    declared.sort();
    assert_eq!(
        in_suite, declared,
        "suite.py functions and ftplib_* Rust tests differ"
    );
}
