//! Faults: wharfd killed (SIGKILL) during uploads to Azure Blob Storage
//! (Azurite), then started again on the same container (the rule and the
//! kill points: `faults_kill.rs`).
//!
//! wharf-blob stages an upload's blocks (Put Block) and commits them with
//! Put Block List on `finish`; `APPE` and `REST`+`STOR` commit the old
//! blob's kept blocks (or a copy of its start) plus the new ones, with
//! `If-Match` on the old ETag. A kill before the commit leaves the old
//! blob, or no blob, plus uncommitted blocks. Those are never listed by
//! `List Blobs` without `include=uncommittedblobs` and cannot be read, so
//! wharfd neither lists nor serves them; the service removes them after
//! seven days (docs/faults.md), which is their documented expiry: wharfd
//! does not clean them at start. The test reads what is committed straight
//! from Azurite (a container SAS), checks that names with only
//! uncommitted blocks are neither in wharfd's listing nor readable, and
//! that a new upload to such a name commits only its own bytes.

use crate::faults_kill::{Plan, Stored, kill_runs, seed};
use crate::faults_kill_staged::{kill_once_staged, staged_names_stay_hidden, users_file};
use crate::support;
use crate::support::full;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::azurite::{ACCOUNT, Azurite, KEY};
use support::{Restartable, Server, ServerBuilder, pattern, require_tool, run};
use wharf_test_support::sas::{account_sas, container_sas, in_an_hour};

const LOGIN: (&str, &str) = ("kill", "pw");
const CONTAINER: &str = "files";

/// A request to Azurite: the HTTP status and the body.
fn request(method: &str, url: &str) -> (u16, Vec<u8>) {
    require_tool("curl", "curl");
    let out = run(
        Command::new("curl")
            .args(["-sS", "--noproxy", "*", "-X", method])
            .args(["-H", "Content-Length: 0", "-w", "\n%{http_code}"])
            .arg(url),
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "{}", out.report());
    let mut body = out.stdout;
    let cut = body.iter().rposition(|&b| b == b'\n').expect("a status");
    let status = String::from_utf8_lossy(&body[cut + 1..])
        .parse()
        .expect("a status");
    body.truncate(cut);
    (status, body)
}

fn url(azurite: &Azurite, path: &str, query: &str) -> String {
    format!("http://127.0.0.1:{}/{ACCOUNT}/{path}?{query}", azurite.port)
}

/// The committed blobs, read with a container SAS.
struct Blobs<'a>(&'a Azurite);

impl Stored for Blobs<'_> {
    fn committed(&self, name: &str) -> Option<Vec<u8>> {
        let sas = container_sas(ACCOUNT, KEY, CONTAINER, "rl", &in_an_hour());
        let (status, body) = request("GET", &url(self.0, &format!("{CONTAINER}/{name}"), &sas));
        match status {
            200 => Some(body),
            404 => None,
            other => panic!("GET {name}: {other} {}", String::from_utf8_lossy(&body)),
        }
    }
}

/// Blob names in the container: committed ones, or with `uncommitted`
/// also those that have only staged blocks.
fn blob_names(azurite: &Azurite, uncommitted: bool) -> Vec<String> {
    let sas = container_sas(ACCOUNT, KEY, CONTAINER, "rl", &in_an_hour());
    let include = if uncommitted {
        "&include=uncommittedblobs"
    } else {
        ""
    };
    let (status, body) = request(
        "GET",
        &url(
            azurite,
            CONTAINER,
            &format!("restype=container&comp=list{include}&{sas}"),
        ),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    String::from_utf8_lossy(&body)
        .split("<Name>")
        .skip(1)
        .filter_map(|rest| rest.split("</Name>").next())
        .map(str::to_owned)
        .collect()
}

fn azure_server(azurite_endpoint: &str, state: &Path) -> ServerBuilder {
    let _ = state;
    Server::builder()
        .file("users.toml", &users_file(LOGIN))
        .file("storage.key", KEY)
        .args(&["--users", "{base}/users.toml"])
        .args(&["--storage", &format!("azure://{ACCOUNT}/{CONTAINER}")])
        .args(&["--storage-key-file", "{base}/storage.key"])
        .args(&["--azure-endpoint", azurite_endpoint])
}

/// STOR, APPE and REST+STOR to Azurite killed at random points (SHORT: 2
/// of each, up to 12 MiB so some cross the 8 MiB block; FULL: 20 of each,
/// up to 40 MiB). Client side: a 226 or a broken connection. Afterwards
/// each name holds its old content or, after a 226 (or in the commit
/// window), the new content, in Azurite and through the restarted wharfd;
/// names of cut `STOR`s that Azurite holds only as uncommitted blocks are
/// neither listed nor served (one `STOR` is killed once a block is staged,
/// so there is always one), and a new upload to one commits only its own
/// bytes.
#[test]
fn sigkill_during_uploads_to_azure_commits_whole_blobs_only() {
    let azurite = Azurite::start();
    let sas = account_sas(ACCOUNT, KEY, "rwdlac", "sco", &in_an_hour());
    let (status, body) = request(
        "PUT",
        &url(&azurite, CONTAINER, &format!("restype=container&{sas}")),
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let endpoint = azurite.endpoint();
    let mut target = Restartable::start(move |state| azure_server(&endpoint, state));
    let seed = seed();
    let plan = Plan {
        label: "azure",
        login: LOGIN,
        runs: if full() { 20 } else { 2 },
        old_max: if full() { 20 << 20 } else { 10 << 20 },
        new_max: if full() { 40 << 20 } else { 12 << 20 },
    };
    let tally = kill_runs(&mut target, &Blobs(&azurite), &plan, seed);
    let context = format!("WHARF_FAULTS_SEED={seed} {tally:?}");
    // One kill that surely leaves staged blocks: 12 MiB of 20 sent, one
    // 8 MiB block staged.
    let staged = || blob_names(&azurite, true).iter().any(|n| n == "staged.bin");
    kill_once_staged(
        &mut target,
        LOGIN,
        "staged.bin",
        &pattern(20 << 20, 3),
        12 << 20,
        &staged,
    );

    let committed = blob_names(&azurite, false);
    let staged_only: Vec<String> = blob_names(&azurite, true)
        .into_iter()
        .filter(|name| !committed.contains(name))
        .collect();
    staged_names_stay_hidden(
        &target,
        LOGIN,
        &Blobs(&azurite),
        (committed, staged_only),
        "staged.bin",
        &context,
    );
}
