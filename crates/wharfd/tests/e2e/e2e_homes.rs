//! Issue 21's per-user homes on stores, against Azurite, with curl and a
//! raw control connection: `ann` and `ben` have homes in two folders of
//! one container (`homes/users/ann`, `homes/users/ben`), signed with
//! `[credentials.team]`; neither sees the other's files by listing, by
//! `..`, by absolute paths or after `CWD /`, and uploads land under the
//! user's own prefix (read back from Azurite directly). `ann` also has
//! another container mounted read-only at `/archive`: STOR, DELE and RNFR
//! there get `550` naming the permission. A virtual host with its own
//! users file and store logs its users in, gives them the host's default
//! home, and refuses the server's users (and the server refuses its).

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::azurite::{ACCOUNT, Azurite, KEY};
use support::{
    Finished, Raw, Server, assert_reply, assert_success, curl_as, names_as, replies, run,
    write_file,
};
use wharf_test_support::sas::{account_sas, in_an_hour};

const CURL_TIMEOUT: Duration = Duration::from_secs(30);

/// The config: the team's key by name, and a host with a store of its own.
const CONFIG: &str = r#"
[azure]
endpoint = "{endpoint}"

[credentials.team]
kind = "azure-key"
file = "team.key"

[[host]]
name = "files.example"
users_file = "host-users.toml"
storage = "azure://team@ACCOUNT/hosted"
home = "azure://team@ACCOUNT/hosted/{user}"
"#;

const USERS: &str = r#"
[[user]]
name = "ann"
password = "ann-pw"
home = "azure://ACCOUNT/homes/users/ann"
credentials = "team"
mounts = [{ path = "/archive", store = "azure://team@ACCOUNT/archive", read_only = true }]

[[user]]
name = "ben"
password = "ben-pw"
home = "azure://team@ACCOUNT/homes/users/ben"
"#;

const HOST_USERS: &str = r#"
[[user]]
name = "cleo"
password = "cleo-pw"
"#;

/// A request straight to Azurite under an account SAS: `method` on
/// `path` (`container/blob`), with `args`; the finished curl.
fn azurite(azurite: &Azurite, method: &str, path: &str, args: &[&str]) -> Finished {
    let token = account_sas(ACCOUNT, KEY, "rwdlac", "sco", &in_an_hour());
    let separator = if path.contains('?') { '&' } else { '?' };
    let url = format!(
        "http://127.0.0.1:{}/{ACCOUNT}/{path}{separator}{token}",
        azurite.port
    );
    run(
        Command::new("curl")
            .args(["-sS", "-X", method, "-w", "\n%{http_code}", &url])
            .args(args),
        CURL_TIMEOUT,
    )
}

/// The HTTP status and body of `GET container/blob` on Azurite.
fn blob(emulator: &Azurite, path: &str) -> (String, Vec<u8>) {
    let out = azurite(emulator, "GET", path, &[]).stdout;
    let cut = out.iter().rposition(|b| *b == b'\n').unwrap_or(0);
    (
        String::from_utf8_lossy(&out[cut + 1..]).into_owned(),
        out[..cut].to_vec(),
    )
}

/// Creates `container` on Azurite.
fn container(emulator: &Azurite, container: &str) {
    let made = azurite(
        emulator,
        "PUT",
        &format!("{container}?restype=container"),
        &["-H", "Content-Length: 0"],
    );
    assert!(made.stdout_text().ends_with("201"), "{}", made.report());
}

fn start(emulator: &Azurite) -> Server {
    let fill = |text: &str| {
        text.replace("ACCOUNT", ACCOUNT)
            .replace("{endpoint}", &emulator.endpoint())
    };
    Server::builder()
        .file("team.key", KEY)
        .file("users.toml", &fill(USERS))
        .file("host-users.toml", HOST_USERS)
        .config(&fill(CONFIG))
        .args(&["--users", "{base}/users.toml"])
        .start()
}

#[test]
fn homes_in_one_container_are_apart_and_a_blob_mount_is_read_only_by_name() {
    let emulator = Azurite::start();
    for name in ["homes", "archive", "hosted"] {
        container(&emulator, name);
    }
    let put = azurite(
        &emulator,
        "PUT",
        "archive/2024.txt",
        &[
            "-H",
            "x-ms-blob-type: BlockBlob",
            "--data-binary",
            "archived",
        ],
    );
    assert!(put.stdout_text().ends_with("201"), "{}", put.report());
    let server = start(&emulator);
    let local = tempfile::tempdir().expect("tempdir");
    let ann = "ann:ann-pw";
    let ben = "ben:ben-pw";

    // Uploads land below each user's own prefix, and nowhere else.
    for (user, name, data) in [(ann, "a.txt", "ann's"), (ben, "b.txt", "ben's")] {
        let file = write_file(local.path(), name, data.as_bytes());
        let url = format!("{}/{name}", server.url());
        let file = file.to_str().expect("utf-8");
        assert_success(&curl_as(user, &["-T", file, &url]), &server);
    }
    assert_eq!(
        blob(&emulator, "homes/users/ann/a.txt"),
        ("200".to_owned(), b"ann's".to_vec())
    );
    assert_eq!(blob(&emulator, "homes/users/ben/b.txt").0, "200");
    assert_eq!(blob(&emulator, "homes/a.txt").0, "404");

    // Listings: each sees their own files (and ann her mount), from /
    // and after every way up.
    let mine = |user, before: &[&str]| {
        let mut seen = names_as(&server, user, before, "/");
        seen.sort();
        seen
    };
    assert_eq!(mine(ann, &[]), ["a.txt", "archive"]);
    assert_eq!(mine(ben, &[]), ["b.txt"]);
    assert_eq!(mine(ben, &["CWD /"]), ["b.txt"]);
    assert_eq!(mine(ben, &["CWD ../.."]), ["b.txt"]);
    assert_eq!(names_as(&server, ben, &[], "/../"), ["b.txt"]);

    // The other's file, by `..` and by its path in the container: not
    // there (550), and nothing of it arrives.
    for path in ["../ann/a.txt", "/users/ann/a.txt", "/../../users/ann/a.txt"] {
        let out = local.path().join("got.txt");
        let url = format!("{}/{path}", server.url());
        let fetched = curl_as(
            ben,
            &[
                "--path-as-is",
                "--ftp-method",
                "nocwd",
                "-o",
                out.to_str().expect("utf-8"),
                &url,
            ],
        );
        assert!(!fetched.status.success(), "{path}: {}", fetched.report());
        assert!(
            replies(&fetched).iter().any(|r| r.starts_with("550 ")),
            "{path}: {}",
            fetched.report()
        );
        assert!(!out.exists() || std::fs::read(&out).expect("read").is_empty());
    }
    let size = curl_as(ben, &["-Q", "SIZE /users/ann/a.txt", &server.url()]);
    assert_reply(&size, "550 /users/ann/a.txt: No such file or directory.");

    // The read-only blob mount: downloads work, changes are refused by
    // the permission's name, and the container is untouched.
    let out = local.path().join("2024.txt");
    let fetched = curl_as(
        ann,
        &[
            "-o",
            out.to_str().expect("utf-8"),
            &format!("{}/archive/2024.txt", server.url()),
        ],
    );
    assert_success(&fetched, &server);
    assert_eq!(std::fs::read(&out).expect("read"), b"archived");
    let file = write_file(local.path(), "new.txt", b"nope");
    let stor = curl_as(
        ann,
        &[
            "-T",
            file.to_str().expect("utf-8"),
            &format!("{}/archive/new.txt", server.url()),
        ],
    );
    assert_reply(&stor, "550 /archive/new.txt: permission denied (upload).");
    let url = server.url();
    let dele = curl_as(ann, &["-Q", "DELE /archive/2024.txt", &url]);
    assert_reply(&dele, "550 /archive/2024.txt: permission denied (delete).");
    let rnfr = curl_as(ann, &["-Q", "RNFR /archive/2024.txt", &url]);
    assert_reply(&rnfr, "550 /archive/2024.txt: permission denied (rename).");
    assert_eq!(blob(&emulator, "archive/new.txt").0, "404");
    assert_eq!(blob(&emulator, "archive/2024.txt").0, "200");
}

#[tokio::test]
async fn a_virtual_host_has_its_own_users_file_store_and_default_home() {
    let emulator = Azurite::start();
    for name in ["homes", "archive", "hosted"] {
        container(&emulator, name);
    }
    let server = start(&emulator);
    let addr = server.addr();

    // The host's user, after HOST: logged in, at home in the host's store.
    let (mut raw, _) = Raw::connect(addr, "127.0.0.1").await;
    assert!(raw.cmd("HOST files.example").await.starts_with("220"));
    let reply = raw.login_as("cleo", "cleo-pw").await;
    assert!(reply.starts_with("230"), "{reply:?}");
    let made = raw.cmd("MKD /made").await;
    assert!(made.starts_with("257"), "{made:?}");
    assert_eq!(
        blob(&emulator, "hosted/cleo/made/.placeholder").0,
        "200",
        "{}",
        server.log_tail()
    );

    // The server's user is not the host's, and the host's is not the
    // server's.
    let (mut raw, _) = Raw::connect(addr, "127.0.0.1").await;
    assert!(raw.cmd("HOST files.example").await.starts_with("220"));
    let reply = raw.login_as("ann", "ann-pw").await;
    assert!(reply.starts_with("530"), "{reply:?}");
    let (mut raw, _) = Raw::connect(addr, "127.0.0.1").await;
    let reply = raw.login_as("cleo", "cleo-pw").await;
    assert!(reply.starts_with("530"), "{reply:?}");
    let (mut raw, _) = Raw::connect(addr, "127.0.0.1").await;
    let reply = raw.login_as("ann", "ann-pw").await;
    assert!(reply.starts_with("230"), "{reply:?}");
}

/// A home in a container that does not exist, or signed with a wrong
/// key, stops wharfd at start, naming the user and the store's reason.
#[test]
fn a_home_the_store_refuses_stops_the_start() {
    let emulator = Azurite::start();
    container(&emulator, "homes");
    let dir = tempfile::tempdir().expect("tempdir");
    let start = |home: &str, key: &str| {
        let config = CONFIG
            .replace("ACCOUNT", ACCOUNT)
            .replace("{endpoint}", &emulator.endpoint());
        std::fs::write(dir.path().join("wharfd.toml"), config).expect("write");
        std::fs::write(dir.path().join("team.key"), key).expect("write");
        std::fs::write(dir.path().join("host-users.toml"), HOST_USERS).expect("write");
        let users = format!("[[user]]\nname = \"ann\"\npassword = \"pw\"\nhome = \"{home}\"\n");
        std::fs::write(dir.path().join("users.toml"), users).expect("write");
        run(
            Command::new(env!("CARGO_BIN_EXE_wharfd"))
                .args(["--listen", "127.0.0.1:0", "--config"])
                .arg(dir.path().join("wharfd.toml"))
                .arg("--users")
                .arg(dir.path().join("users.toml"))
                .arg("--root")
                .arg(dir.path().join("root")),
            Duration::from_secs(30),
        )
    };
    let missing = start(&format!("azure://team@{ACCOUNT}/nowhere/ann"), KEY);
    assert!(!missing.status.success(), "{}", missing.report());
    let said = missing.stderr_text();
    assert!(
        said.contains(&format!(
            "user ann: home: azure://{ACCOUNT}/nowhere/ann: the storage does not answer as expected"
        )),
        "{said}"
    );
    let wrong = "d3JvbmctYnV0LXdlbGwtZm9ybWVkLWtleS1vZi0zMi1ieXRlcyE=";
    let refused = start(&format!("azure://team@{ACCOUNT}/homes/ann"), wrong);
    assert!(!refused.status.success(), "{}", refused.report());
    assert!(
        refused.stderr_text().contains("user ann: home:"),
        "{}",
        refused.stderr_text()
    );
}
