//! Faults: the object store fails mid-transfer (issue #23), on Azurite
//! and on moto. wharfd reaches the emulator through a [`FaultRelay`]
//! (a fixed endpoint, so the emulator can die and come back on another
//! port; it also counts the requests wharfd makes).
//!
//! The store timeouts under test are set short (`[timeouts]
//! storage_stall_secs = 2`, `storage_connect_secs = 2`) and the session's
//! own bound on a storage step long (`data_stall_secs = 60`), so what
//! ends each transfer here is wharf-blob's bound, not the session's.
//! The bounds the replies must come within follow from wharf-blob's
//! retry policy (docs/faults.md, "The store fails"): each request is
//! tried at most 1 + 4 times, 0.1 s doubling between tries.
//!
//! SHORT (default) breaks each transfer at one point; FULL
//! (`WHARF_FAULTS=full`) at several, from the first buffered bytes to
//! the last part.
//!
//! This file holds the rig and the checks; the cases are in
//! `faults_store_killed.rs` (the store dies) and `faults_store_frozen.rs`
//! (it goes silent, or its connections are cut).

use crate::support;
use crate::support::full;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use support::fault_relay::{Fault, FaultRelay};
use support::store_process::{Kind, Restartable};
use support::{Ftp, Server, assert_same_bytes, pattern};

pub(crate) const MIB: usize = 1024 * 1024;
/// `storage_stall_secs`.
pub(crate) const STALL: Duration = Duration::from_secs(2);
/// wharf-blob's retries per request (its default, which wharfd keeps).
pub(crate) const MAX_RETRIES: usize = 4;
/// The pauses between the tries of one request: 0.1 s doubling, each at
/// most its full value.
pub(crate) const BACKOFF_TOTAL: Duration = Duration::from_millis(100 + 200 + 400 + 800);
/// Scheduling on a loaded machine, and the emulator's own time.
pub(crate) const SLACK: Duration = Duration::from_secs(5);
/// Requests a failing transfer may wait out one after the other: the
/// failed part (or GET), then the abort of the multipart upload (S3).
pub(crate) const SERIAL_REQUESTS: u32 = 2;
/// Files big enough to need several 8 MiB parts.
pub(crate) const BIG: usize = 20 * MIB;
/// A download big enough that socket buffers cannot hold what is left.
pub(crate) const DOWNLOAD: usize = 32 * MIB;

/// How long a dead store (refused, or closing every connection) may
/// take to end a transfer: every try fails at once, so the pauses.
pub(crate) fn dead_bound() -> Duration {
    BACKOFF_TOTAL * SERIAL_REQUESTS + SLACK
}

/// How long a silent store may take: every try waits out the stall.
pub(crate) fn silent_bound() -> Duration {
    (STALL * (1 + MAX_RETRIES as u32) + BACKOFF_TOTAL) * SERIAL_REQUESTS + SLACK
}

/// Where an upload is broken: after these many bytes of [`BIG`] (parts
/// are 8 MiB: before the first is full, between parts, in the last).
pub(crate) fn upload_points() -> Vec<usize> {
    if full() {
        vec![MIB, 9 * MIB, 17 * MIB]
    } else {
        vec![MIB]
    }
}

/// Where the frozen store's upload is broken: with parts under way.
pub(crate) fn frozen_upload_points() -> Vec<usize> {
    if full() {
        vec![MIB, 9 * MIB, 17 * MIB]
    } else {
        vec![12 * MIB]
    }
}

/// Where a download is broken.
pub(crate) fn download_points() -> Vec<usize> {
    if full() {
        vec![MIB / 2, 12 * MIB]
    } else {
        vec![2 * MIB]
    }
}

/// Azurite's autosave interval (5 s), with a margin.
pub(crate) const AZURITE_AUTOSAVE: Duration = Duration::from_secs(8);

pub(crate) const CONFIG: &str =
    "[timeouts]\nstorage_stall_secs = 2\nstorage_connect_secs = 2\ndata_stall_secs = 60\n";

/// An emulator, the relay in front of it and wharfd on the relay, with
/// the folder `/box` (an Azure container, an S3 bucket) made.
pub(crate) struct Rig {
    pub(crate) store: Restartable,
    pub(crate) relay: FaultRelay,
    pub(crate) server: Server,
}

impl Rig {
    pub(crate) fn start(kind: Kind) -> Self {
        let store = Restartable::start(kind);
        let relay = FaultRelay::start(store.port());
        let builder = Server::builder().config(CONFIG);
        let server = match kind {
            Kind::Azurite => builder.file("storage.key", support::azurite::KEY).args(&[
                "--storage",
                &format!("azure://{}", support::azurite::ACCOUNT),
                "--storage-key-file",
                "{base}/storage.key",
                "--azure-endpoint",
                &format!("{}/{{account}}", relay.url()),
            ]),
            Kind::Moto => builder.file("storage.key", "testing:testing").args(&[
                "--storage",
                "s3://",
                "--storage-key-file",
                "{base}/storage.key",
                "--s3-endpoint",
                &relay.url(),
            ]),
        }
        .start();
        let rig = Self {
            store,
            relay,
            server,
        };
        rig.ftp().command("MKD /box", "257");
        rig
    }

    /// Azurite writes its database to `--location` every 5 s: waits for
    /// the next write, so what is stored now survives a SIGKILL. moto
    /// keeps nothing.
    pub(crate) fn settle(&self) {
        if self.store.kind != Kind::Azurite {
            return;
        }
        let now = std::time::SystemTime::now();
        let db = self.store.data_dir().join("__azurite_db_blob__.json");
        let deadline = Instant::now() + AZURITE_AUTOSAVE;
        while Instant::now() < deadline {
            let written = std::fs::metadata(&db).and_then(|m| m.modified());
            if written.is_ok_and(|at| at > now) {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!("Azurite did not write {} in time", db.display());
    }

    pub(crate) fn ftp(&self) -> Ftp {
        Ftp::login(self.server.addr(), Duration::from_secs(120))
    }

    /// Starts the emulator again and lets the relay through. moto comes
    /// back empty: its bucket is made again, through `ftp`.
    pub(crate) fn restart(&mut self, ftp: &mut Ftp) {
        let port = self.store.restart();
        self.relay.retarget(port);
        self.relay.set(Fault::Pass);
        if self.store.kind == Kind::Moto {
            ftp.command("MKD /box", "257");
        }
    }
}

/// Sends `bytes` on `data` from another thread (it ends when wharfd
/// closes the connection, or after a minute).
pub(crate) fn send_rest(mut data: TcpStream, bytes: Vec<u8>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let _ = data.set_write_timeout(Some(Duration::from_secs(60)));
        let _ = data.write_all(&bytes);
    })
}

/// A final reply that says the transfer failed because of the store.
// What each fault gave, for `--nocapture` runs: stderr is what a test has.
#[allow(clippy::print_stderr)]
pub(crate) fn assert_store_failure(
    reply: &str,
    words: &[&str],
    took: Duration,
    bound: Duration,
    log: &str,
) {
    eprintln!("store fault: {reply:?} after {took:?} (bound {bound:?})");
    assert!(
        reply.starts_with("451") || reply.starts_with("426"),
        "not a 451/426 for a transfer the store failed: {reply:?}\n{log}"
    );
    assert!(
        words.iter().any(|w| reply.to_lowercase().contains(w)),
        "the reply does not say the store failed ({words:?}): {reply:?}"
    );
    assert!(
        took <= bound,
        "the failure took {took:?}, more than {bound:?}: {reply:?}"
    );
}

/// Every request the relay saw since `from` was tried at most
/// 1 + [`MAX_RETRIES`] times, and something was tried. (The same method
/// and URL twice is a retry: wharf-blob never sends one request twice
/// otherwise within one transfer.)
pub(crate) fn assert_retries_bounded(relay: &FaultRelay, from: usize) {
    let seen = relay.requests();
    let during = &seen[from.min(seen.len())..];
    assert!(!during.is_empty(), "no request reached the dead store");
    let mut tries: HashMap<&str, usize> = HashMap::new();
    for request in during {
        *tries.entry(request.as_str()).or_default() += 1;
    }
    for (request, n) in tries {
        assert!(
            n <= 1 + MAX_RETRIES,
            "{request} was tried {n} times, more than 1 + {MAX_RETRIES}\n{during:#?}"
        );
    }
}

/// Uploads `BIG` bytes to `path`, breaking the store with `fault` after
/// `at` bytes; returns the final reply and the time from the fault to it.
pub(crate) fn broken_upload(
    ftp: &mut Ftp,
    path: &str,
    at: usize,
    fault: impl FnOnce(),
) -> (String, Duration) {
    let data = pattern(BIG, at as u64);
    let mut conn = ftp.open("STOR", path);
    conn.write_all(&data[..at]).expect("send the first bytes");
    fault();
    let started = Instant::now();
    let rest = send_rest(conn, data[at..].to_vec());
    let reply = ftp.reply().expect("a final reply");
    let took = started.elapsed();
    let _ = rest.join();
    (reply, took)
}

/// Downloads `path`, breaking the store with `fault` after `at` bytes;
/// returns how many bytes came, the final reply (or the closed
/// connection's error) and the time from the fault to it.
pub(crate) fn broken_download(
    ftp: &mut Ftp,
    path: &str,
    at: usize,
    fault: impl FnOnce(),
) -> (usize, String, Duration) {
    let mut conn = ftp.open("RETR", path);
    let mut got = vec![0u8; at];
    conn.read_exact(&mut got).expect("the first bytes");
    fault();
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = conn.read_to_end(&mut rest);
    let reply = ftp.reply().unwrap_or_else(|e| format!("(no reply: {e})"));
    (at + rest.len(), reply, started.elapsed())
}

/// The same session and a new one list, upload and download byte-exact.
pub(crate) fn assert_recovered(rig: &Rig, ftp: &mut Ftp, round: usize) {
    let name = format!("/box/after-{round}.bin");
    let bytes = pattern(3 * MIB + 17, 900 + round as u64);
    let stored = ftp.stor(&name, &bytes);
    assert!(
        stored.starts_with("226"),
        "upload after recovery: {stored}\n{}",
        rig.server.log_tail()
    );
    let (back, reply) = ftp.retr(&name);
    assert!(reply.starts_with("226"), "{reply}");
    assert_same_bytes("download after recovery", &bytes, &back);
    let (names, reply) = ftp.nlst("/box");
    assert!(
        reply.starts_with("226") && names.contains(&name[5..]),
        "{reply}\n{names}"
    );
    let mut fresh = rig.ftp();
    let (back, reply) = fresh.retr(&name);
    assert!(reply.starts_with("226"), "{reply}");
    assert_same_bytes("download in a new session", &bytes, &back);
}

/// Stores `files` (name, bytes), each with a 226.
pub(crate) fn put_files(ftp: &mut Ftp, server: &Server, files: &[(&str, Vec<u8>)]) {
    for (name, bytes) in files {
        let reply = ftp.stor(name, bytes);
        assert!(
            reply.starts_with("226"),
            "{name}: {reply}\n{}",
            server.log_tail()
        );
    }
}
