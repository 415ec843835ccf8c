//! End-to-end tests with the `curl` command-line client, in plain FTP and,
//! for the cases that exist in both forms, in explicit FTPS too, on IPv4
//! and IPv6 (`both_families!`: one `#[test]` per family and form,
//! `case::v4_plain`, `case::v4_ftps`, `case::v6_plain` and `case::v6_ftps`).
//! FTPS-only cases (implicit FTPS, upload sizes around TLS record
//! boundaries) are in `e2e_ftps_curl.rs`; PASV and PORT, which RFC 2428
//! replaces on IPv6, run on IPv4 only.
//!
//! Each test starts its own `wharfd` on 127.0.0.1 (or `[::1]`) port 0 and
//! runs `curl` as a user would, then checks what the user sees: the bytes downloaded, the
//! file on the server's disk, the listing printed. curl runs with `-v` so
//! the tests can also check which data-connection command (EPSV, PASV, EPRT,
//! PORT) was really used: curl silently falls back from EPSV to PASV and from
//! EPRT to PORT, which would otherwise hide a broken command; in FTPS, that
//! TLS protected every data connection (`support::assert_protected`).

use crate::support;

use std::path::Path;

use support::{
    Family, Server, Tls, USER, assert_stored, assert_success, assert_used, curl, reply_to,
};

fn out_path(dir: &Path, name: &str) -> String {
    dir.join(name)
        .to_str()
        .expect("temporary paths are UTF-8")
        .to_owned()
}

/// Declares a case, a function taking the [`Family`] and the [`Tls`] form,
/// as one `#[test]` per family and form: `case::v4_plain`, `case::v4_ftps`,
/// `case::v6_plain` and `case::v6_ftps` (the FTPS ones with the attributes
/// given after `ftps:`, for a client that cannot do that form).
macro_rules! both_families {
    ($case:ident $(, ftps: #[$attr:meta])?) => {
        mod $case {
            use super::*;

            #[test]
            fn v4_plain() {
                super::$case(Family::V4, Tls::Plain)
            }

            #[test]
            $(#[$attr])?
            fn v4_ftps() {
                super::$case(Family::V4, Tls::Explicit)
            }

            #[test]
            fn v6_plain() {
                super::$case(Family::V6, Tls::Plain)
            }

            #[test]
            $(#[$attr])?
            fn v6_ftps() {
                super::$case(Family::V6, Tls::Explicit)
            }
        }
    };
}

both_families!(curl_download_epsv);
both_families!(curl_upload_epsv);
both_families!(curl_list_directory);
both_families!(
    curl_active_eprt_upload_and_download,
    ftps: #[ignore = "curl 7.87-7.88 cannot do active FTPS (curl#10666)"]
);

/// A ~3 MiB random file downloads byte-exact over EPSV, curl's default
/// passive mode (the server answers EPSV with 229, no fallback to PASV). In
/// FTPS, AUTH, PBSZ 0 and PROT P are accepted and the data connection is
/// TLS, resuming the control session.
fn curl_download_epsv(family: Family, tls: Tls) {
    let server = tls.server().family(family).start();
    let data = support::pattern(3 * 1024 * 1024 + 123, 1);
    support::write_file(server.root(), "big.bin", &data);
    let local = tempfile::tempdir().expect("tempdir");
    let out = out_path(local.path(), "big.bin");

    let finished = tls.curl(&["-o", &out, &format!("{}/big.bin", server.url())]);
    assert_success(&finished, &server);
    if tls == Tls::Explicit {
        assert_used(&finished, "AUTH", &["234"]);
        assert_used(&finished, "PBSZ 0", &["200"]);
    }
    assert_used(&finished, "EPSV", &["229"]);
    assert_eq!(reply_to(&finished, "PASV"), None, "curl fell back to PASV");
    tls.assert_protected(&finished, 2);
    support::assert_same_bytes(
        "downloaded big.bin",
        &data,
        &support::read_file(Path::new(&out)),
    );
}

/// `curl -T` uploads a file over EPSV; the server's disk holds the same
/// bytes as soon as curl reports success (in FTPS, over a TLS data
/// connection).
fn curl_upload_epsv(family: Family, tls: Tls) {
    let server = tls.server().family(family).start();
    let local = tempfile::tempdir().expect("tempdir");
    let data = support::pattern(3 * 1024 * 1024 + 7, 3);
    let source = support::write_file(local.path(), "up.bin", &data);

    let finished = tls.curl(&[
        "-T",
        source.to_str().expect("UTF-8 path"),
        &format!("{}/up.bin", server.url()),
    ]);
    assert_success(&finished, &server);
    assert_used(&finished, "EPSV", &["229"]);
    assert_used(&finished, "STOR", &["150", "125"]);
    tls.assert_protected(&finished, 2);
    assert_stored(&server, "up.bin", &data);
}

/// A URL ending in `/` prints the directory's LIST (one `ls -l` line per
/// entry, name last), and `--list-only` prints exactly the names (NLST);
/// in FTPS, over TLS data connections.
fn curl_list_directory(family: Family, tls: Tls) {
    let server = tls.server().family(family).start();
    support::write_file(server.root(), "docs/a.txt", b"a");
    support::write_file(server.root(), "docs/b file.txt", b"bb");
    support::write_file(server.root(), "docs/sub/c.txt", b"ccc");
    let url = format!("{}/docs/", server.url());

    let finished = tls.curl(&[&url]);
    assert_success(&finished, &server);
    tls.assert_protected(&finished, 2);
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

    let finished = tls.curl(&["--list-only", &url]);
    assert_success(&finished, &server);
    tls.assert_protected(&finished, 2);
    let mut names: Vec<String> = finished.stdout_text().lines().map(str::to_owned).collect();
    names.sort();
    assert_eq!(names, ["a.txt", "b file.txt", "sub"], "NLST names");
}

/// Active mode over EPRT (the server connects; in FTPS it is the TLS
/// server on the data connection): an upload with `-P 127.0.0.1` (`-P ::1`
/// on IPv6, EPRT `|2|`) and its download with `-P -` (the control
/// connection's address) are byte-exact.
///
/// FTPS is ignored: curl 7.87.0 to 7.88.x (Debian 12 ships 7.88.1) never
/// starts TLS on an active data connection and fails with "sa_addr
/// inet_ntop() failed" (curl#10666, fixed in 8.0.0). Run it with
/// `--ignored` where curl is newer; active PROT P is also covered by
/// `lftp_ftps_active_put_get` and `ftplib_ftps_stor_retr_prot_p`.
fn curl_active_eprt_upload_and_download(family: Family, tls: Tls) {
    let server = tls.server().family(family).start();
    let local = tempfile::tempdir().expect("tempdir");
    let data = support::pattern(1024 * 1024 + 1, 5);
    let source = support::write_file(local.path(), "up.bin", &data);
    let url = format!("{}/active.bin", server.url());

    let finished = tls.curl(&[
        "-P",
        &family.host(),
        "-T",
        source.to_str().expect("UTF-8 path"),
        &url,
    ]);
    assert_success(&finished, &server);
    assert_used(&finished, eprt(family), &["200"]);
    tls.assert_protected(&finished, 2);
    assert_stored(&server, "active.bin", &data);

    let out = out_path(local.path(), "back.bin");
    let finished = tls.curl(&["-P", "-", "-o", &out, &url]);
    assert_success(&finished, &server);
    assert_used(&finished, eprt(family), &["200"]);
    tls.assert_protected(&finished, 2);
    support::assert_same_bytes(
        "downloaded active.bin",
        &data,
        &support::read_file(Path::new(&out)),
    );
}

/// The start of the EPRT command curl sends in `family` (RFC 2428 2: `|1|`
/// for IPv4, `|2|` for IPv6).
fn eprt(family: Family) -> &'static str {
    match family {
        Family::V4 => "EPRT |1|127.0.0.1|",
        Family::V6 => "EPRT |2|::1|",
    }
}

/// With `--disable-epsv`, the download goes over PASV (227) and is
/// byte-exact.
#[test]
fn curl_download_pasv() {
    let server = Server::start();
    let data = support::pattern(3 * 1024 * 1024, 2);
    support::write_file(server.root(), "dir/big.bin", &data);
    let local = tempfile::tempdir().expect("tempdir");
    let out = out_path(local.path(), "big.bin");

    let finished = curl(&[
        "--disable-epsv",
        "-o",
        &out,
        &format!("{}/dir/big.bin", server.url()),
    ]);
    assert_success(&finished, &server);
    assert_used(&finished, "PASV", &["227"]);
    support::assert_same_bytes(
        "downloaded dir/big.bin",
        &data,
        &support::read_file(Path::new(&out)),
    );
}

/// `curl -T --disable-epsv` uploads over PASV; the file on disk is
/// identical.
#[test]
fn curl_upload_pasv() {
    let server = Server::start();
    let local = tempfile::tempdir().expect("tempdir");
    let data = support::pattern(512 * 1024, 4);
    let source = support::write_file(local.path(), "up.bin", &data);

    let finished = curl(&[
        "--disable-epsv",
        "-T",
        source.to_str().expect("UTF-8 path"),
        &format!("{}/up-pasv.bin", server.url()),
    ]);
    assert_success(&finished, &server);
    assert_used(&finished, "PASV", &["227"]);
    support::assert_same_bytes(
        "uploaded up-pasv.bin",
        &data,
        &support::read_file(&server.root().join("up-pasv.bin")),
    );
}

/// Active mode with `-P 127.0.0.1 --disable-eprt` (PORT): an upload and a
/// download both arrive byte-exact.
#[test]
fn curl_active_port_upload_and_download() {
    let server = Server::start();
    let local = tempfile::tempdir().expect("tempdir");
    let data = support::pattern(1024 * 1024 + 1, 6);
    let source = support::write_file(local.path(), "up.bin", &data);
    let url = format!("{}/port.bin", server.url());

    let finished = curl(&[
        "-P",
        "127.0.0.1",
        "--disable-eprt",
        "-T",
        source.to_str().expect("UTF-8 path"),
        &url,
    ]);
    assert_success(&finished, &server);
    assert_used(&finished, "PORT", &["200"]);
    support::assert_same_bytes(
        "uploaded port.bin",
        &data,
        &support::read_file(&server.root().join("port.bin")),
    );

    let out = out_path(local.path(), "back.bin");
    let finished = curl(&["-P", "127.0.0.1", "--disable-eprt", "-o", &out, &url]);
    assert_success(&finished, &server);
    assert_used(&finished, "PORT", &["200"]);
    support::assert_same_bytes(
        "downloaded port.bin",
        &data,
        &support::read_file(Path::new(&out)),
    );
}

/// `--ftp-create-dirs` uploads into directories that do not exist yet:
/// curl creates them (MKD) and the file lands inside.
#[test]
fn curl_upload_creates_dirs() {
    let server = Server::start();
    let local = tempfile::tempdir().expect("tempdir");
    let data = b"nested upload\n".to_vec();
    let source = support::write_file(local.path(), "n.txt", &data);

    let finished = curl(&[
        "--ftp-create-dirs",
        "-T",
        source.to_str().expect("UTF-8 path"),
        &format!("{}/new/deeper/n.txt", server.url()),
    ]);
    assert_success(&finished, &server);
    assert!(
        server.root().join("new/deeper").is_dir(),
        "directories not created"
    );
    support::assert_same_bytes(
        "uploaded new/deeper/n.txt",
        &data,
        &support::read_file(&server.root().join("new/deeper/n.txt")),
    );
}

/// `curl -C -` resumes a partial download (REST + RETR): the local file
/// ends up complete and byte-exact, whichever way wharfd sends it
/// (sendfile, the copy, or chosen by load).
#[test]
fn curl_resume_download() {
    for way in ["on", "off", "auto"] {
        let server = Server::builder().args(&["--sendfile", way]).start();
        let data = support::pattern(3 * 1024 * 1024 + 5, 7);
        support::write_file(server.root(), "resume.bin", &data);
        let local = tempfile::tempdir().expect("tempdir");
        let partial = support::write_file(local.path(), "resume.bin", &data[..300_000]);

        let finished = curl(&[
            "-C",
            "-",
            "-o",
            partial.to_str().expect("UTF-8 path"),
            &format!("{}/resume.bin", server.url()),
        ]);
        assert_success(&finished, &server);
        assert_used(&finished, "REST 300000", &["350"]);
        support::assert_same_bytes(
            &format!("resumed resume.bin (--sendfile {way})"),
            &data,
            &support::read_file(&partial),
        );

        // RETR of a directory is refused (curl skips SIZE here).
        std::fs::create_dir(server.root().join("folder")).expect("mkdir");
        let out = out_path(local.path(), "folder.out");
        let url = format!("{}/folder", server.url());
        let finished = curl(&["--ignore-content-length", "-o", &out, &url]);
        assert!(!finished.status.success(), "{}", finished.report());
        assert_used(&finished, "RETR folder", &["550"]);
    }
}

/// A wrong password makes curl fail with its "login denied" exit code (67)
/// and download nothing.
#[test]
fn curl_bad_password_denied() {
    let server = Server::start();
    support::write_file(server.root(), "f.txt", b"secret");
    let local = tempfile::tempdir().expect("tempdir");
    let out = out_path(local.path(), "f.txt");

    // curl uses the last --user given.
    let finished = curl(&[
        "--user",
        &format!("{USER}:wrong"),
        "-o",
        &out,
        &format!("{}/f.txt", server.url()),
    ]);
    assert_eq!(
        finished.status.code(),
        Some(67),
        "expected curl's login-denied exit code\n{}",
        finished.report()
    );
    assert!(!Path::new(&out).exists(), "something was downloaded");
}
