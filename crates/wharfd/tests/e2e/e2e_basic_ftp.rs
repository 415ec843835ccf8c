//! basic-ftp, the most used Node.js FTP client (npm, pinned in
//! `scripts/emulators`, installed into `.tools/basic-ftp`), over explicit
//! FTPS: upload, download and an MLSD listing, with every data
//! connection resuming the control connection's TLS session, under TLS 1.3
//! and TLS 1.2.
//!
//! `tests/basic_ftp/session.js` runs the session and writes what it saw
//! (basic-ftp's version, each TLS handshake as the client saw it, the
//! listing as basic-ftp parsed it) to `result.json`; the checks are here,
//! against the server's disk and the server's own count of data
//! handshakes (`/metrics`). basic-ftp's protocol log (`verbose`) is shown
//! when a test fails.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::support;

use support::{Finished, PASSWORD, Server, USER, pattern};

/// Longest the Node.js session may take.
const NODE_TIMEOUT: Duration = Duration::from_secs(30);

/// `dated.txt`'s modification time: 2001-02-03T04:05:06Z.
const DATED: u64 = 981_173_106;

/// Where `scripts/emulators install` puts basic-ftp.
fn node_modules() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/basic-ftp/node_modules");
    assert!(
        dir.join("basic-ftp/package.json").exists(),
        "{} is missing: run `scripts/emulators install`",
        dir.display()
    );
    dir
}

/// The basic-ftp version `scripts/emulators` pins (`basic_ftp_version=`).
fn pinned_version() -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/emulators");
    fs::read_to_string(&script)
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("basic_ftp_version="))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no basic_ftp_version= in {}", script.display()))
}

/// One run of `session.js` and what it left behind.
struct Session {
    finished: Finished,
    result: Option<Value>,
}

impl Session {
    fn report(&self, server: &Server) -> String {
        format!(
            "--- basic-ftp (node tests/basic_ftp/session.js; verbose log on stdout) ---\n{}\n--- wharfd log (tail) ---\n{}",
            self.finished.report(),
            server.log_tail()
        )
    }
}

/// Runs the basic-ftp session against `server` in `work`, capping TLS at
/// `max_version` (`TLSv1.3` or `TLSv1.2`).
fn run_session(server: &Server, work: &Path, max_version: &str) -> Session {
    support::require_tool("node", "nodejs");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/basic_ftp/session.js");
    let finished = support::run(
        Command::new("node")
            .arg(script)
            .args(["127.0.0.1", &server.port().to_string(), USER, PASSWORD])
            .arg(work)
            .arg(max_version)
            .env("NODE_PATH", node_modules()),
        NODE_TIMEOUT,
    );
    let result = fs::read(work.join("result.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    Session { finished, result }
}

/// The sum of the samples of `/metrics` whose series name ends with
/// `suffix` (the counters carry the server's metric prefix).
fn metric(server: &Server, suffix: &str) -> f64 {
    let scraped = support::run(
        Command::new("curl")
            .args(["--silent", "--show-error", "--noproxy", "*", "--max-time"])
            .arg("10")
            .arg(format!("{}/metrics", server.admin_url())),
        Duration::from_secs(15),
    );
    assert!(scraped.status.success(), "{}", scraped.report());
    scraped
        .stdout_text()
        .lines()
        .filter_map(|line| line.rsplit_once(' '))
        .filter(|(series, _)| series.ends_with(suffix))
        .filter_map(|(_, value)| value.parse::<f64>().ok())
        .sum()
}

/// A file's modification time in whole seconds since the epoch.
fn mtime_secs(path: &Path) -> u64 {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .map(|t| t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
        .unwrap_or_else(|e| panic!("mtime of {}: {e}", path.display()))
}

/// Uploads `up.bin` twice (once into a directory `ensureDir` created),
/// downloads `served.bin`, lists `/` with MLSD, and checks: the bytes on
/// both sides; one TLS handshake for the control connection and one per
/// data connection, each data handshake resumed (as the client saw it,
/// and as the server counted it, refusing none); basic-ftp's reading of
/// every MLSD entry (name, size, type, modification time) against the disk.
fn upload_download_and_list(max_version: &str, protocol: &str) {
    let server = Server::builder()
        .tls()
        .args(&["--admin-listen", "127.0.0.1:0"])
        .start();
    let root = server.root();
    let served = pattern(1024 * 1024 + 3, 41);
    fs::write(root.join("served.bin"), &served).expect("write served.bin");
    fs::write(root.join("dated.txt"), b"dated\n").expect("write dated.txt");
    File::options()
        .write(true)
        .open(root.join("dated.txt"))
        .and_then(|f| f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(DATED)))
        .expect("set dated.txt's time");
    fs::write(root.join("ünï cødé.txt"), b"x").expect("write a Unicode name");
    let work = tempfile::tempdir().expect("tempdir");
    let up = pattern(300 * 1024 + 1, 42);
    fs::write(work.path().join("up.bin"), &up).expect("write up.bin");

    let session = run_session(&server, work.path(), max_version);
    let report = || session.report(&server);
    assert!(session.finished.status.success(), "{}", report());
    let result = session.result.as_ref().unwrap_or_else(|| {
        panic!("no result.json\n{}", report());
    });
    let version = result["version"].as_str().unwrap_or("");
    assert_eq!(
        version,
        pinned_version(),
        "not the basic-ftp scripts/emulators pins: run `scripts/emulators install`\n{}",
        report()
    );
    // The version goes with the test's output.
    #[allow(clippy::print_stdout)]
    {
        println!("client: basic-ftp {version}");
    }

    // The bytes, on both sides.
    for (what, expected, path) in [
        ("stored up.bin", &up, root.join("up.bin")),
        ("stored sub/up2.bin", &up, root.join("sub/up2.bin")),
        (
            "downloaded served.bin",
            &served,
            work.path().join("down.bin"),
        ),
    ] {
        let got = fs::read(&path).unwrap_or_default();
        assert!(
            *expected == got,
            "{what}: {} bytes expected, {} found\n{}",
            expected.len(),
            got.len(),
            report()
        );
    }

    // The control handshake, then one per data connection (two uploads,
    // a download, a listing), each data one resuming the control session.
    let handshakes = result["handshakes"].as_array().cloned().unwrap_or_default();
    assert_eq!(handshakes.len(), 5, "{handshakes:?}\n{}", report());
    for (i, handshake) in handshakes.iter().enumerate() {
        assert_eq!(
            handshake["protocol"],
            protocol,
            "handshake {i}: {handshake}\n{}",
            report()
        );
        assert_eq!(
            handshake["resumed"],
            i > 0,
            "handshake {i} (0 is the control connection): {handshake}\n{}",
            report()
        );
    }
    let completed = metric(
        &server,
        r#"tls_handshakes_total{channel="data",result="completed"}"#,
    );
    let refused = metric(
        &server,
        r#"tls_handshakes_total{channel="data",result="resumption_refused"}"#,
    );
    assert!(
        completed == 4.0 && refused == 0.0,
        "the server counted {completed} data handshakes completed (resumed, as it requires) \
         and {refused} refused\n{}",
        report()
    );
    let verbose = session.finished.stdout_text();
    assert!(
        verbose.contains("> MLSD"),
        "basic-ftp did not list with MLSD\n{}",
        report()
    );

    // basic-ftp's reading of each MLSD entry, against the disk.
    let list = result["list"].as_array().cloned().unwrap_or_default();
    let mut names: Vec<&str> = list.iter().filter_map(|e| e["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["dated.txt", "served.bin", "sub", "up.bin", "ünï cødé.txt"],
        "{}",
        report()
    );
    for entry in &list {
        let name = entry["name"].as_str().unwrap_or("");
        let path = root.join(name);
        let meta = fs::metadata(&path).expect("listed entries exist");
        // basic-ftp's FileType: 1 file, 2 directory.
        let (kind, size) = if meta.is_dir() {
            (2, None)
        } else {
            (1, Some(meta.len()))
        };
        assert_eq!(entry["type"], kind, "{entry}\n{}", report());
        if let Some(size) = size {
            assert_eq!(entry["size"], size, "{entry}\n{}", report());
        }
        assert_eq!(
            entry["modified"],
            mtime_secs(&path) * 1000,
            "{entry}: modification time (ms) differs from the disk's\n{}",
            report()
        );
    }
    let dated = list.iter().find(|e| e["name"] == "dated.txt");
    assert_eq!(
        dated.map(|e| e["modified"].clone()),
        Some(Value::from(DATED * 1000)),
        "{}",
        report()
    );
}

/// Under TLS 1.3 (Node.js's default): session tickets.
#[test]
fn basic_ftp_over_explicit_ftps_tls13() {
    upload_download_and_list("TLSv1.3", "TLSv1.3");
}

/// Under TLS 1.2: session IDs or tickets.
#[test]
fn basic_ftp_over_explicit_ftps_tls12() {
    upload_download_and_list("TLSv1.2", "TLSv1.2");
}
