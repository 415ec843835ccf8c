//! The fleet of `e2e_fleet.rs` (three nodes behind HAProxy) with its
//! failed-login counts, bans and per-address session counts in Azurite
//! (`--shared-state`): wrong passwords from one client spread over the
//! nodes ban it on every node, another client still logs in, a
//! per-address limit of 2 holds across the nodes and frees when a session
//! ends, and a killed node's sessions stop counting after the lease. When
//! the store itself dies, clients still log in, and the nodes say so in
//! their log and metrics.

use crate::support;
use crate::support::fleet::{Fleet, Place};

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use support::azurite::{ACCOUNT, Azurite, KEY};
use support::{Finished, connect_from, require_tool, run};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;

/// How long a node's session counts hold without renewal.
const LEASE: Duration = Duration::from_secs(6);

/// curl as `fleet` with `password` from the source address `from`: a
/// listing of the VIP's root.
fn list_from(url: &str, from: &str, password: &str) -> Finished {
    require_tool("curl", "curl");
    run(
        Command::new("curl")
            .arg("--disable")
            .args(["-sS", "--noproxy", "*", "--max-time", "20"])
            .args(["--interface", from, "-u", &format!("fleet:{password}")])
            .arg(format!("{url}/")),
        Duration::from_secs(30),
    )
}

/// A control connection from `from` held open, with its greeting and its
/// source port (which the node's log names).
struct Held {
    _stream: BufReader<TcpStream>,
    greeting: String,
    port: u16,
}

async fn hold(vip: SocketAddr, from: &str) -> Held {
    let stream = connect_from(vip, from).await;
    let port = stream.local_addr().expect("a local address").port();
    let mut stream = BufReader::new(stream);
    let mut greeting = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_line(&mut greeting))
        .await
        .expect("a greeting in time")
        .expect("read the greeting");
    Held {
        _stream: stream,
        greeting,
        port,
    }
}

/// The node whose log shows the session from `from:port`.
fn node_of(fleet: &Fleet, from: &str, port: u16) -> usize {
    let needle = format!("peer={from}:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(i) = fleet
            .nodes
            .iter()
            .position(|n| n.log_text().contains(&needle))
        {
            return i;
        }
        assert!(Instant::now() < deadline, "no node logged {needle}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The value of the metric line starting with `name ` on node `i`.
fn metric(fleet: &Fleet, i: usize, name: &str) -> u64 {
    let url = format!("{}/metrics", fleet.nodes[i].admin_url());
    let scrape = run(
        Command::new("curl").args(["-sS", "--noproxy", "*", &url]),
        Duration::from_secs(10),
    );
    let prefix = format!("{name} ");
    scrape
        .stdout_text()
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Connections node `i` refused as banned, from its metrics.
fn banned_refusals(fleet: &Fleet, i: usize) -> u64 {
    metric(
        fleet,
        i,
        "wharf_connections_refused_total{reason=\"banned\"}",
    )
}

#[test]
fn bans_and_per_address_limits_hold_across_a_fleet_sharing_azurite() {
    let azurite = Azurite::start();
    let keys = tempfile::tempdir().expect("a key directory");
    let key_file = keys.path().join("shared.key");
    std::fs::write(&key_file, KEY).expect("the key file");
    let store = format!("azure://{ACCOUNT}/fleet/state");
    let lease = LEASE.as_secs().to_string();
    let place = Place {
        first_ip: 71,
        first_port: 29700,
    };
    let mut fleet = Fleet::start(
        place,
        &[
            "--shared-state",
            &store,
            "--shared-state-key-file",
            key_file.to_str().expect("utf-8"),
            "--azure-endpoint",
            &azurite.endpoint(),
            "--shared-ban-refresh-secs",
            "1",
            "--shared-session-lease-secs",
            &lease,
            "--ban-failures",
            "4",
            "--max-sessions-per-ip",
            "2",
        ],
    );
    let url = fleet.url.clone();
    let vip: SocketAddr = url
        .trim_start_matches("ftp://")
        .parse()
        .expect("the VIP's address");

    // Four wrong passwords from one address, round robin over three nodes:
    // no node sees four, the fleet does.
    let guesser = "127.0.1.50";
    for n in 0..4 {
        let wrong = list_from(&url, guesser, "wrong");
        assert!(!wrong.status.success(), "wrong password {n} logged in");
    }
    let failed_on = |i: usize| {
        fleet.nodes[i]
            .log_text()
            .lines()
            .any(|l| l.contains("authentication failed") && l.contains(guesser))
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut counted: Vec<usize> = (0..3).filter(|&i| failed_on(i)).collect();
    while counted.len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        counted = (0..3).filter(|&i| failed_on(i)).collect();
    }
    assert!(
        counted.len() >= 2,
        "the failures were not spread: {counted:?}"
    );
    // Within the ban refresh every node refuses it, even with the right
    // password; three connections in a row reach all three nodes.
    std::thread::sleep(Duration::from_millis(1500));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    for n in 0..3 {
        let refused = runtime.block_on(hold(vip, guesser));
        assert!(
            refused.greeting.starts_with("421") && refused.greeting.contains("failed logins"),
            "connection {n} of the banned address: {:?}",
            refused.greeting
        );
    }
    for i in 0..3 {
        assert!(
            banned_refusals(&fleet, i) >= 1,
            "node {i} let the banned address in"
        );
    }
    let right = list_from(&url, guesser, "pw");
    assert!(!right.status.success(), "the banned address logged in");
    let other = list_from(&url, "127.0.1.51", "pw");
    assert!(
        other.status.success(),
        "another address: {}",
        other.report()
    );

    // Two sessions per address, wherever they land: the third is refused
    // by whichever node it reaches.
    let client = "127.0.1.60";
    let first = runtime.block_on(hold(vip, client));
    let second = runtime.block_on(hold(vip, client));
    for held in [&first, &second] {
        assert!(held.greeting.starts_with("220"), "{:?}", held.greeting);
    }
    let (a, b) = (
        node_of(&fleet, client, first.port),
        node_of(&fleet, client, second.port),
    );
    assert_ne!(a, b, "round robin put both sessions on one node");
    for n in 0..2 {
        let third = runtime.block_on(hold(vip, client));
        assert_eq!(
            third.greeting.trim_end(),
            "421 Too many connections from your address.",
            "session {} from {client}",
            n + 3
        );
    }
    // A session that ends frees its place.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    let replacement = loop {
        let next = runtime.block_on(hold(vip, client));
        if next.greeting.starts_with("220") {
            break next;
        }
        assert!(
            Instant::now() < deadline,
            "the ended session kept its place"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let c = node_of(&fleet, client, replacement.port);

    // Kill the node of one of the two live sessions (`second`'s, and
    // `replacement`'s too if it went there): its count holds until its
    // lease runs out, then its places are free, and no more: a survivor
    // renews its own lease.
    fleet.nodes[b].stop_and_log();
    let killed = Instant::now();
    std::thread::sleep(Duration::from_millis(1500));
    let early = runtime.block_on(hold(vip, client));
    if killed.elapsed() < LEASE - Duration::from_secs(2) {
        assert!(
            early.greeting.starts_with("421"),
            "the killed node's session stopped counting before its lease: {:?}",
            early.greeting
        );
    }
    drop(early);
    std::thread::sleep(LEASE.saturating_sub(killed.elapsed()) + Duration::from_millis(1500));
    let freed: Vec<Held> = (0..usize::from(c == b) + 1)
        .map(|_| runtime.block_on(hold(vip, client)))
        .collect();
    for held in &freed {
        assert!(
            held.greeting.starts_with("220"),
            "the killed node's session still counts after the lease: {:?}",
            held.greeting
        );
    }
    let over = runtime.block_on(hold(vip, client));
    assert!(
        over.greeting.starts_with("421"),
        "a surviving session stopped counting: {:?}",
        over.greeting
    );
    drop((second, replacement, freed, over));

    // The store dies: nobody is locked out (a session is admitted under
    // the node's own limit once the store call gives up), and the nodes
    // log the outage once and count it.
    drop(azurite);
    let after = list_from(&url, "127.0.1.61", "pw");
    assert!(
        after.status.success(),
        "locked out by a dead store: {}",
        after.report()
    );
    let alive: Vec<usize> = (0..3).filter(|&i| i != b).collect();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !alive
        .iter()
        .all(|&i| metric(&fleet, i, "wharf_shared_state_failing") == 1)
    {
        assert!(
            Instant::now() < deadline,
            "a node never noticed the dead store"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let uncounted: u64 = alive
        .iter()
        .map(|&i| metric(&fleet, i, "wharf_shared_state_uncounted_sessions_total"))
        .sum();
    assert!(
        uncounted >= 1,
        "the session let in without the store was not counted"
    );
    for &i in &alive {
        assert!(metric(&fleet, i, "wharf_shared_state_errors_total") >= 1);
        let log = fleet.nodes[i].log_text();
        // One warning per outage: each after the first follows a recovery.
        assert_eq!(
            log.matches("shared state store failing").count(),
            log.matches("shared state store answers again").count() + 1,
            "node {i}:\n{log}"
        );
    }
}
