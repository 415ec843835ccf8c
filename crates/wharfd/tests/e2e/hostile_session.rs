//! Hostile clients against the session engine (issue 17): waits that must
//! be bounded, the data channel's protection, passive ports, SITE CHMOD,
//! STOU and quotas. Each test starts its own `wharfd` with short timeouts
//! and runs one `hostile_*` function of `tests/ftplib/wharf_e2e/hostile.py`,
//! whose docstring says what it pins down.

use crate::support;

use support::{Server, ServerBuilder, suite_tests};

/// Timeouts short enough for a test: 2 s for the login, a control write, a
/// data stall, and the rate floor's window (1 KiB/s).
const SHORT_WAITS: &str = "\
[timeouts]
login_secs = 2
control_write_secs = 2
data_stall_secs = 2
data_minimum_window_secs = 2

[rate]
data_minimum = \"1KiB/s\"
";

fn short_waits() -> ServerBuilder {
    Server::builder().config(SHORT_WAITS)
}

suite_tests! {
    strip "";

    hostile_listing_reader_that_never_reads: short_waits();
    hostile_upload_trickle_hits_the_rate_floor: short_waits();
    hostile_pipelining_before_login_ends_at_the_login_deadline: short_waits();
    hostile_pipelining_after_login_ends_at_the_write_timeout: short_waits();
    hostile_prot_change_closes_a_kept_mode_b_connection:
        short_waits().tls().args(&["--default-data-port", "off"]);
    hostile_passive_ports_per_address_are_capped:
        Server::builder().config("[passive]\nmax_per_ip = 3\n");
    hostile_site_chmod_refuses_special_bits: Server::builder();
    hostile_stou_looks_once: Server::builder();
    hostile_quota_refuses_listings_at_the_limit: Server::builder().args(&["--quota", "200000"]);
    hostile_quota_counts_type_a_wire_bytes: Server::builder().args(&["--quota", "200000"]);
    hostile_silent_implicit_tls_client_ends_at_the_login_deadline:
        short_waits().tls().implicit();
    hostile_rein_gets_a_fresh_login_deadline: short_waits();
    hostile_throttled_download_is_not_cut_by_the_floor: Server::builder()
        .config(
            "[timeouts]\ndata_stall_secs = 2\ndata_minimum_window_secs = 1\n\
             [rate]\ndata_minimum = \"1MiB/s\"\nsession_download = \"500KiB\"\n",
        )
        .args(&["--sendfile", "off"]);
}

/// Every `hostile_*` suite function has its test here and the other way
/// round.
#[test]
fn hostile_suite_matches_rust_tests() {
    let in_suite: Vec<String> = support::suite_functions()
        .into_iter()
        .filter(|name| name.starts_with("hostile_"))
        .collect();
    let mut declared: Vec<String> = DECLARED.iter().map(|name| (*name).to_owned()).collect();
    declared.sort();
    assert_eq!(
        in_suite, declared,
        "hostile.py functions and Rust tests differ"
    );
}
