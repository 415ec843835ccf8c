//! Three `wharfd` behind a real HAProxy (Debian's package), as
//! docs/operations.md's PROXY section describes: one control frontend on
//! 127.0.0.1 round-robin over nodes on 127.0.0.11/.12/.13 with
//! `send-proxy-v2` and health checks on each node's `/readyz`, and one
//! frontend per node's passive range, also with `send-proxy-v2`. The nodes
//! share one directory. Clients bind their own source addresses
//! (127.0.1.x), so each node's log must show them, not HAProxy.

use crate::support;

use std::path::Path;
use std::time::Duration;

use support::Server;
use support::fleet::{Backend, Fleet, Place, config, curl_from, curl_spawn, finish};

/// docs/fleet.md shows the configuration the tests write, with the ports
/// it names (21, 990, admin 9100) filled in.
#[test]
fn docs_show_the_haproxy_configuration_the_tests_write() {
    let place = Place {
        first_ip: 11,
        first_port: 29100,
    };
    let nodes: Vec<Backend> = (0..3)
        .map(|i| Backend {
            control: format!("{}:21", place.ip(i)).parse().expect("an address"),
            implicit: Some(format!("{}:990", place.ip(i)).parse().expect("an address")),
            admin: 9100,
        })
        .collect();
    let written = config(place, 21, Some(990), &nodes);
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/fleet.md"))
            .expect("docs/fleet.md");
    let shown = docs
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a text block in docs/fleet.md");
    assert_eq!(shown, written);
}

#[test]
fn a_fleet_behind_haproxy_serves_one_tree_and_sees_the_clients() {
    let place = Place {
        first_ip: 11,
        first_port: 29100,
    };
    let mut fleet = Fleet::start(place, &[]);
    let (url, dir) = (fleet.url.clone(), fleet.dir.path().to_owned());
    let nodes = &mut fleet.nodes;

    // An upload through one session is downloaded byte-exact through
    // sessions that land on the other nodes (round robin), by EPSV and PASV.
    let local = dir.join("up.bin");
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&local, &body).expect("a file");
    let up = curl_from(
        "127.0.1.1",
        &[
            "-T",
            local.to_str().expect("utf-8"),
            &format!("{url}/up.bin"),
        ],
    );
    assert!(up.status.success(), "{}", up.report());
    for (n, from) in ["127.0.1.2", "127.0.1.3", "127.0.1.4", "127.0.1.5"]
        .iter()
        .enumerate()
    {
        let mut args = vec![];
        if n % 2 == 1 {
            args.push("--disable-epsv");
        }
        let target = format!("{url}/up.bin");
        args.push(&target);
        let down = curl_from(from, &args);
        assert!(down.status.success(), "{from}: {}", down.report());
        assert_eq!(down.stdout, body, "{from}");
    }
    // Every node served someone, and logged the clients, not HAProxy.
    for (i, node) in nodes.iter().enumerate() {
        let log = node.log_text();
        assert!(
            log.contains("peer=127.0.1."),
            "node {i} saw no client:\n{log}"
        );
        assert!(
            !log.contains("peer=127.0.0.1:"),
            "node {i} logged HAProxy:\n{log}"
        );
    }

    // SIGTERM on one node: its /readyz turns 503, HAProxy takes it out, and
    // new sessions all go to the others.
    nodes[0].signal("TERM");
    std::thread::sleep(Duration::from_millis(1500));
    for from in ["127.0.1.6", "127.0.1.7", "127.0.1.8"] {
        let down = curl_from(from, &[&format!("{url}/up.bin")]);
        assert!(
            down.status.success(),
            "{from} after SIGTERM: {}",
            down.report()
        );
        assert_eq!(down.stdout, body);
    }
    // SIGKILL on another: sessions go to the last one.
    nodes[1].stop_and_log();
    std::thread::sleep(Duration::from_millis(1500));
    for from in ["127.0.1.10", "127.0.1.11"] {
        let down = curl_from(from, &[&format!("{url}/up.bin")]);
        assert!(
            down.status.success(),
            "{from} after SIGKILL: {}",
            down.report()
        );
    }
}

/// With `--epsv off`, curl (which tries EPSV first) falls back to PASV and
/// the transfer works; `docs/fleet.md` names the clients that do.
#[test]
fn with_epsv_off_curl_falls_back_to_pasv() {
    let server = Server::builder().args(&["--epsv", "off"]).start();
    std::fs::write(server.root().join("f"), b"by pasv").expect("a file");
    let down = support::curl(&[&format!("{}/f", server.url())]);
    support::assert_success(&down, &server);
    assert_eq!(down.stdout, b"by pasv");
    support::assert_used(&down, "EPSV", &["502"]);
    support::assert_used(&down, "PASV", &["227"]);
}

#[test]
fn ftps_through_the_balancer_and_nodes_that_stop_or_die() {
    // Downloads at 256 KiB/s on the server's side, so a 1 MiB one runs 4 s.
    let place = Place {
        first_ip: 21,
        first_port: 29200,
    };
    let mut fleet = Fleet::start(place, &["--session-download-rate", "256KiB/s"]);
    let url = fleet.url.clone();
    let body = vec![7u8; 1024 * 1024];
    std::fs::write(fleet.shared.path().join("big.bin"), &body).expect("a file");
    std::fs::write(fleet.shared.path().join("small.bin"), b"small").expect("a file");
    let tls = ["--ssl-reqd", "-k"];
    let get =
        |from: &str, name: &str| curl_from(from, &[&tls[..], &[&format!("{url}/{name}")]].concat());

    // Explicit FTPS, PROT P data through the per-node frontends.
    let small = get("127.0.1.30", "small.bin");
    assert!(small.status.success(), "{}", small.report());
    assert_eq!(small.stdout, b"small");

    // SIGTERM on the node of a running download: the download completes
    // within the grace period, and new sessions go to the other nodes.
    let args = |name: &str| -> Vec<String> {
        let mut args: Vec<String> = tls.iter().map(|a| (*a).to_owned()).collect();
        args.extend(["-o".into(), "/dev/null".into(), format!("{url}/{name}")]);
        args
    };
    let running = curl_spawn("127.0.1.31", &args("big.bin"));
    let draining = fleet.node_of("127.0.1.31");
    // Its first download (the small one may have gone to another node).
    let started = usize::from(fleet.node_of("127.0.1.30") == draining) + 1;
    fleet.wait_for_downloads(draining, started);
    fleet.nodes[draining].signal("TERM");
    std::thread::sleep(Duration::from_millis(1000));
    let meanwhile = get("127.0.1.32", "small.bin");
    assert!(meanwhile.status.success(), "{}", meanwhile.report());
    assert_ne!(fleet.node_of("127.0.1.32"), draining);
    let (ok, log) = finish(running);
    assert!(
        ok,
        "the download on the draining node was cut: {log}\n{}",
        fleet.nodes[draining].log_text()
    );

    // SIGKILL on the node of a running upload (8 MiB at 256 KiB/s, more
    // than the buffers on the way hold): that upload fails and leaves
    // nothing under its name, while a download on the other node goes on.
    let large = fleet.dir.path().join("large.bin");
    std::fs::write(&large, vec![9u8; 8 * 1024 * 1024]).expect("a file");
    let mut upload: Vec<String> = tls.iter().map(|a| (*a).to_owned()).collect();
    upload.extend([
        "--limit-rate".into(),
        "256K".into(),
        "-T".into(),
        large.to_str().expect("utf-8").into(),
        format!("{url}/up.bin"),
    ]);
    let uploading = curl_spawn("127.0.1.33", &upload);
    let victim = fleet.node_of("127.0.1.33");
    assert_ne!(
        victim, draining,
        "HAProxy sent a session to the draining node"
    );
    let other = curl_spawn("127.0.1.35", &args("big.bin"));
    let survivor = fleet.node_of("127.0.1.35");
    std::thread::sleep(Duration::from_millis(1000));
    fleet.nodes[victim].stop_and_log();
    let (ok, _) = finish(uploading);
    assert!(!ok, "an upload to a killed node reported success");
    let stored = std::fs::metadata(fleet.shared.path().join("up.bin")).map(|m| m.len());
    assert!(
        stored.is_err(),
        "a partial upload is under its name: {stored:?}"
    );
    let (ok, log) = finish(other);
    assert!(
        ok || survivor == victim,
        "a download on another node was cut: {log}"
    );
    std::thread::sleep(Duration::from_millis(1000));
    let after = get("127.0.1.34", "small.bin");
    assert!(after.status.success(), "{}", after.report());
    assert_eq!(after.stdout, b"small");
}
