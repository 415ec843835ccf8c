//! The HAProxy fleet of `e2e_fleet.rs` on one Azurite container: three
//! nodes on `--storage azure://ACCOUNT/files`, the quota usage store in
//! Azurite (`--usage-store azure://ACCOUNT/usage/wharf`, flushed every
//! second), and HAProxy fronting control, implicit FTPS and each node's
//! passive range with `send-proxy-v2`. What one session uploads the others,
//! on other nodes, list and download byte-exact; one account's quota holds
//! exactly across the nodes; a node killed mid-upload commits nothing; a
//! node given SIGTERM finishes its upload and takes no new session. What
//! is stored is read from Azurite itself (a container SAS), not through
//! wharfd.

use crate::support;
use crate::support::fleet::{Fleet, Nodes, Place, curl_from, curl_spawn, finish};

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::azurite::{ACCOUNT, Azurite, KEY};
use support::{Finished, hash_password, pattern, require_tool, run};
use wharf_test_support::sas::{account_sas, container_sas, in_an_hour};

/// The account the quota test meters, and its quota in bytes.
const METER: &str = "meter";
const METER_QUOTA: u64 = 1_500_000;

/// Azurite's REST endpoint for `path` (`CONTAINER[/BLOB]`) with `query`.
fn azurite_url(azurite: &Azurite, path: &str, query: &str) -> String {
    format!("http://127.0.0.1:{}/{ACCOUNT}/{path}?{query}", azurite.port)
}

/// A plain HTTP request to Azurite: curl's output.
fn azurite_request(method: &str, url: &str) -> Finished {
    require_tool("curl", "curl");
    run(
        Command::new("curl")
            .args([
                "-sS",
                "--noproxy",
                "*",
                "-X",
                method,
                "-H",
                "Content-Length: 0",
            ])
            .arg(url),
        Duration::from_secs(20),
    )
}

/// Makes container `name` (an account SAS that may create it).
fn make_container(azurite: &Azurite, name: &str) {
    let sas = account_sas(ACCOUNT, KEY, "rwdlac", "sco", &in_an_hour());
    let made = azurite_request(
        "PUT",
        &azurite_url(azurite, name, &format!("restype=container&{sas}")),
    );
    assert!(made.status.success(), "{}", made.report());
}

/// The names in container `name` under `prefix`, committed blobs and,
/// with `uncommitted`, blobs that have only staged blocks.
fn blob_names(azurite: &Azurite, name: &str, prefix: &str, uncommitted: bool) -> Vec<String> {
    let sas = container_sas(ACCOUNT, KEY, name, "rl", &in_an_hour());
    let include = if uncommitted {
        "&include=uncommittedblobs"
    } else {
        ""
    };
    let listed = azurite_request(
        "GET",
        &azurite_url(
            azurite,
            name,
            &format!("restype=container&comp=list&prefix={prefix}{include}&{sas}"),
        ),
    );
    assert!(listed.status.success(), "{}", listed.report());
    let xml = listed.stdout_text();
    assert!(xml.contains("<EnumerationResults"), "not a listing: {xml}");
    xml.split("<Name>")
        .skip(1)
        .filter_map(|rest| rest.split("</Name>").next())
        .map(str::to_owned)
        .collect()
}

/// The bytes of blob `path` (`CONTAINER/NAME`), read from Azurite.
fn blob_bytes(azurite: &Azurite, container: &str, name: &str) -> Vec<u8> {
    let sas = container_sas(ACCOUNT, KEY, container, "rl", &in_an_hour());
    let read = azurite_request(
        "GET",
        &azurite_url(azurite, &format!("{container}/{name}"), &sas),
    );
    assert!(read.status.success(), "{}", read.report());
    read.stdout
}

/// The meter account's usage record in Azurite: its `bytes`, if written.
fn stored_usage(azurite: &Azurite) -> Option<u64> {
    let names = blob_names(azurite, "usage", &format!("wharf/{METER}/"), false);
    let name = names.first()?;
    let record: Value =
        serde_json::from_slice(&blob_bytes(azurite, "usage", name)).expect("a JSON record");
    assert_eq!(record["account"], METER, "{record}");
    record["bytes"].as_u64()
}

/// Three nodes on Azurite: users `fleet` (no quota) and `meter` (its own),
/// the usage store in Azurite, implicit FTPS listeners, and `extra`.
fn azure_fleet(azurite: &Azurite, place: Place, extra: &[&str]) -> Fleet {
    make_container(azurite, "files");
    make_container(azurite, "usage");
    let users = format!(
        "[[user]]\nname = \"fleet\"\npassword = \"pw\"\n\
         [[user]]\nname = \"{METER}\"\npassword_hash = \"{}\"\nquota = \"{METER_QUOTA}\"\n",
        hash_password("meterpw")
    );
    let storage = format!("azure://{ACCOUNT}/files");
    let usage = format!("azure://{ACCOUNT}/usage/wharf");
    let endpoint = azurite.endpoint();
    let mut args = vec![
        "--storage",
        &storage,
        "--storage-key-file",
        "{base}/storage.key",
        "--usage-store",
        &usage,
        "--usage-store-key-file",
        "{base}/storage.key",
        "--usage-flush-secs",
        "1",
        "--azure-endpoint",
        &endpoint,
    ];
    args.extend_from_slice(extra);
    Fleet::start_nodes(
        place,
        &Nodes {
            extra: &args,
            users: Some(&users),
            files: &[("storage.key", KEY)],
            implicit: true,
        },
    )
}

/// Runs `tests/ftplib/counting_client.py` through the VIP as `meter`: one
/// session doing `actions`; its JSON report.
fn metered(fleet: &Fleet, actions: &[&str]) -> Value {
    require_tool("python3", "python3");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ftplib/counting_client.py");
    let port = fleet.url.rsplit(':').next().expect("the VIP's port");
    let finished = run(
        Command::new("python3")
            .arg(script)
            .args(["127.0.0.1", port, METER, "meterpw", "1"])
            .args(actions)
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        Duration::from_secs(60),
    );
    assert!(finished.status.success(), "{}", finished.report());
    serde_json::from_slice(&finished.stdout).expect("the client's JSON")
}

/// The reply codes of a metered session's steps.
fn replies(result: &Value) -> Vec<String> {
    result["sessions"][0]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|step| step["reply"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// How many logins of `meter` each node logged.
fn meter_logins(fleet: &Fleet) -> Vec<usize> {
    fleet
        .nodes
        .iter()
        .map(|node| {
            node.log_text()
                .lines()
                .filter(|l| l.contains("login") && l.contains(&format!("user={METER}")))
                .count()
        })
        .collect()
}

#[test]
fn a_fleet_on_azurite_shares_files_and_one_quota() {
    let azurite = Azurite::start();
    let place = Place {
        first_ip: 31,
        first_port: 29300,
    };
    let fleet = azure_fleet(&azurite, place, &[]);
    let url = fleet.url.clone();

    // Uploaded through one session; listed and downloaded byte-exact
    // through sessions on the two other nodes, by EPSV and by PASV.
    let body = pattern(300_000, 19);
    let local = fleet.dir.path().join("up.bin");
    std::fs::write(&local, &body).expect("a file");
    let up = curl_from(
        "127.0.1.51",
        &[
            "-T",
            local.to_str().expect("utf-8"),
            &format!("{url}/up.bin"),
        ],
    );
    assert!(up.status.success(), "{}", up.report());
    assert_eq!(blob_bytes(&azurite, "files", "up.bin"), body);
    let listing = curl_from("127.0.1.52", &["--disable-epsv", &format!("{url}/")]);
    assert!(listing.status.success(), "{}", listing.report());
    assert!(
        listing.stdout_text().contains("up.bin"),
        "{}",
        listing.report()
    );
    let down = curl_from("127.0.1.53", &[&format!("{url}/up.bin")]);
    assert!(down.status.success(), "{}", down.report());
    assert_eq!(down.stdout, body);
    let mut served: Vec<usize> = ["127.0.1.51", "127.0.1.52", "127.0.1.53"]
        .iter()
        .map(|from| fleet.node_of(from))
        .collect();
    served.sort_unstable();
    served.dedup();
    assert_eq!(served.len(), 3, "round robin left a node out: {served:?}");

    // Implicit FTPS through its own frontend: PROT P data through the
    // per-node ranges, both ways.
    let ftps = fleet.ftps_url.clone().expect("an implicit frontend");
    let tls_up = curl_from(
        "127.0.1.54",
        &[
            "-k",
            "-T",
            local.to_str().expect("utf-8"),
            &format!("{ftps}/tls.bin"),
        ],
    );
    assert!(tls_up.status.success(), "{}", tls_up.report());
    let tls_down = curl_from("127.0.1.55", &["-k", &format!("{ftps}/tls.bin")]);
    assert!(tls_down.status.success(), "{}", tls_down.report());
    assert_eq!(tls_down.stdout, body);
    assert_eq!(blob_bytes(&azurite, "files", "tls.bin"), body);

    // One account's quota across nodes: six sessions (two per node, round
    // robin) upload, download and list; the usage record in Azurite must
    // come to exactly the bytes they moved (control connections included).
    let before = meter_logins(&fleet);
    let mut moved = 0;
    for i in 0..6 {
        let result = metered(
            &fleet,
            &[
                &format!("stor:m{i}.bin:100000"),
                &format!("retr:m{i}.bin"),
                "list",
            ],
        );
        assert_eq!(replies(&result), ["226", "226", "226"], "{result}");
        moved += result["total"]["all"].as_u64().expect("a byte count");
    }
    let after = meter_logins(&fleet);
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        assert_eq!(a - b, 2, "node {i} served {} of the six sessions", a - b);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stored = stored_usage(&azurite);
        if stored == Some(moved) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the usage record says {stored:?}, the clients moved {moved}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(moved < METER_QUOTA, "the test's own traffic is {moved}");

    // Past the quota: an upload is cut with 552 and stored nowhere; then a
    // STOR in a session on each node is refused with 552.
    let cut = metered(&fleet, &["stor:over.bin:2000000"]);
    assert_eq!(replies(&cut), ["552"], "{cut}");
    std::thread::sleep(Duration::from_millis(2500));
    let before = meter_logins(&fleet);
    for _ in 0..3 {
        let refused = metered(&fleet, &["stor:again.bin:10"]);
        assert_eq!(replies(&refused), ["552"], "{refused}");
    }
    let after = meter_logins(&fleet);
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        assert_eq!(a - b, 1, "node {i} served {} of the three sessions", a - b);
    }
    let names = blob_names(&azurite, "files", "", true);
    assert!(
        !names.iter().any(|n| n == "over.bin" || n == "again.bin"),
        "a refused upload is in the container: {names:?}"
    );
}

#[test]
fn a_node_on_azurite_killed_mid_upload_commits_nothing_and_one_drained_finishes() {
    let azurite = Azurite::start();
    let place = Place {
        first_ip: 41,
        first_port: 29400,
    };
    let mut fleet = azure_fleet(&azurite, place, &[]);
    let url = fleet.url.clone();
    let dir = fleet.dir.path().to_owned();
    let file = |name: &str, body: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, body).expect("a file");
        path.to_str().expect("utf-8").to_owned()
    };
    let upload = |local: &str, rate: &str, name: &str| -> Vec<String> {
        ["--limit-rate", rate, "-T", local, &format!("{url}/{name}")]
            .map(str::to_owned)
            .to_vec()
    };

    // SIGTERM on the node of a running upload (3 MiB at 1 MiB/s): the
    // upload completes and is committed whole; new sessions go elsewhere.
    let drained_body = pattern(3 * 1024 * 1024, 41);
    let drained_file = file("drained.bin", &drained_body);
    let running = curl_spawn("127.0.1.61", &upload(&drained_file, "1M", "drained.bin"));
    let draining = fleet.node_of("127.0.1.61");
    fleet.wait_for_transfers(draining, "STOR", 1);
    fleet.nodes[draining].signal("TERM");
    std::thread::sleep(Duration::from_millis(1000));
    for from in ["127.0.1.62", "127.0.1.63"] {
        let listing = curl_from(from, &[&format!("{url}/")]);
        assert!(listing.status.success(), "{}", listing.report());
        assert_ne!(
            fleet.node_of(from),
            draining,
            "{from} reached the draining node"
        );
    }
    let (ok, log) = finish(running);
    assert!(
        ok,
        "the upload on the draining node was cut: {log}\n{}",
        fleet.nodes[draining].log_text()
    );
    assert_eq!(blob_bytes(&azurite, "files", "drained.bin"), drained_body);

    // SIGKILL on the node of a running upload, once Azurite holds a staged
    // block of it (parts are 8 MiB): the upload fails and no blob is
    // committed under its name; a download on the other node goes on.
    let big = file("big.bin", &pattern(32 * 1024 * 1024, 43));
    let uploading = curl_spawn("127.0.1.64", &upload(&big, "4M", "killed.bin"));
    let victim = fleet.node_of("127.0.1.64");
    assert_ne!(victim, draining, "a new session reached the draining node");
    let other = curl_spawn(
        "127.0.1.65",
        &[
            "--limit-rate",
            "512K",
            "-o",
            "/dev/null",
            &format!("{url}/drained.bin"),
        ]
        .map(str::to_owned),
    );
    let survivor = fleet.node_of("127.0.1.65");
    assert!(survivor != victim && survivor != draining, "{survivor}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !blob_names(&azurite, "files", "killed", true).contains(&"killed.bin".to_owned()) {
        assert!(
            Instant::now() < deadline,
            "no block of the upload was staged"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    fleet.nodes[victim].stop_and_log();
    let (ok, _) = finish(uploading);
    assert!(!ok, "an upload to a killed node reported success");
    let committed = blob_names(&azurite, "files", "killed", false);
    assert!(
        committed.is_empty(),
        "a partial upload is committed: {committed:?}"
    );
    let (ok, log) = finish(other);
    assert!(ok, "a download on the surviving node was cut: {log}");

    // Within the health checks' interval (300 ms, fall 1) new sessions all
    // reach the survivor; an upload there under the killed upload's name
    // commits only its own bytes (the staged blocks stay uncommitted).
    std::thread::sleep(Duration::from_millis(1000));
    let small = pattern(10_000, 47);
    let small_file = file("small.bin", &small);
    let again = curl_from(
        "127.0.1.66",
        &["-T", &small_file, &format!("{url}/killed.bin")],
    );
    assert!(again.status.success(), "{}", again.report());
    assert_eq!(fleet.node_of("127.0.1.66"), survivor);
    let down = curl_from("127.0.1.67", &[&format!("{url}/killed.bin")]);
    assert!(down.status.success(), "{}", down.report());
    assert_eq!(down.stdout, small);
    assert_eq!(fleet.node_of("127.0.1.67"), survivor);
}
