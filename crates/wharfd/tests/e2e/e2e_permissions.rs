//! Issue 21's permissions and mounts from the users file, with curl
//! against the real `wharfd`: `dana` may only list and download in her
//! home, upload (without replacing) into `/incoming`, and sees a directory
//! from outside the server root as `/archive`, mounted read-only; her rules
//! allow everything there, so the refusal of an upload comes from the
//! mount itself.

use crate::support;

use std::fs;
use std::path::Path;

use support::{Finished, Server, assert_success, curl, read_file, write_file};

const USERS: &str = r#"
[[user]]
name = "dana"
password = "dana-pw"
root = "dana"
permissions = ["list", "download"]
rules = [
  { path = "/incoming", permissions = ["list", "upload"] },
  { path = "/archive", permissions = ["all"] },
]
mounts = [{ path = "/archive", dir = "{base}/archive", read_only = true }]
"#;

/// curl as dana, with `args` after the credentials.
fn as_dana(args: &[&str]) -> Finished {
    curl(&[&["--user", "dana:dana-pw"], args].concat())
}

/// The reply lines curl's verbose log shows (`< 550 ...`).
fn replies(finished: &Finished) -> Vec<String> {
    finished
        .stderr_text()
        .lines()
        .filter_map(|line| line.strip_prefix("< "))
        .map(str::to_owned)
        .collect()
}

/// Uploads `data` to `path` as dana.
fn upload(server: &Server, local: &Path, path: &str, data: &[u8]) -> Finished {
    let file = write_file(local, "upload.bin", data);
    let file = file.to_str().expect("temporary paths are UTF-8");
    as_dana(&["-T", file, &format!("{}{path}", server.url())])
}

#[test]
fn users_file_permissions_and_a_read_only_mount() {
    let server = Server::builder()
        .file("users.toml", USERS)
        .args(&["--users", "{base}/users.toml"])
        .start();
    let home = server.root().join("dana");
    let archive = server.outside().join("archive");
    fs::create_dir_all(home.join("incoming")).expect("create /incoming");
    write_file(&home, "report.txt", b"mine");
    write_file(&archive, "2024.txt", b"archived");
    let local = tempfile::tempdir().expect("tempdir");

    // An upload where only list and download are allowed: 550 naming the
    // permission, and nothing on disk.
    let refused = upload(&server, local.path(), "/new.txt", b"nope");
    assert!(!refused.status.success(), "{}", refused.report());
    assert!(
        replies(&refused).contains(&"550 /new.txt: permission denied (upload).".to_owned()),
        "{}",
        refused.report()
    );
    assert!(!home.join("new.txt").exists());

    // Into /incoming, a new file is fine; replacing it needs overwrite.
    let stored = upload(&server, local.path(), "/incoming/drop.txt", b"first");
    assert_success(&stored, &server);
    assert_eq!(read_file(&home.join("incoming/drop.txt")), b"first");
    let again = upload(&server, local.path(), "/incoming/drop.txt", b"second");
    assert!(
        replies(&again)
            .contains(&"550 /incoming/drop.txt: permission denied (overwrite).".to_owned()),
        "{}",
        again.report()
    );
    assert_eq!(read_file(&home.join("incoming/drop.txt")), b"first");

    // The mount: listed at the root, readable, and read-only whatever the
    // rules allow.
    let listing = as_dana(&["--list-only", &format!("{}/", server.url())]);
    assert_success(&listing, &server);
    let names: Vec<String> = listing.stdout_text().lines().map(str::to_owned).collect();
    for name in ["archive", "incoming", "report.txt"] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    let out = local.path().join("2024.txt");
    let out = out.to_str().expect("temporary paths are UTF-8");
    let fetched = as_dana(&["-o", out, &format!("{}/archive/2024.txt", server.url())]);
    assert_success(&fetched, &server);
    assert_eq!(read_file(Path::new(out)), b"archived");
    let read_only = upload(&server, local.path(), "/archive/new.txt", b"nope");
    assert!(
        replies(&read_only).contains(&"550 /archive/new.txt: Permission denied.".to_owned()),
        "{}",
        read_only.report()
    );
    assert!(!archive.join("new.txt").exists());
}
