//! End-to-end tests with the `lftp` client.
//!
//! Each test starts its own `wharfd` on 127.0.0.1 port 0 (and, for the
//! mirrors, again on `[::1]`: `case::v4`, `case::v6`) and runs one
//! `lftp -c "...; quit"` script against it, then compares, byte for byte,
//! what lftp left on either side with the source tree. lftp's protocol log
//! (`debug`) is written to a file so the tests can check which
//! data-connection commands were used, and is shown when a test fails.

use std::fs;
use std::path::Path;

use crate::support;

use support::{Family, LftpRun, Server, per_family, quoted, run_lftp};

/// Settings every script starts with: fail fast (one retry, 10 s timeouts,
/// exit on the first failing command), UTF-8 names on both sides, and plain
/// FTP (no AUTH TLS attempt: these tests are about FTP itself).
const SETTINGS: &str = "set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 10; \
     set net:reconnect-interval-base 1; set net:persist-retries 0; set ftp:ssl-allow no; \
     set ftp:charset utf-8; set file:charset utf-8; set xfer:clobber on";

/// Runs `lftp -c "SETTINGS; <mode settings>; open ...; <commands>; quit"`
/// with its own HOME (no rc files, history or logs from the machine).
fn lftp(server: &Server, mode_settings: &str, commands: &str) -> LftpRun {
    run_lftp(
        &server.url(),
        &format!("{SETTINGS}; {mode_settings}"),
        commands,
    )
}

/// Panics with lftp's output, its protocol log and the server log unless
/// lftp exited 0.
#[track_caller]
fn assert_success(run: &LftpRun, server: &Server) {
    assert!(
        run.finished.status.success(),
        "lftp failed\n{}\n--- wharfd stderr (tail) ---\n{}",
        run.report(),
        server.log_tail()
    );
}

per_family!(lftp_mirror_download);
per_family!(lftp_mirror_upload);

/// `mirror` downloads a nested tree of 50 files (0 B to 200 KiB, names with
/// spaces and Unicode, an empty directory) in passive mode (EPSV only on
/// IPv6); the local copy matches the server's root byte for byte.
fn lftp_mirror_download(family: Family) {
    let server = Server::builder().family(family).start();
    support::write_sample_tree(server.root());
    let local = tempfile::tempdir().expect("tempdir");
    let target = local.path().join("down");

    let run = lftp(
        &server,
        "set ftp:passive-mode on",
        &format!("mirror / {}", quoted(&target)),
    );
    assert_success(&run, &server);
    assert!(
        run.sent("PASV") || run.sent("EPSV"),
        "no passive command\n{}",
        run.report()
    );
    if family == Family::V6 {
        assert!(!run.sent("PASV"), "PASV on IPv6\n{}", run.report());
    }
    support::assert_same_tree(server.root(), &target);
}

/// `mirror -R` uploads the same tree over EPSV into a new directory; the
/// server's disk matches the source byte for byte.
fn lftp_mirror_upload(family: Family) {
    let server = Server::builder().family(family).start();
    let local = tempfile::tempdir().expect("tempdir");
    let source = local.path().join("tree");
    support::write_sample_tree(&source);

    let run = lftp(
        &server,
        "set ftp:passive-mode on; set ftp:prefer-epsv yes",
        &format!("mirror -R {} /up", quoted(&source)),
    );
    assert_success(&run, &server);
    assert!(run.sent("EPSV"), "lftp did not use EPSV\n{}", run.report());
    support::assert_same_tree(&source, &server.root().join("up"));
}

/// In active mode (no fallback to passive allowed), `put` then `get` of a
/// 1 MiB file round-trip byte-exact, and `ls` lists it.
///
/// IPv4 only: on a loopback connection lftp 4.9.2 leaves its data socket
/// unbound (`ftp:bind-data-socket` is ignored there) and, unlike for PORT,
/// does not put the control connection's address in its place, so it sends
/// `EPRT |2|::|port|`, which wharfd, like vsftpd and ProFTPD, refuses as
/// not the client's address.
#[test]
fn lftp_active_put_get() {
    let server = Server::start();
    let local = tempfile::tempdir().expect("tempdir");
    let data = support::pattern(1024 * 1024 + 5, 11);
    let source = support::write_file(local.path(), "src.bin", &data);
    let back = local.path().join("back.bin");

    let run = lftp(
        &server,
        "set ftp:passive-mode off; set ftp:auto-passive-mode no",
        &format!(
            "put {} -o /active.bin; get /active.bin -o {}; cls -1",
            quoted(&source),
            quoted(&back)
        ),
    );
    assert_success(&run, &server);
    assert!(
        run.sent("PORT") || run.sent("EPRT"),
        "no active command\n{}",
        run.report()
    );

    assert!(
        !run.sent("PASV") && !run.sent("EPSV"),
        "lftp used passive mode\n{}",
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

/// The tree comparison the mirror tests rely on does catch a missing file,
/// an extra file, a single changed byte and a missing empty directory (a
/// check of the harness itself).
#[test]
fn lftp_harness_detects_tree_differences() {
    let a = tempfile::tempdir().expect("tempdir");
    support::write_sample_tree(a.path());
    let differs = |change: &dyn Fn(&Path)| {
        let b = tempfile::tempdir().expect("tempdir");
        support::write_sample_tree(b.path());
        change(b.path());
        std::panic::catch_unwind(|| support::assert_same_tree(a.path(), b.path())).is_err()
    };
    assert!(!differs(&|_| {}), "identical trees reported as different");
    assert!(differs(
        &|b| fs::remove_file(b.join("empty.txt")).expect("remove")
    ));
    assert!(differs(&|b| {
        support::write_file(b, "docs/extra.txt", b"");
    }));
    assert!(differs(&|b| {
        let path = b.join("images/2024/max.bin");
        let mut bytes = support::read_file(&path);
        bytes[100_000] ^= 1;
        fs::write(&path, bytes).expect("write");
    }));
    assert!(differs(
        &|b| fs::remove_dir(b.join("empty dir")).expect("remove")
    ));
}
