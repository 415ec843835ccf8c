//! Issue 21's per-user homes on Google Cloud Storage, against
//! fake-gcs-server: `ann` and `bob` have homes in two folders of one
//! bucket, `ann`'s signed with `[credentials.sa]` of kind `gcs-key` (a
//! key file), `bob`'s with none, so with the `--storage` GCS settings
//! (application default credentials from `GOOGLE_APPLICATION_CREDENTIALS`,
//! `[gcs] endpoint`). Uploads land under each user's prefix (read back
//! from the emulator directly); neither lists nor reaches the other's
//! files; `ann`'s read-only mount of another folder serves downloads and
//! refuses uploads. `--storage gcs://BUCKET/PREFIX` serves one folder.

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::azurite::FakeGcs;
use support::{
    PASSWORD, Server, USER, assert_success, curl_as, names_as, replies, run, write_file,
};

const CURL_TIMEOUT: Duration = Duration::from_secs(30);

/// A key in the emulator's form (`disable_oauth`: no token request).
const EMULATOR_KEY: &str = r#"{"type": "service_account", "disable_oauth": true, "client_email": "", "private_key": "", "private_key_id": ""}"#;

const CONFIG: &str = r#"
[gcs]
endpoint = "{endpoint}"

[credentials.sa]
kind = "gcs-key"
file = "sa.json"
"#;

const USERS: &str = r#"
[[user]]
name = "ann"
password = "ann-pw"
home = "gcs://sa@homes/users/{user}"
mounts = [{ path = "/shared", store = "gcs://homes/shared", credentials = "sa", read_only = true }]

[[user]]
name = "bob"
password = "bob-pw"
home = "gs://homes/users/bob"
"#;

/// A request straight to the emulator's JSON API: the status and body.
fn gcs(emulator: &FakeGcs, method: &str, path: &str, args: &[&str]) -> (String, String) {
    let url = format!("{}/{path}", emulator.endpoint());
    let out = run(
        Command::new("curl")
            .args(["-sS", "-X", method, "-w", "\n%{http_code}", &url])
            .args(args),
        CURL_TIMEOUT,
    )
    .stdout_text();
    let (body, status) = out.rsplit_once('\n').unwrap_or(("", &out));
    (status.to_owned(), body.to_owned())
}

/// The status and body of the object `name` (`/` escaped) of `bucket`.
fn object(emulator: &FakeGcs, bucket: &str, name: &str) -> (String, String) {
    let name = name.replace('/', "%2F");
    let path = format!("storage/v1/b/{bucket}/o/{name}?alt=media");
    gcs(emulator, "GET", &path, &[])
}

/// Creates `bucket`, and the object `name` in it holding `data`.
fn bucket_with(emulator: &FakeGcs, bucket: &str, name: &str, data: &str) {
    let made = gcs(
        emulator,
        "POST",
        "storage/v1/b?project=wharf-e2e",
        &[
            "-H",
            "Content-Type: application/json",
            "-d",
            &format!(r#"{{"name": "{bucket}"}}"#),
        ],
    );
    assert_eq!(made.0, "200", "{made:?}");
    let path = format!("upload/storage/v1/b/{bucket}/o?uploadType=media&name={name}");
    let put = gcs(emulator, "POST", &path, &["--data-binary", data]);
    assert_eq!(put.0, "200", "{put:?}");
}

#[test]
fn gcs_homes_in_one_bucket_are_apart() {
    let emulator = FakeGcs::start();
    bucket_with(&emulator, "homes", "shared/notes.txt", "shared notes");
    let local = tempfile::tempdir().expect("tempdir");
    let adc = write_file(
        local.path(),
        "adc.json",
        wharf_test_support::gcs::service_account_json("wharf-e2e").as_bytes(),
    );
    let server = Server::builder()
        .file("sa.json", EMULATOR_KEY)
        .env(
            "GOOGLE_APPLICATION_CREDENTIALS",
            adc.to_str().expect("utf-8"),
        )
        .env("GCE_METADATA_HOST", "127.0.0.1:9")
        .env("GCE_METADATA_IP", "127.0.0.1:9")
        .config(&CONFIG.replace("{endpoint}", &emulator.endpoint()))
        .file("users.toml", USERS)
        .args(&["--users", "{base}/users.toml"])
        .start();
    let (ann, bob) = ("ann:ann-pw", "bob:bob-pw");

    for (user, name, data) in [(ann, "a.txt", "ann's"), (bob, "b.txt", "bob's")] {
        let file = write_file(local.path(), name, data.as_bytes());
        let url = format!("{}/{name}", server.url());
        let file = file.to_str().expect("utf-8");
        assert_success(&curl_as(user, &["-T", file, &url]), &server);
    }
    assert_eq!(
        object(&emulator, "homes", "users/ann/a.txt"),
        ("200".to_owned(), "ann's".to_owned())
    );
    assert_eq!(
        object(&emulator, "homes", "users/bob/b.txt"),
        ("200".to_owned(), "bob's".to_owned())
    );
    assert_eq!(object(&emulator, "homes", "a.txt").0, "404");

    assert_eq!(names_as(&server, ann, &[], "/"), ["a.txt", "shared"]);
    assert_eq!(names_as(&server, bob, &[], "/"), ["b.txt"]);
    assert_eq!(names_as(&server, bob, &[], "/../"), ["b.txt"]);
    for path in ["../ann/a.txt", "/users/ann/a.txt"] {
        let out = local.path().join("got.txt");
        let fetched = curl_as(
            bob,
            &[
                "--path-as-is",
                "--ftp-method",
                "nocwd",
                "-o",
                out.to_str().expect("utf-8"),
                &format!("{}/{path}", server.url()),
            ],
        );
        assert!(
            replies(&fetched).iter().any(|r| r.starts_with("550 ")),
            "{path}: {}",
            fetched.report()
        );
        assert!(!out.exists() || std::fs::read(&out).expect("read").is_empty());
    }

    // The read-only mount of another folder of the bucket.
    let out = local.path().join("notes.txt");
    let url = format!("{}/shared/notes.txt", server.url());
    let fetched = curl_as(ann, &["-o", out.to_str().expect("utf-8"), &url]);
    assert_success(&fetched, &server);
    assert_eq!(std::fs::read(&out).expect("read"), b"shared notes");
    let file = write_file(local.path(), "new.txt", b"nope");
    let url = format!("{}/shared/new.txt", server.url());
    let stor = curl_as(ann, &["-T", file.to_str().expect("utf-8"), &url]);
    assert!(
        replies(&stor).contains(&"550 /shared/new.txt: permission denied (upload).".to_owned()),
        "{}",
        stor.report()
    );
    assert_eq!(object(&emulator, "homes", "shared/new.txt").0, "404");
}

/// `--storage gcs://BUCKET/PREFIX`: the folder is `/`, and what is beside
/// it is out of reach.
#[test]
fn storage_serves_one_folder_of_a_bucket() {
    let emulator = FakeGcs::start();
    bucket_with(&emulator, "box", "outside.txt", "outside");
    let server = Server::builder()
        .file("sa.json", EMULATOR_KEY)
        .args(&[
            "--storage",
            "gcs://box/team/files",
            "--storage-key-file",
            "{base}/sa.json",
            "--gcs-endpoint",
            &emulator.endpoint(),
        ])
        .start();
    let local = tempfile::tempdir().expect("tempdir");
    let file = write_file(local.path(), "in.txt", b"inside");
    let user = format!("{USER}:{PASSWORD}");
    let url = format!("{}/in.txt", server.url());
    assert_success(
        &curl_as(&user, &["-T", file.to_str().expect("utf-8"), &url]),
        &server,
    );
    assert_eq!(
        object(&emulator, "box", "team/files/in.txt"),
        ("200".to_owned(), "inside".to_owned())
    );
    assert_eq!(names_as(&server, &user, &[], "/"), ["in.txt"]);
    assert_eq!(names_as(&server, &user, &[], "/../../"), ["in.txt"]);
}
