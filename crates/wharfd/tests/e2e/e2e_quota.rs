//! Traffic quotas, usage persistence and bandwidth limits end to end: real
//! `wharfd` processes, Python ftplib clients that count every byte they
//! exchange (`tests/ftplib/counting_client.py`), curl for throttled
//! downloads, and Azurite as the shared usage store of two servers.

use crate::support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::azurite::{ACCOUNT, Azurite, KEY};
use support::{PASSWORD, Server, USER, hash_password, require_tool, run};

/// Runs the counting client: `clients` sessions of `user` doing `actions`.
fn count(server: &Server, user: &str, password: &str, clients: usize, actions: &[&str]) -> Value {
    count_at(server.addr(), user, password, clients, actions)
        .unwrap_or_else(|report| panic!("{report}\n--- wharfd ---\n{}", server.log_tail()))
}

/// [`count`] against an address, for threads (a [`Server`] stays in its
/// thread); the error is the client's report.
fn count_at(
    addr: SocketAddr,
    user: &str,
    password: &str,
    clients: usize,
    actions: &[&str],
) -> Result<Value, String> {
    require_tool("python3", "python3");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ftplib/counting_client.py");
    let finished = run(
        Command::new("python3")
            .arg(script)
            .arg(addr.ip().to_string())
            .arg(addr.port().to_string())
            .args([user, password, &clients.to_string()])
            .args(actions)
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        Duration::from_secs(120),
    );
    if !finished.status.success() {
        return Err(format!("counting client failed\n{}", finished.report()));
    }
    serde_json::from_slice(&finished.stdout)
        .map_err(|e| format!("not JSON ({e}): {}", finished.report()))
}

fn step(result: &Value, session: usize, index: usize) -> &Value {
    &result["sessions"][session]["steps"][index]
}

fn number(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

/// `Used:` of a `quota` step (the session's last) minus the session's own
/// bytes before it: what the server had counted before the session began.
fn used_before_session(result: &Value, index: usize) -> u64 {
    let quota = step(result, 0, index);
    let session = &result["sessions"][0];
    let own_data: u64 = ["data_in", "data_out", "listing"]
        .iter()
        .map(|key| number(&session[*key]))
        .sum();
    number(&quota["used"]) - number(&quota["control_before"]) - own_data
}

#[test]
fn a_download_stops_exactly_at_the_quota_and_later_ones_are_refused() {
    let server = Server::builder().args(&["--quota", "200000"]).start();
    std::fs::write(server.root().join("big.bin"), vec![7u8; 1_000_000]).unwrap();
    let result = count(
        &server,
        USER,
        PASSWORD,
        1,
        &["retr:big.bin", "retr:big.bin", "list", "quota"],
    );

    let cut = step(&result, 0, 0);
    assert_eq!(cut["reply"], "451", "{cut}");
    // Everything counted when the cut came: the control bytes through the
    // 150 and the data; nothing past the limit was sent.
    assert_eq!(
        number(&cut["bytes"]) + number(&cut["control_at_150"]),
        200_000,
        "{cut}"
    );
    let refused = step(&result, 0, 1);
    assert_eq!(refused["reply"], "451", "{refused}");
    let text = refused["text"].as_str().unwrap();
    assert!(
        text.contains("daily quota of 200000 bytes") && text.contains("resets at"),
        "{text}"
    );
    // A listing is refused like a download; SITE QUOTA still works.
    assert_eq!(step(&result, 0, 2)["reply"], "451");
    let quota = step(&result, 0, 3);
    assert_eq!(quota["reply"], "200", "{quota}");
    assert!(number(&quota["used"]) > 200_000);
    assert!(
        quota["text"]
            .as_str()
            .unwrap()
            .contains("Limit: 200000 bytes")
    );
}

#[test]
fn an_upload_cut_at_the_quota_is_not_stored() {
    let users = format!(
        "[[user]]\nname = \"bob\"\npassword_hash = \"{}\"\nquota = \"300kB\"\n",
        hash_password("bobpw")
    );
    let server = Server::builder()
        .file("users.toml", &users)
        .args(&["--users", "{base}/users.toml"])
        .start();
    let result = count(
        &server,
        "bob",
        "bobpw",
        1,
        &["stor:up.bin:2000000", "stor:again.bin:10", "quota"],
    );
    let cut = step(&result, 0, 0);
    assert_eq!(cut["reply"], "552", "{cut}\n{}", server.log_tail());
    assert_eq!(step(&result, 0, 1)["reply"], "552");
    let names: Vec<_> = std::fs::read_dir(server.root())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(names.is_empty(), "the cut upload left {names:?}");
    // The limit was bob's own, from the users file; alice has none.
    let quota = step(&result, 0, 2);
    assert!(
        quota["text"]
            .as_str()
            .unwrap()
            .contains("Limit: 300000 bytes"),
        "{quota}"
    );
    let alice = count(&server, USER, PASSWORD, 1, &["stor:fine.bin:400000"]);
    assert_eq!(step(&alice, 0, 0)["reply"], "226");
}

#[test]
fn control_traffic_counts_and_a_restart_restores_the_counts() {
    let usage = tempfile::tempdir().unwrap();
    let store = usage.path().to_str().unwrap();
    let args = [
        "--quota",
        "1GB",
        "--usage-store",
        store,
        "--usage-flush-secs",
        "1",
    ];
    let mut server = Server::builder().args(&args).start();
    std::fs::write(server.root().join("f.bin"), vec![1u8; 12_345]).unwrap();
    // Control only: SITE QUOTA reports exactly the bytes exchanged so far.
    let first = count(&server, USER, PASSWORD, 1, &["noop", "noop", "quota"]);
    assert_eq!(used_before_session(&first, 2), 0, "{first}");
    let second = count(
        &server,
        USER,
        PASSWORD,
        1,
        &["retr:f.bin", "stor:g.bin:777", "quota"],
    );
    let before_second = number(&first["total"]["all"]);
    assert_eq!(used_before_session(&second, 2), before_second, "{second}");
    let counted = before_second + number(&second["total"]["all"]);
    server.terminate();

    // Stored at shutdown; a new process on the same store starts from it.
    let stored = std::fs::read_dir(usage.path().join(USER)).unwrap().count();
    assert!(stored >= 1, "no usage record was written");
    let server = Server::builder().args(&args).start();
    let after = count(&server, USER, PASSWORD, 1, &["quota"]);
    assert_eq!(used_before_session(&after, 0), counted, "{after}");
}

/// Two servers on different loopback addresses share one Azurite container
/// as their usage store; 20 clients (10 on each) transfer at once. After
/// both shut down, a third server reads the stored total, which must equal
/// every byte the clients exchanged.
#[test]
fn two_servers_sharing_a_blob_store_lose_no_increment() {
    let azurite = Azurite::start();
    let key_dir = tempfile::tempdir().unwrap();
    let key_file = key_dir.path().join("usage.key");
    std::fs::write(&key_file, KEY).unwrap();
    let store = format!("azure://{ACCOUNT}/usage/wharf");
    let args = [
        "--quota",
        "10GB",
        "--usage-store",
        &store,
        "--usage-store-key-file",
        key_file.to_str().unwrap(),
        "--azure-endpoint",
        &azurite.endpoint(),
        "--usage-flush-secs",
        "1",
    ];
    let mut one = Server::builder().args(&args).start();
    let mut two = Server::builder().listen_ip("127.0.0.2").args(&args).start();
    for server in [&one, &two] {
        std::fs::write(server.root().join("shared.bin"), vec![3u8; 300_000]).unwrap();
    }
    let actions = [
        "stor:c{i}.bin:250000",
        "retr:shared.bin",
        "list",
        "noop",
        "retr:c{i}.bin",
    ];
    let (to_one, to_two) = (one.addr(), two.addr());
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| count_at(to_one, USER, PASSWORD, 10, &actions));
        let b = s.spawn(|| count_at(to_two, USER, PASSWORD, 10, &actions));
        (a.join().unwrap(), b.join().unwrap())
    });
    let logs = format!("{}\n{}", one.log_tail(), two.log_tail());
    let a = a.unwrap_or_else(|e| panic!("{e}\n{logs}"));
    let b = b.unwrap_or_else(|e| panic!("{e}\n{logs}"));
    for result in [&a, &b] {
        for session in result["sessions"].as_array().unwrap() {
            for step in session["steps"].as_array().unwrap() {
                assert!(
                    ["200", "226"].contains(&step["reply"].as_str().unwrap()),
                    "{step}"
                );
            }
        }
    }
    let expected = number(&a["total"]["all"]) + number(&b["total"]["all"]);
    one.terminate();
    two.terminate();

    let reader = Server::builder().args(&args).start();
    let read = count(&reader, USER, PASSWORD, 1, &["quota"]);
    assert_eq!(used_before_session(&read, 0), expected, "{read}");
}

/// Seconds curl took to download `url`.
fn timed_download(url: &str) -> f64 {
    let started = Instant::now();
    let finished = run(
        Command::new("curl")
            .args([
                "-sS",
                "-o",
                "/dev/null",
                "-u",
                &format!("{USER}:{PASSWORD}"),
            ])
            .arg(url),
        Duration::from_secs(60),
    );
    assert!(finished.status.success(), "{}", finished.report());
    started.elapsed().as_secs_f64()
}

/// A bench-style check with a loose bound: over a few seconds the
/// throttled rate is within 10 % of the configured one.
#[test]
fn throttled_downloads_run_at_the_configured_rate() {
    require_tool("curl", "curl");
    const RATE: f64 = 1024.0 * 1024.0;
    let server = Server::builder()
        .args(&["--session-download-rate", "1MiB/s"])
        .start();
    std::fs::write(server.root().join("four.bin"), vec![5u8; 4 * 1024 * 1024]).unwrap();
    let seconds = timed_download(&format!("{}/four.bin", server.url()));
    let rate = 4.0 * 1024.0 * 1024.0 / seconds;
    assert!(
        (rate / RATE - 1.0).abs() <= 0.10,
        "one session: {rate:.0} B/s against {RATE} B/s ({seconds:.2} s)"
    );

    // Per account: two sessions at once share the account's rate.
    let server = Server::builder()
        .args(&["--account-download-rate", "1MiB"])
        .start();
    std::fs::write(server.root().join("two.bin"), vec![5u8; 2 * 1024 * 1024]).unwrap();
    let url = format!("{}/two.bin", server.url());
    let started = Instant::now();
    std::thread::scope(|s| {
        let a = s.spawn(|| timed_download(&url));
        let b = s.spawn(|| timed_download(&url));
        a.join().unwrap();
        b.join().unwrap();
    });
    let seconds = started.elapsed().as_secs_f64();
    let rate = 4.0 * 1024.0 * 1024.0 / seconds;
    assert!(
        (rate / RATE - 1.0).abs() <= 0.10,
        "two sessions of one account: {rate:.0} B/s together against {RATE} B/s ({seconds:.2} s)"
    );
}
