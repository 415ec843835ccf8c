//! End-to-end FTPS tests with the `lftp` client (GnuTLS).
//!
//! Each test starts its own `wharfd` with a throwaway self-signed
//! certificate (`--tls-self-signed`; lftp runs with
//! `ssl:verify-certificate no`) and runs one `lftp -c "...; quit"` script
//! over explicit FTPS (`ftp://` with `ftp:ssl-force`, AUTH TLS) or implicit
//! FTPS (`ftps://` to the implicit port), always with
//! `ftp:ssl-protect-data` (PBSZ 0, PROT P). It then compares, byte for byte,
//! what lftp left on either side, and checks from lftp's protocol log that
//! PROT P was accepted and that every data connection went through a TLS
//! handshake, so a silent fallback to clear text cannot pass.
//!
//! The mirrors run on `127.0.0.1` and on `[::1]` (`case::v4`, `case::v6`);
//! the upload sizes, about TLS and not the network, and active mode (see
//! `lftp_ftps_active_put_get`) on IPv4.

use crate::support;

use support::{Family, LftpRun, Server, per_family, quoted, run_lftp};

/// Settings every script starts with: fail fast (one retry, 10 s timeouts,
/// exit on the first failing command), UTF-8 names on both sides, and TLS
/// on control and data with the test certificate accepted.
const SETTINGS: &str = "set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 10; \
     set net:reconnect-interval-base 1; set net:persist-retries 0; \
     set ftp:charset utf-8; set file:charset utf-8; set xfer:clobber on; \
     set ftp:ssl-allow yes; set ftp:ssl-force true; set ftp:ssl-protect-data true; \
     set ftp:ssl-protect-list true; set ssl:verify-certificate no";

/// GnuTLS priority strings pinning the protocol version.
const TLS12: &str = "set ssl:priority \"NORMAL:-VERS-ALL:+VERS-TLS1.2\"";
const TLS13: &str = "set ssl:priority \"NORMAL:-VERS-ALL:+VERS-TLS1.3\"";

/// Upload sizes around TLS record (16 KiB) and buffer (64 KiB) boundaries.
const SIZES: &[usize] = &[
    0,
    1,
    1000,
    16_384,
    65_535,
    65_536,
    65_537,
    1024 * 1024 + 3,
    8 * 1024 * 1024,
];

/// Which listener a script opens.
#[derive(Clone, Copy)]
enum Mode {
    /// `ftp://` on the normal port, AUTH TLS.
    Explicit,
    /// `ftps://` on the implicit port.
    Implicit,
}

/// Runs `lftp -c "SETTINGS; <extra>; open ...; <commands>; quit"` with its
/// own HOME (no rc files, history or logs from the machine).
fn lftp(server: &Server, mode: Mode, extra: &str, commands: &str) -> LftpRun {
    let url = match mode {
        Mode::Explicit => server.url(),
        Mode::Implicit => server.ftps_url(),
    };
    run_lftp(&url, &format!("{SETTINGS}; {extra}"), commands)
}

/// Panics with lftp's output, its protocol log and the server log unless
/// lftp exited 0; then asserts TLS was in force: AUTH TLS accepted (explicit
/// only), PROT P accepted, and at least `data_connections` data connections,
/// each with a TLS handshake.
#[track_caller]
fn assert_protected_success(run: &LftpRun, server: &Server, mode: Mode, data_connections: usize) {
    assert!(
        run.finished.status.success(),
        "lftp failed\n{}\n--- wharfd stderr (tail) ---\n{}",
        run.report(),
        server.log_tail()
    );
    if let Mode::Explicit = mode {
        assert_eq!(
            run.reply_to("AUTH TLS").as_deref(),
            Some("234"),
            "AUTH TLS\n{}",
            run.report()
        );
    }
    assert_eq!(
        run.reply_to("PROT P").as_deref(),
        Some("200"),
        "PROT P\n{}",
        run.report()
    );
    let seen = run.tls_data_connections();
    assert!(
        seen >= data_connections,
        "expected at least {data_connections} TLS data connections, saw {seen}\n{}",
        run.report()
    );
}

/// `mirror` down then `mirror -R` up the 50-file sample tree (names with
/// spaces and Unicode, an empty directory) with `mode` on `family`; both
/// copies match byte for byte.
fn mirror_both_ways(mode: Mode, family: Family) {
    let server = Server::builder().tls().implicit().family(family).start();
    support::write_sample_tree(server.root());
    let local = tempfile::tempdir().expect("tempdir");
    let down = local.path().join("down");

    let run = lftp(
        &server,
        mode,
        "set ftp:passive-mode on",
        &format!("mirror / {}", quoted(&down)),
    );
    assert_protected_success(&run, &server, mode, 40);
    support::assert_same_tree(server.root(), &down);

    let run = lftp(
        &server,
        mode,
        "set ftp:passive-mode on; set ftp:prefer-epsv yes",
        &format!("mirror -R {} /up", quoted(&down)),
    );
    assert_protected_success(&run, &server, mode, 40);
    // `down` now also holds nothing but the tree; `/up` must equal it.
    support::assert_same_tree(&down, &server.root().join("up"));
}

/// Uploads a file of every size in [`SIZES`] in one session with `extra`
/// settings (the TLS version), checks each on the server's disk byte for
/// byte, then downloads the largest back.
fn upload_sizes(server: &Server, mode: Mode, extra: &str, seed: u64) {
    let local = tempfile::tempdir().expect("tempdir");
    let mut commands = Vec::new();
    let mut files = Vec::new();
    for (i, &size) in SIZES.iter().enumerate() {
        let data = support::pattern(size, seed + i as u64);
        let source = support::write_file(local.path(), &format!("up-{size}.bin"), &data);
        commands.push(format!("put {} -o /size-{size}.bin", quoted(&source)));
        files.push((size, data));
    }
    let back = local.path().join("back.bin");
    let largest = SIZES.iter().max().expect("sizes");
    commands.push(format!("get /size-{largest}.bin -o {}", quoted(&back)));

    let run = lftp(
        server,
        mode,
        &format!("set ftp:passive-mode on; {extra}"),
        &commands.join("; "),
    );
    assert_protected_success(&run, server, mode, SIZES.len() + 1);
    for (size, data) in &files {
        let path = server.root().join(format!("size-{size}.bin"));
        assert!(
            path.is_file(),
            "size-{size}.bin is not on the server's disk\n{}",
            run.report()
        );
        support::assert_same_bytes(
            &format!("uploaded size-{size}.bin"),
            data,
            &support::read_file(&path),
        );
    }
    let (_, largest_data) = files.last().expect("sizes");
    support::assert_same_bytes(
        "downloaded the largest file",
        largest_data,
        &support::read_file(&back),
    );
}

per_family!(lftp_ftps_explicit_mirror);
per_family!(lftp_ftps_implicit_mirror);

/// Explicit FTPS: `mirror` and `mirror -R` of the sample tree, byte-exact.
fn lftp_ftps_explicit_mirror(family: Family) {
    mirror_both_ways(Mode::Explicit, family);
}

/// Implicit FTPS: `mirror` and `mirror -R` of the sample tree, byte-exact.
fn lftp_ftps_implicit_mirror(family: Family) {
    mirror_both_ways(Mode::Implicit, family);
}

/// TLS 1.3 (GnuTLS priority), explicit: uploads of 0 B to 8 MiB land
/// byte-exact (no truncation at the end of a TLS upload).
#[test]
fn lftp_ftps_upload_sizes_tls13() {
    let server = Server::builder().tls().start();
    upload_sizes(&server, Mode::Explicit, TLS13, 100);
}

/// TLS 1.3, implicit: the same uploads, byte-exact.
#[test]
fn lftp_ftps_implicit_upload_sizes_tls13() {
    let server = Server::builder().tls().implicit().start();
    upload_sizes(&server, Mode::Implicit, TLS13, 120);
}

/// TLS 1.2 (GnuTLS priority), explicit, default `--tls-reuse-required
/// true`: the same uploads, byte-exact.
#[test]
fn lftp_ftps_upload_sizes_tls12() {
    let server = Server::builder().tls().start();
    upload_sizes(&server, Mode::Explicit, TLS12, 140);
}

/// TLS 1.2 with `--tls-reuse-required false`: the same uploads, byte-exact
/// (the end-of-upload handling under TLS 1.2, apart from the reuse check).
#[test]
fn lftp_ftps_upload_sizes_tls12_without_reuse_check() {
    let server = Server::builder()
        .tls()
        .args(&["--tls-reuse-required", "false"])
        .start();
    upload_sizes(&server, Mode::Explicit, TLS12, 160);
}

/// In active mode under PROT P (no fallback to passive), `put` then `get`
/// of a 1 MiB file round-trip byte-exact and `cls -1` lists it. IPv4 only,
/// for the reason `e2e_lftp::lftp_active_put_get` gives (lftp's
/// `EPRT |2|::|port|` on loopback).
#[test]
fn lftp_ftps_active_put_get() {
    let server = Server::builder().tls().start();
    let local = tempfile::tempdir().expect("tempdir");
    let data = support::pattern(1024 * 1024 + 5, 11);
    let source = support::write_file(local.path(), "src.bin", &data);
    let back = local.path().join("back.bin");

    let run = lftp(
        &server,
        Mode::Explicit,
        "set ftp:passive-mode off; set ftp:auto-passive-mode no",
        &format!(
            "put {} -o /active.bin; get /active.bin -o {}; cls -1",
            quoted(&source),
            quoted(&back)
        ),
    );
    assert!(
        run.finished.status.success(),
        "lftp failed\n{}\n--- wharfd stderr (tail) ---\n{}",
        run.report(),
        server.log_tail()
    );
    assert_eq!(run.reply_to("PROT P").as_deref(), Some("200"), "PROT P");
    assert!(
        run.reply_to("PORT").is_some() || run.reply_to("EPRT").is_some(),
        "no active command\n{}",
        run.report()
    );
    assert!(
        run.reply_to("PASV").is_none() && run.reply_to("EPSV").is_none(),
        "lftp used passive mode\n{}",
        run.report()
    );
    // The control connection, then put, get and cls each over TLS.
    assert!(
        run.tls_handshakes() >= 4,
        "expected 4 TLS handshakes, lftp reported {}\n{}",
        run.tls_handshakes(),
        run.report()
    );
    support::assert_same_bytes(
        "stored active.bin",
        &data,
        &support::read_file(&server.root().join("active.bin")),
    );
    support::assert_same_bytes("downloaded active.bin", &data, &support::read_file(&back));
    assert_eq!(
        run.finished.stdout_text().trim(),
        "active.bin",
        "cls -1 output"
    );
}
