//! Issue 17, "Data channel and storage": the shared-account blob view
//! (`--storage azure://ACCOUNT`), where every user of the users file works
//! in one storage account that none of them owns.
//!
//! - SITE CHMOD on a container (its public access) is refused with 550
//!   unless `--allow-container-public-access`, and the container stays
//!   private;
//! - a usage store (quota counts) that FTP users could reach, its container
//!   inside the view or its directory inside the root, stops wharfd at
//!   start with an error saying why.

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::azurite::{ACCOUNT, Azurite, KEY};
use support::{PASSWORD, Server, USER, require_tool, run};

const CURL_TIMEOUT: Duration = Duration::from_secs(60);

/// A server whose users get `storage` (signed with Azurite's key).
fn shared(azurite: &Azurite, storage: &str, extra: &[&str]) -> Server {
    Server::builder()
        .file("storage.key", KEY)
        .args(&[
            "--storage",
            storage,
            "--storage-key-file",
            "{base}/storage.key",
            "--azure-endpoint",
            &azurite.endpoint(),
        ])
        .args(extra)
        .start()
}

/// curl -v as the shared account's user, sending `commands` with -Q before
/// listing `/`; returns the control conversation (stderr).
fn conversation(server: &Server, commands: &[&str]) -> String {
    require_tool("curl", "curl");
    let mut command = Command::new("curl");
    command.args(["-sS", "-v", "-u", &format!("{USER}:{PASSWORD}")]);
    for quoted in commands {
        command.args(["-Q", quoted]);
    }
    command.arg(format!("{}/", server.url()));
    run(&mut command, CURL_TIMEOUT).stderr_text()
}

/// An anonymous GET of a blob straight from Azurite: its HTTP status.
fn anonymous_status(azurite: &Azurite, blob: &str) -> String {
    let url = format!("http://127.0.0.1:{}/{ACCOUNT}/{blob}", azurite.port);
    run(
        Command::new("curl").args(["-s", "-o", "/dev/null", "-w", "%{http_code}", &url]),
        CURL_TIMEOUT,
    )
    .stdout_text()
}

/// Makes container `name` holding `hello.txt` through the server.
fn container_with_a_blob(server: &Server, name: &str) {
    let dir = tempfile::tempdir().expect("test set-up");
    let local = dir.path().join("hello.txt");
    std::fs::write(&local, b"not for the internet").expect("test set-up");
    let talk = conversation(server, &[&format!("MKD /{name}")]);
    assert!(talk.contains("< 257"), "{talk}");
    let finished = run(
        Command::new("curl").args([
            "-sS",
            "-u",
            &format!("{USER}:{PASSWORD}"),
            "-T",
            local.to_str().expect("utf-8"),
            &format!("{}/{name}/hello.txt", server.url()),
        ]),
        CURL_TIMEOUT,
    );
    assert!(finished.status.success(), "{}", finished.report());
}

#[test]
fn a_shared_account_user_cannot_make_a_container_public() {
    let azurite = Azurite::start();
    let server = shared(&azurite, &format!("azure://{ACCOUNT}"), &[]);
    container_with_a_blob(&server, "box");
    let private = |status: String| matches!(status.as_str(), "403" | "404");
    assert!(private(anonymous_status(&azurite, "box/hello.txt")));

    for mode in ["755", "754"] {
        let talk = conversation(&server, &[&format!("SITE CHMOD {mode} /box")]);
        assert!(talk.contains("< 550"), "SITE CHMOD {mode}:\n{talk}");
        assert!(
            private(anonymous_status(&azurite, "box/hello.txt")),
            "the container became public"
        );
    }
    // The operator may allow it.
    let allowed = shared(
        &azurite,
        &format!("azure://{ACCOUNT}"),
        &["--allow-container-public-access"],
    );
    let talk = conversation(&allowed, &["SITE CHMOD 755 /box"]);
    assert!(talk.contains("< 200"), "{talk}");
    assert_eq!(anonymous_status(&azurite, "box/hello.txt"), "200");
}

/// Runs wharfd with `args` until it exits; it must not start. Its stderr.
fn refused_start(args: &[String]) -> String {
    let dir = tempfile::tempdir().expect("test set-up");
    let key = dir.path().join("storage.key");
    std::fs::write(&key, KEY).expect("test set-up");
    let mut command = Command::new(env!("CARGO_BIN_EXE_wharfd"));
    command
        .args(["--listen", "127.0.0.1:0", "--user", "alice:secret"])
        .arg("--storage-key-file")
        .arg(&key)
        .args(args);
    // Never the default ./ftp-root of the working directory.
    if !args.iter().any(|a| a == "--root") {
        command.arg("--root").arg(dir.path().join("root"));
    }
    let finished = run(&mut command, Duration::from_secs(30));
    assert!(
        !finished.status.success(),
        "wharfd started with {args:?}\n{}",
        finished.report()
    );
    finished.stderr_text()
}

#[test]
fn a_usage_store_that_ftp_users_could_reach_stops_the_server() {
    let azurite = Azurite::start();
    let endpoint = azurite.endpoint();
    let owned = |args: &[&str]| args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    let account_view = format!("azure://{ACCOUNT}");
    let container_view = format!("azure://{ACCOUNT}/box");
    // The served container must exist for the server to get that far.
    let maker = shared(&azurite, &account_view, &[]);
    assert!(conversation(&maker, &["MKD /box"]).contains("< 257"));
    drop(maker);
    for (storage, store) in [
        (&account_view, format!("azure://{ACCOUNT}/usage")),
        (&account_view, format!("azure://{ACCOUNT}/usage/wharf")),
        (&container_view, format!("azure://{ACCOUNT}/box/wharf")),
    ] {
        let stderr = refused_start(&owned(&[
            "--storage",
            storage,
            "--azure-endpoint",
            &endpoint,
            "--usage-store",
            &store,
        ]));
        assert!(
            stderr.contains("--usage-store") && stderr.contains("inside what FTP users see"),
            "{storage} with {store}:\n{stderr}"
        );
    }

    // A directory store inside the served root, or the root inside it.
    let dir = tempfile::tempdir().expect("test set-up");
    let root = dir.path().join("root");
    for store in [root.join("usage"), dir.path().to_owned()] {
        let stderr = refused_start(&[
            "--root".to_owned(),
            root.display().to_string(),
            "--usage-store".to_owned(),
            store.display().to_string(),
        ]);
        assert!(stderr.contains("inside what FTP users see"), "{stderr}");
    }

    // Pass-through: an account that may log in sees its own containers,
    // the usage records' included.
    for accounts in [None, Some(ACCOUNT)] {
        let mut args = owned(&[
            "--azure-passthrough",
            "--allow-account-keys-in-clear",
            "--azure-endpoint",
            &endpoint,
            "--usage-store",
            &format!("azure://{ACCOUNT}/usage/wharf"),
        ]);
        if let Some(account) = accounts {
            args.extend(owned(&["--azure-accounts", account]));
        }
        let stderr = refused_start(&args);
        assert!(
            stderr.contains("--usage-store") && stderr.contains("may log in"),
            "pass-through with --azure-accounts {accounts:?}:\n{stderr}"
        );
    }

    // Another container than the one served is out of the users' reach.
    let server = shared(
        &azurite,
        &container_view,
        &["--usage-store", &format!("azure://{ACCOUNT}/usage/wharf")],
    );
    let talk = conversation(&server, &["NOOP"]);
    assert!(talk.contains("< 200"), "{talk}");
}
