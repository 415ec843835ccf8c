//! End-to-end FTPS tests with the `curl` command-line client that have no
//! plain-FTP form; the cases that exist in both (download, upload,
//! listing, active mode) run in plain FTP and explicit FTPS from
//! `e2e_curl.rs`.
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

use crate::support;

use std::path::{Path, PathBuf};

use support::{
    Family, Server, assert_protected, assert_stored, assert_success, assert_used, curl, per_family,
    reply_to,
};

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
            let data = support::pattern(size, seed + i as u64);
            let path = support::write_file(dir, &format!("up-{size}.bin"), &data);
            (size, path, data)
        })
        .collect()
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

per_family!(curl_ftps_implicit_download_upload);

/// Implicit FTPS (`ftps://` to the implicit port, on `127.0.0.1` and on
/// `[::1]`): a 3 MiB download and a 2 MiB+7 upload are byte-exact over TLS
/// data connections; curl never sends AUTH there.
fn curl_ftps_implicit_download_upload(family: Family) {
    let server = Server::builder().tls().implicit().family(family).start();
    let data = support::pattern(3 * 1024 * 1024, 3);
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

    let up = support::pattern(2 * 1024 * 1024 + 7, 4);
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

/// Several downloads in one curl run (one control connection) under the
/// default policy, which refuses a data connection that does not resume
/// the control session. curl up to 8.11 with OpenSSL uses a TLS 1.3
/// session once (curl#4654), so only fresh tickets let its next data
/// connection resume: wharfd hands them out on every data connection it
/// sends on. Without them the second download ends with no data (curl 18).
#[test]
fn curl_ftps_many_downloads_one_session_resume_every_data_connection() {
    let server = Server::builder()
        .tls()
        .prepare_root(|root| {
            for n in 0..4u64 {
                let data = support::pattern(100_000 + n as usize * 7, 90 + n);
                std::fs::write(root.join(format!("get-{n}.bin")), data).expect("seed a file");
            }
        })
        .start();
    let local = tempfile::tempdir().expect("tempdir");
    let outs: Vec<String> = (0..4)
        .map(|n| out_path(local.path(), &format!("get-{n}.bin")))
        .collect();
    let urls: Vec<String> = (0..4)
        .map(|n| format!("{}/get-{n}.bin", server.url()))
        .collect();
    let mut args = vec!["--ssl-reqd", "--tlsv1.3"];
    for (url, out) in urls.iter().zip(&outs) {
        args.extend([url.as_str(), "-o", out.as_str()]);
    }
    let finished = curl(&args);
    assert_success(&finished, &server);
    let log = finished.stderr_text();
    let controls = log.matches("> USER ").count();
    assert_eq!(
        controls,
        1,
        "curl logged in {controls} times\n{}",
        finished.report()
    );
    for (n, out) in outs.iter().enumerate() {
        let expected = support::pattern(100_000 + n * 7, 90 + n as u64);
        let got = std::fs::read(out).expect("a downloaded file");
        assert!(
            got == expected,
            "get-{n}.bin differs\n{}",
            finished.report()
        );
    }
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
