//! `--storage gcs://` end to end: wharfd in front of fake-gcs-server,
//! driven by curl as the users file's user. The account view shows the
//! project's buckets (`MKD`/`RMD` create and delete them); `gcs://BUCKET`
//! serves one bucket as `/`, with uploads one part and several parts
//! large, byte-exact downloads, listings, folders, renames and deletes.
//!
//! The credential is a service account key in the emulator's form
//! (`disable_oauth`: object_store asks no token endpoint), whose
//! `project_id` names the project when `--gcs-project` does not.

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::azurite::FakeGcs;
use support::{PASSWORD, Server, USER, pattern, require_tool, run};

const CURL_TIMEOUT: Duration = Duration::from_secs(60);

/// The key file's project.
const PROJECT: &str = "wharf-e2e";

/// A key in the emulator's form, naming `PROJECT` unless `project` is
/// `None`.
fn key(project: Option<&str>) -> String {
    let project = project
        .map(|p| format!(r#", "project_id": "{p}""#))
        .unwrap_or_default();
    format!(
        r#"{{"type": "service_account", "disable_oauth": true, "client_email": "", "private_key": "", "private_key_id": ""{project}}}"#
    )
}

/// wharfd serving `storage` on `gcs`, signed with `key`.
fn gcs_server(gcs: &FakeGcs, storage: &str, key: &str) -> Server {
    Server::builder()
        .file("gcs-key.json", key)
        .args(&[
            "--storage",
            storage,
            "--storage-key-file",
            "{base}/gcs-key.json",
            "--gcs-endpoint",
            &gcs.endpoint(),
        ])
        .start()
}

/// curl as the users file's user with `args`: its stdout, or a panic
/// with curl's report and the server's log.
fn curl(server: &Server, args: &[&str]) -> Vec<u8> {
    require_tool("curl", "curl");
    let finished = run(
        Command::new("curl")
            .args(["-sS", "-u", &format!("{USER}:{PASSWORD}")])
            .args(args),
        CURL_TIMEOUT,
    );
    assert!(
        finished.status.success(),
        "curl {args:?} failed\n{}\n{}",
        finished.report(),
        server.log_tail()
    );
    finished.stdout
}

/// The names `NLST` lists in `dir` (a path ending in `/`).
fn names(server: &Server, dir: &str) -> Vec<String> {
    let listed = curl(server, &["-l", &format!("{}{dir}", server.url())]);
    let mut names: Vec<String> = String::from_utf8_lossy(&listed)
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    names.sort();
    names
}

/// Commands sent on the control connection before curl lists `/`.
fn quote(server: &Server, commands: &[&str]) {
    let mut args: Vec<String> = Vec::new();
    for command in commands {
        args.push("-Q".into());
        args.push((*command).to_owned());
    }
    args.push(format!("{}/", server.url()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    curl(server, &args);
}

#[test]
fn a_gcs_bucket_serves_transfers_folders_and_renames() {
    let gcs = FakeGcs::start();
    // The account view makes the bucket (its project from the key).
    let account = gcs_server(&gcs, "gcs://", &key(Some(PROJECT)));
    quote(&account, &["MKD /box"]);
    assert_eq!(names(&account, "/"), ["box"]);

    let server = gcs_server(&gcs, "gcs://box", &key(None));
    let url = server.url();
    let dir = tempfile::tempdir().expect("test set-up");
    // Empty, small, and larger than one 8 MiB part (a resumable upload
    // whose last chunk is no multiple of 256 KiB).
    let sizes = [0usize, 70_001, 8 * 1024 * 1024 + 4097];
    for (i, size) in sizes.into_iter().enumerate() {
        let data = pattern(size, 40 + i as u64);
        let local = dir.path().join(format!("up{i}"));
        std::fs::write(&local, &data).expect("test set-up");
        curl(
            &server,
            &[
                "-T",
                local.to_str().expect("utf-8"),
                &format!("{url}/f{i}.bin"),
            ],
        );
        let back = curl(&server, &[&format!("{url}/f{i}.bin")]);
        assert_eq!(back.len(), size, "f{i}.bin's size");
        assert!(back == data, "f{i}.bin differs after the round trip");
    }
    assert_eq!(names(&server, "/"), ["f0.bin", "f1.bin", "f2.bin"]);
    let long = String::from_utf8_lossy(&curl(&server, &[&format!("{url}/")])).into_owned();
    assert!(
        long.lines()
            .any(|l| l.contains(&(8 * 1024 * 1024 + 4097).to_string()) && l.ends_with("f2.bin")),
        "LIST shows f2.bin's size: {long}"
    );

    // Folders: MKD, a file into it, RMD refused while it holds one.
    quote(
        &server,
        &["MKD /docs", "RNFR /f1.bin", "RNTO /docs/moved.bin"],
    );
    assert_eq!(names(&server, "/docs/"), ["moved.bin"]);
    assert!(
        curl(&server, &[&format!("{url}/docs/moved.bin")]) == pattern(70_001, 41),
        "the renamed file differs"
    );
    let refused = run(
        Command::new("curl")
            .args(["-sS", "-u", &format!("{USER}:{PASSWORD}")])
            .args(["-Q", "RMD /docs", &format!("{url}/")]),
        CURL_TIMEOUT,
    );
    assert!(!refused.status.success(), "RMD of a folder with a file");
    // A folder rename copies what is inside.
    quote(&server, &["RNFR /docs", "RNTO /papers"]);
    assert_eq!(names(&server, "/papers/"), ["moved.bin"]);
    quote(
        &server,
        &["DELE /papers/moved.bin", "RMD /papers", "DELE /f0.bin"],
    );
    assert_eq!(names(&server, "/"), ["f2.bin"]);

    // The account view sees what the bucket view wrote.
    assert_eq!(names(&account, "/box/"), ["f2.bin"]);
    quote(&account, &["DELE /box/f2.bin", "RMD /box"]);
    assert!(names(&account, "/").is_empty(), "the bucket is gone");
}

#[test]
fn the_gcs_account_view_without_a_project_stops_the_start() {
    let dir = tempfile::tempdir().expect("test set-up");
    let key_file = dir.path().join("key.json");
    std::fs::write(&key_file, key(None)).expect("test set-up");
    let finished = run(
        Command::new(env!("CARGO_BIN_EXE_wharfd"))
            .args(["--listen", "127.0.0.1:0", "--storage", "gcs://"])
            .arg("--storage-key-file")
            .arg(&key_file)
            .args(["--gcs-endpoint", "http://127.0.0.1:9"])
            .arg("--root")
            .arg(dir.path().join("root")),
        Duration::from_secs(60),
    );
    assert!(
        !finished.status.success(),
        "wharfd started without a project"
    );
    assert!(
        finished.stderr_text().contains("--gcs-project"),
        "{}",
        finished.stderr_text()
    );
}

/// Without `--storage-key-file`, application default credentials: the
/// service account key that `GOOGLE_APPLICATION_CREDENTIALS` names signs
/// the requests (object_store's self-signed token: no token endpoint).
/// The metadata server, where a broken lookup would go next, is pointed
/// at a closed loopback port.
#[test]
fn application_default_credentials_come_from_the_environment() {
    let gcs = FakeGcs::start();
    let account = gcs_server(&gcs, "gcs://", &key(Some(PROJECT)));
    quote(&account, &["MKD /adc-box"]);
    let dir = tempfile::tempdir().expect("test set-up");
    let adc = dir.path().join("adc.json");
    std::fs::write(&adc, wharf_test_support::gcs::service_account_json(PROJECT))
        .expect("test set-up");
    let server = Server::builder()
        .env(
            "GOOGLE_APPLICATION_CREDENTIALS",
            adc.to_str().expect("utf-8"),
        )
        .env("GCE_METADATA_HOST", "127.0.0.1:9")
        .env("GCE_METADATA_IP", "127.0.0.1:9")
        .args(&[
            "--storage",
            "gcs://adc-box",
            "--gcs-endpoint",
            &gcs.endpoint(),
        ])
        .start();
    let local = dir.path().join("adc.bin");
    let data = pattern(100_003, 9);
    std::fs::write(&local, &data).expect("test set-up");
    let url = server.url();
    curl(
        &server,
        &[
            "-T",
            local.to_str().expect("utf-8"),
            &format!("{url}/adc.bin"),
        ],
    );
    assert!(curl(&server, &[&format!("{url}/adc.bin")]) == data);
    assert_eq!(names(&account, "/adc-box/"), ["adc.bin"]);
}
