//! `/readyz` follows the storage: `200` while the store answers, `503`
//! with a one-line reason within a few seconds of it going away (a blob
//! store that stops answering; a local root that is moved away), and
//! `200` again when a local root comes back. A balancer's checks then take
//! the node out of rotation instead of sending it sessions that fail.

use crate::e2e_operations::get;
use crate::support;

use std::time::{Duration, Instant};

use support::Server;
use support::azurite::{ACCOUNT, Azurite, KEY};

/// The storage probe's result lives 2 s and waits at most 2 s; a change
/// must show well within this.
const WITHIN: Duration = Duration::from_secs(10);

/// Polls `/readyz` until its status is `status`; its last body.
fn wait_for_readyz(server: &Server, status: u16) -> String {
    let deadline = Instant::now() + WITHIN;
    loop {
        let (body, code) = get(server, "/readyz");
        if code == status {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz stayed {code} ({body:?}), wanted {status}\n{}",
            server.log_tail()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn readyz_turns_503_when_the_local_root_goes_and_200_when_it_returns() {
    let server = Server::builder()
        .args(&["--admin-listen", "127.0.0.1:0"])
        .start();
    assert_eq!(get(&server, "/readyz"), ("ready\n".to_owned(), 200));
    let moved = server.outside().join("moved-root");
    std::fs::rename(server.root(), &moved).expect("move the root away");
    let started = Instant::now();
    let reason = wait_for_readyz(&server, 503);
    assert!(
        reason.starts_with("storage: the root ") && reason.ends_with('\n'),
        "{reason:?}"
    );
    assert_eq!(reason.lines().count(), 1, "{reason:?}");
    // /healthz is about the process, which is fine.
    assert_eq!(get(&server, "/healthz"), ("ok\n".to_owned(), 200));
    std::fs::rename(&moved, server.root()).expect("move the root back");
    wait_for_readyz(&server, 200);
    assert!(started.elapsed() < 2 * WITHIN);
    // A different directory at the root's path is not the one served.
    std::fs::rename(server.root(), &moved).expect("move the root away");
    std::fs::create_dir(server.root()).expect("a new root");
    let reason = wait_for_readyz(&server, 503);
    assert!(reason.contains("was replaced"), "{reason:?}");
}

/// A server on `storage` in Azurite, with the admin listener.
fn blob_server(azurite: &Azurite, storage: &str) -> Server {
    Server::builder()
        .file("storage.key", KEY)
        .args(&[
            "--storage",
            storage,
            "--storage-key-file",
            "{base}/storage.key",
            "--azure-endpoint",
            &azurite.endpoint(),
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .start()
}

/// How many `operation` calls on Azure the server's metrics count.
fn azure_calls(server: &Server, operation: &str) -> f64 {
    let (metrics, _) = get(server, "/metrics");
    let series =
        format!("wharf_storage_operations_total{{backend=\"azure\",operation=\"{operation}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&series))
        .map_or(0.0, |v| v.parse().expect("a sample value"))
}

#[test]
fn readyz_turns_503_when_the_blob_store_stops_answering() {
    let azurite = Azurite::start();
    // The account view, which the probe lists (a container's name could
    // be anyone's bucket on S3), and a container, where it looks up one
    // name.
    let account = blob_server(&azurite, &format!("azure://{ACCOUNT}"));
    let made = support::curl(&["-Q", "MKD /box", &format!("{}/", account.url())]);
    support::assert_success(&made, &account);
    let container = blob_server(&azurite, &format!("azure://{ACCOUNT}/box"));
    for (server, operation) in [(&account, "list"), (&container, "metadata")] {
        let before = azure_calls(server, operation);
        assert_eq!(get(server, "/readyz"), ("ready\n".to_owned(), 200));
        // The probe asked the store, and a second check within the
        // result's life did not.
        let asked = azure_calls(server, operation);
        assert!(asked > before, "{operation}: {before} -> {asked}");
        assert_eq!(get(server, "/readyz").1, 200);
        assert_eq!(azure_calls(server, operation), asked, "{operation}");
    }
    drop(azurite);
    for server in [&account, &container] {
        let reason = wait_for_readyz(server, 503);
        assert!(reason.starts_with("storage: "), "{reason:?}");
        assert_eq!(reason.lines().count(), 1, "{reason:?}");
        assert_eq!(get(server, "/healthz"), ("ok\n".to_owned(), 200));
    }
}
