//! End-to-end FTPS tests with the `curl` command-line client.
//!
//! Each test starts its own `wharfd` with a throwaway self-signed
//! certificate (`--tls-self-signed`, so curl runs with `-k`) and drives it
//! with curl over explicit FTPS (`--ssl-reqd` on `ftp://`: AUTH TLS, PBSZ,
//! PROT P) or implicit FTPS (`ftps://`). The checks are on what matters:
//! the bytes downloaded, the file on the server's disk right after curl
//! reports success, and, from curl's `-v` log, that TLS really protected
//! the data connections (PROT P accepted with 200, one TLS handshake per
//! connection, the data connection resuming the control session), so a
//! silent fallback to clear text cannot pass.
//!
//! The upload-size tests are about data loss at the end of a TLS upload:
//! curl closes its data connection right after sending, and a server that
//! leaves TLS 1.3 session tickets unread there, or replies 226 before
//! reading the client's close_notify, stores truncated files.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::{Finished, PASSWORD, Server, USER, assert_success, assert_used, reply_to};

/// Longest one curl run may take.
const CURL_TIMEOUT: Duration = Duration::from_secs(25);

/// Upload sizes around TLS record (16 KiB) and buffer (64 KiB) boundaries,
/// up to 8 MiB.
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

/// Runs `curl -v -k` with the test user's credentials and the given
/// arguments.
fn curl(args: &[&str]) -> Finished {
    support::require_tool("curl", "curl");
    support::run(
        Command::new("curl")
            // First, so that no ~/.curlrc is read.
            .arg("--disable")
            .args(["--silent", "--show-error", "--verbose", "--noproxy", "*"])
            .args(["--insecure", "--connect-timeout", "5", "--max-time", "20"])
            .args(["--user", &format!("{USER}:{PASSWORD}")])
            .args(args),
        CURL_TIMEOUT,
    )
}

/// Asserts, from curl's `-v` log, that the data was protected: PROT P got
/// 200, at least `connections` TLS handshakes of `version` (e.g.
/// "TLSv1.3"; any when None) completed (the control connection plus one per
/// data connection), and curl resumed the control session for its data
/// connections.
#[track_caller]
fn assert_protected(finished: &Finished, version: Option<&str>, connections: usize) {
    assert_used(finished, "PROT P", &["200"]);
    let log = finished.stderr_text();
    let handshakes: Vec<&str> = log
        .lines()
        .filter_map(|line| line.strip_prefix("* SSL connection using "))
        .collect();
    assert!(
        handshakes.len() >= connections,
        "expected at least {connections} TLS connections (control + data), curl shows {handshakes:?}\n{}",
        finished.report()
    );
    if let Some(version) = version {
        assert!(
            handshakes.iter().all(|h| h.starts_with(version)),
            "expected only {version}, curl negotiated {handshakes:?}"
        );
    }
    assert!(
        log.contains("SSL re-using session ID"),
        "curl did not resume the control session on a data connection\n{}",
        finished.report()
    );
}

fn path_text(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

fn out_path(dir: &Path, name: &str) -> String {
    path_text(&dir.join(name)).to_owned()
}

/// Writes one local file per size in [`SIZES`] (distinct random bytes);
/// returns (size, local path, bytes).
fn size_files(dir: &Path, seed: u64) -> Vec<(usize, PathBuf, Vec<u8>)> {
    SIZES
        .iter()
        .enumerate()
        .map(|(i, &size)| {
            let data = support::random_bytes(size, seed + i as u64);
            let path = support::write_file(dir, &format!("up-{size}.bin"), &data);
            (size, path, data)
        })
        .collect()
}

/// Asserts the server's disk holds `data` as `name`, right after curl
/// reported the upload done.
#[track_caller]
fn assert_stored(server: &Server, name: &str, data: &[u8]) {
    let path = server.root().join(name);
    assert!(
        path.is_file(),
        "{name} is not on the server's disk\n--- wharfd stderr (tail) ---\n{}",
        server.log_tail()
    );
    support::assert_same_bytes(
        &format!("uploaded {name}"),
        data,
        &support::read_file(&path),
    );
}

/// Uploads every size with `tls_args`, one curl run (so one control
/// connection, one TLS session and one data connection) per file, over
/// explicit then implicit FTPS; checks each file on disk byte for byte as
/// soon as curl is done, and that TLS `version` protected every connection.
///
/// One run per file because curl 7.88 with OpenSSL offers each TLS 1.3
/// ticket only once, so its second data connection on one control
/// connection does a full handshake, which a server requiring session reuse
/// refuses (curl#4654; vsftpd behaves the same);
/// `curl_ftps_many_uploads_one_session` covers many uploads per session.
fn upload_sizes(server: &Server, tls_args: &[&str], version: &str, seed: u64) {
    let local = tempfile::tempdir().expect("tempdir");
    let files = size_files(local.path(), seed);

    for (size, source, data) in &files {
        for (kind, base) in [("explicit", server.url()), ("implicit", server.ftps_url())] {
            let name = format!("{kind}-{size}.bin");
            let url = format!("{base}/{name}");
            let mut args = tls_args.to_vec();
            args.extend(["--ssl-reqd", "-T", path_text(source), &url]);
            let finished = curl(&args);
            assert_success(&finished, server);
            assert_used(&finished, "STOR", &["150", "125"]);
            assert_protected(&finished, Some(version), 2);
            assert_stored(server, &name, data);
        }
    }
}

/// Explicit FTPS (`--ssl-reqd` on ftp://): a 3 MiB download and a 2 MiB+7
/// upload over EPSV are byte-exact, with AUTH, PBSZ 0 and PROT P accepted
/// and both data connections TLS, resuming the control session.
#[test]
fn curl_ftps_explicit_download_upload() {
    let server = Server::builder().tls().start();
    let data = support::random_bytes(3 * 1024 * 1024, 1);
    support::write_file(server.root(), "dir/big.bin", &data);
    let local = tempfile::tempdir().expect("tempdir");
    let out = out_path(local.path(), "big.bin");

    let finished = curl(&[
        "--ssl-reqd",
        "-o",
        &out,
        &format!("{}/dir/big.bin", server.url()),
    ]);
    assert_success(&finished, &server);
    assert_used(&finished, "AUTH", &["234"]);
    assert_used(&finished, "PBSZ 0", &["200"]);
    assert_used(&finished, "EPSV", &["229"]);
    assert_protected(&finished, None, 2);
    support::assert_same_bytes(
        "downloaded dir/big.bin",
        &data,
        &support::read_file(Path::new(&out)),
    );

    let up = support::random_bytes(2 * 1024 * 1024 + 7, 2);
    let source = support::write_file(local.path(), "up.bin", &up);
    let finished = curl(&[
        "--ssl-reqd",
        "-T",
        path_text(&source),
        &format!("{}/dir/up.bin", server.url()),
    ]);
    assert_success(&finished, &server);
    assert_used(&finished, "STOR", &["150", "125"]);
    assert_protected(&finished, None, 2);
    assert_stored(&server, "dir/up.bin", &up);
}

/// Implicit FTPS (`ftps://` to the implicit port): a 3 MiB download and a
/// 2 MiB+7 upload are byte-exact over TLS data connections; curl never
/// sends AUTH there.
#[test]
fn curl_ftps_implicit_download_upload() {
    let server = Server::builder().tls().implicit().start();
    let data = support::random_bytes(3 * 1024 * 1024, 3);
    support::write_file(server.root(), "big.bin", &data);
    let local = tempfile::tempdir().expect("tempdir");
    let out = out_path(local.path(), "big.bin");

    let finished = curl(&["-o", &out, &format!("{}/big.bin", server.ftps_url())]);
    assert_success(&finished, &server);
    assert!(
        reply_to(&finished, "AUTH").is_none(),
        "curl sent AUTH on the implicit port\n{}",
        finished.report()
    );
    assert_protected(&finished, None, 2);
    support::assert_same_bytes(
        "downloaded big.bin",
        &data,
        &support::read_file(Path::new(&out)),
    );

    let up = support::random_bytes(2 * 1024 * 1024 + 7, 4);
    let source = support::write_file(local.path(), "up.bin", &up);
    let finished = curl(&[
        "-T",
        path_text(&source),
        &format!("{}/up.bin", server.ftps_url()),
    ]);
    assert_success(&finished, &server);
    assert_protected(&finished, None, 2);
    assert_stored(&server, "up.bin", &up);
}

/// TLS 1.3 (`--tlsv1.3`): uploads of 0 B to 8 MiB, explicit and implicit,
/// land byte-exact on disk as soon as curl reports success (no truncation
/// at the end of a TLS upload).
#[test]
fn curl_ftps_upload_sizes_tls13() {
    let server = Server::builder().tls().implicit().start();
    upload_sizes(&server, &["--tlsv1.3"], "TLSv1.3", 10);
}

/// TLS 1.2 (`--tlsv1.2 --tls-max 1.2`): the same uploads, byte-exact, with
/// the default `--tls-reuse-required true` (curl resumes by session ID).
#[test]
fn curl_ftps_upload_sizes_tls12() {
    let server = Server::builder().tls().implicit().start();
    upload_sizes(&server, &["--tlsv1.2", "--tls-max", "1.2"], "TLSv1.2", 30);
}

/// TLS 1.2 with `--tls-reuse-required false`: the same uploads, byte-exact
/// (the end-of-upload handling under TLS 1.2, apart from the reuse check).
#[test]
fn curl_ftps_upload_sizes_tls12_without_reuse_check() {
    let server = Server::builder()
        .tls()
        .implicit()
        .args(&["--tls-reuse-required", "false"])
        .start();
    upload_sizes(&server, &["--tlsv1.2", "--tls-max", "1.2"], "TLSv1.2", 50);
}

/// Every size uploaded in one curl run (one control connection, a data
/// connection per file) under TLS 1.3, with `--tls-reuse-required false`
/// (see [`upload_sizes`] for why curl cannot resume more than once): every
/// file lands byte-exact and every data connection is TLS.
#[test]
fn curl_ftps_many_uploads_one_session() {
    let server = Server::builder()
        .tls()
        .implicit()
        .args(&["--tls-reuse-required", "false"])
        .start();
    let local = tempfile::tempdir().expect("tempdir");
    let files = size_files(local.path(), 70);
    let urls: Vec<String> = files
        .iter()
        .map(|(size, _, _)| format!("{}/many-{size}.bin", server.ftps_url()))
        .collect();
    let mut args = vec!["--tlsv1.3"];
    for ((_, source, _), url) in files.iter().zip(&urls) {
        args.extend(["-T", path_text(source), url.as_str()]);
    }
    let finished = curl(&args);
    assert_success(&finished, &server);
    assert_used(&finished, "PROT P", &["200"]);
    let log = finished.stderr_text();
    let handshakes = log.matches("* SSL connection using TLSv1.3").count();
    assert!(
        handshakes > files.len(),
        "expected {} TLS 1.3 connections (control + one per upload), curl shows {handshakes}\n{}",
        files.len() + 1,
        finished.report()
    );
    let controls = log.matches("> USER ").count();
    assert_eq!(
        controls,
        1,
        "curl logged in {controls} times, not once\n{}",
        finished.report()
    );
    for (size, _, data) in &files {
        assert_stored(&server, &format!("many-{size}.bin"), data);
    }
}

/// Under PROT P, a URL ending in `/` prints the directory's LIST and
/// `--list-only` exactly its names (NLST), over TLS data connections.
#[test]
fn curl_ftps_list_directory() {
    let server = Server::builder().tls().start();
    support::write_file(server.root(), "docs/a.txt", b"a");
    support::write_file(server.root(), "docs/b file.txt", b"bb");
    support::write_file(server.root(), "docs/sub/c.txt", b"ccc");
    let url = format!("{}/docs/", server.url());

    let finished = curl(&["--ssl-reqd", &url]);
    assert_success(&finished, &server);
    assert_protected(&finished, None, 2);
    let listing = finished.stdout_text();
    let lines: Vec<&str> = listing
        .lines()
        .filter(|l| !l.starts_with("total"))
        .collect();
    assert_eq!(lines.len(), 3, "LIST printed:\n{listing}");
    for (name, kind) in [("a.txt", '-'), ("b file.txt", '-'), ("sub", 'd')] {
        assert!(
            lines
                .iter()
                .any(|l| l.ends_with(&format!(" {name}")) && l.starts_with(kind)),
            "LIST lacks a `{kind}` line for {name}:\n{listing}"
        );
    }

    let finished = curl(&["--ssl-reqd", "--list-only", &url]);
    assert_success(&finished, &server);
    assert_protected(&finished, None, 2);
    let mut names: Vec<String> = finished.stdout_text().lines().map(str::to_owned).collect();
    names.sort();
    assert_eq!(names, ["a.txt", "b file.txt", "sub"], "NLST names");
}

/// Active mode under PROT P (`-P 127.0.0.1`: EPRT, the server connects and
/// is the TLS server on the data connection): a 1 MiB+1 upload and its
/// download are byte-exact.
///
/// Ignored: curl 7.87.0 to 7.88.x (Debian 12 ships 7.88.1) never starts TLS
/// on an active data connection and fails with "sa_addr inet_ntop()
/// failed" (curl#10666, fixed in 8.0.0). Run it with `--ignored` where curl
/// is newer; active PROT P is also covered by `lftp_ftps_active_put_get`
/// and `ftplib_ftps_stor_retr_prot_p`.
#[test]
#[ignore = "curl 7.87-7.88 cannot do active FTPS (curl#10666)"]
fn curl_ftps_active_prot_p() {
    let server = Server::builder().tls().start();
    let local = tempfile::tempdir().expect("tempdir");
    let data = support::random_bytes(1024 * 1024 + 1, 6);
    let source = support::write_file(local.path(), "up.bin", &data);
    let url = format!("{}/active.bin", server.url());

    let finished = curl(&[
        "--ssl-reqd",
        "-P",
        "127.0.0.1",
        "-T",
        path_text(&source),
        &url,
    ]);
    assert_success(&finished, &server);
    assert_used(&finished, "EPRT", &["200"]);
    assert_protected(&finished, None, 2);
    assert_stored(&server, "active.bin", &data);

    let out = out_path(local.path(), "back.bin");
    let finished = curl(&["--ssl-reqd", "-P", "127.0.0.1", "-o", &out, &url]);
    assert_success(&finished, &server);
    assert_used(&finished, "EPRT", &["200"]);
    assert_protected(&finished, None, 2);
    support::assert_same_bytes(
        "downloaded active.bin",
        &data,
        &support::read_file(Path::new(&out)),
    );
}

/// The checks above can fail: against a server without TLS, `--ssl-reqd`
/// makes curl fail (exit 64, "requested FTP SSL level failed") and transfer
/// nothing.
#[test]
fn curl_ftps_ssl_reqd_fails_without_tls() {
    let server = Server::start();
    support::write_file(server.root(), "f.txt", b"clear");
    let local = tempfile::tempdir().expect("tempdir");
    let out = out_path(local.path(), "f.txt");

    let finished = curl(&["--ssl-reqd", "-o", &out, &format!("{}/f.txt", server.url())]);
    assert_eq!(
        finished.status.code(),
        Some(64),
        "expected curl's FTP-SSL-level-failed exit code\n{}",
        finished.report()
    );
    assert!(!Path::new(&out).exists(), "something was downloaded");
}
