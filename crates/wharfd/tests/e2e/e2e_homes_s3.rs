//! Issue 21's per-user homes on S3, against moto: two users with homes in
//! two folders of one bucket, signed with `[credentials.NAME]` of kind
//! `s3-keys` read from the environment; uploads land under each user's
//! prefix (read back from moto directly) and neither lists nor reaches
//! the other's.

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::azurite::Moto;
use support::{Server, assert_success, curl_as, run, write_file};

const CURL_TIMEOUT: Duration = Duration::from_secs(30);

const CONFIG: &str = r#"
[s3]
endpoint = "{endpoint}"
region = "us-east-1"

[credentials.bucket-keys]
kind = "s3-keys"
access_key_id_env = "HOMES_KEY_ID"
secret_access_key_env = "HOMES_SECRET"
"#;

const USERS: &str = r#"
[[user]]
name = "sam"
password = "sam-pw"
home = "s3://bucket-keys@homes/users/{user}"

[[user]]
name = "sue"
password = "sue-pw"
home = "s3://homes/users/sue"
credentials = "bucket-keys"
"#;

/// A request to moto signed with its test keys (curl's SigV4): the status
/// and the body.
fn moto(emulator: &Moto, method: &str, path: &str) -> (String, String) {
    let url = format!("http://127.0.0.1:{}/{path}", emulator.port);
    let out = run(
        Command::new("curl")
            .args(["-sS", "-X", method, "-w", "\n%{http_code}", &url])
            .args([
                "--aws-sigv4",
                "aws:amz:us-east-1:s3",
                "--user",
                "testing:testing",
            ]),
        CURL_TIMEOUT,
    )
    .stdout_text();
    let (body, status) = out.rsplit_once('\n').unwrap_or(("", &out));
    (status.to_owned(), body.to_owned())
}

#[test]
fn s3_homes_in_one_bucket_are_apart() {
    let emulator = Moto::start();
    assert_eq!(moto(&emulator, "PUT", "homes").0, "200");
    let endpoint = format!("http://127.0.0.1:{}", emulator.port);
    let server = Server::builder()
        .env("HOMES_KEY_ID", "testing")
        .env("HOMES_SECRET", "testing")
        .config(&CONFIG.replace("{endpoint}", &endpoint))
        .file("users.toml", USERS)
        .args(&["--users", "{base}/users.toml"])
        .start();
    let local = tempfile::tempdir().expect("tempdir");
    let file = write_file(local.path(), "s.txt", b"sam's");
    let url = format!("{}/s.txt", server.url());
    let stored = curl_as("sam:sam-pw", &["-T", file.to_str().expect("utf-8"), &url]);
    assert_success(&stored, &server);
    assert_eq!(
        moto(&emulator, "GET", "homes/users/sam/s.txt"),
        ("200".to_owned(), "sam's".to_owned())
    );
    assert_eq!(moto(&emulator, "GET", "homes/s.txt").0, "404");

    let list = |user| {
        let listing = curl_as(user, &["--list-only", &format!("{}/", server.url())]);
        assert_success(&listing, &server);
        listing.stdout_text()
    };
    assert_eq!(list("sam:sam-pw"), "s.txt\n");
    assert_eq!(list("sue:sue-pw"), "");
    let out = local.path().join("got.txt");
    let fetched = curl_as(
        "sue:sue-pw",
        &[
            "--path-as-is",
            "--ftp-method",
            "nocwd",
            "-o",
            out.to_str().expect("utf-8"),
            &format!("{}/../sam/s.txt", server.url()),
        ],
    );
    assert!(
        fetched.stderr_text().contains("< 550 "),
        "{}",
        fetched.report()
    );
    assert!(!out.exists() || std::fs::read(&out).expect("read").is_empty());
}
