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

use crate::support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use support::fault_relay::{Fault, FaultRelay};
use support::store_process::{Kind, Restartable};
use support::{Ftp, Server, assert_same_bytes, pattern};

const MIB: usize = 1024 * 1024;
/// `storage_stall_secs`.
const STALL: Duration = Duration::from_secs(2);
/// wharf-blob's retries per request (its default, which wharfd keeps).
const MAX_RETRIES: usize = 4;
/// The pauses between the tries of one request: 0.1 s doubling, each at
/// most its full value.
const BACKOFF_TOTAL: Duration = Duration::from_millis(100 + 200 + 400 + 800);
/// Scheduling on a loaded machine, and the emulator's own time.
const SLACK: Duration = Duration::from_secs(5);
/// Requests a failing transfer may wait out one after the other: the
/// failed part (or GET), then the abort of the multipart upload (S3).
const SERIAL_REQUESTS: u32 = 2;
/// Files big enough to need several 8 MiB parts.
const BIG: usize = 20 * MIB;
/// A download big enough that socket buffers cannot hold what is left.
const DOWNLOAD: usize = 32 * MIB;

/// How long a dead store (refused, or closing every connection) may
/// take to end a transfer: every try fails at once, so the pauses.
fn dead_bound() -> Duration {
    BACKOFF_TOTAL * SERIAL_REQUESTS + SLACK
}

/// How long a silent store may take: every try waits out the stall.
fn silent_bound() -> Duration {
    (STALL * (1 + MAX_RETRIES as u32) + BACKOFF_TOTAL) * SERIAL_REQUESTS + SLACK
}

/// Whether `WHARF_FAULTS=full` asks for the long run.
fn full() -> bool {
    std::env::var("WHARF_FAULTS").as_deref() == Ok("full")
}

/// Where an upload is broken: after these many bytes of [`BIG`] (parts
/// are 8 MiB: before the first is full, between parts, in the last).
fn upload_points() -> Vec<usize> {
    if full() {
        vec![MIB, 9 * MIB, 17 * MIB]
    } else {
        vec![MIB]
    }
}

/// Where the frozen store's upload is broken: with parts under way.
fn frozen_upload_points() -> Vec<usize> {
    if full() {
        vec![MIB, 9 * MIB, 17 * MIB]
    } else {
        vec![12 * MIB]
    }
}

/// Where a download is broken.
fn download_points() -> Vec<usize> {
    if full() {
        vec![MIB / 2, 12 * MIB]
    } else {
        vec![2 * MIB]
    }
}

/// Azurite's autosave interval (5 s), with a margin.
const AZURITE_AUTOSAVE: Duration = Duration::from_secs(8);

const CONFIG: &str =
    "[timeouts]\nstorage_stall_secs = 2\nstorage_connect_secs = 2\ndata_stall_secs = 60\n";

/// An emulator, the relay in front of it and wharfd on the relay, with
/// the folder `/box` (an Azure container, an S3 bucket) made.
struct Rig {
    store: Restartable,
    relay: FaultRelay,
    server: Server,
}

impl Rig {
    fn start(kind: Kind) -> Self {
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
    fn settle(&self) {
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

    fn ftp(&self) -> Ftp {
        Ftp::login(self.server.addr(), Duration::from_secs(120))
    }

    /// Starts the emulator again and lets the relay through. moto comes
    /// back empty: its bucket is made again, through `ftp`.
    fn restart(&mut self, ftp: &mut Ftp) {
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
fn send_rest(mut data: TcpStream, bytes: Vec<u8>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let _ = data.set_write_timeout(Some(Duration::from_secs(60)));
        let _ = data.write_all(&bytes);
    })
}

/// A final reply that says the transfer failed because of the store.
// What each fault gave, for `--nocapture` runs: stderr is what a test has.
#[allow(clippy::print_stderr)]
fn assert_store_failure(reply: &str, words: &[&str], took: Duration, bound: Duration, log: &str) {
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
fn assert_retries_bounded(relay: &FaultRelay, from: usize) {
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
fn broken_upload(ftp: &mut Ftp, path: &str, at: usize, fault: impl FnOnce()) -> (String, Duration) {
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
fn broken_download(
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
fn assert_recovered(rig: &Rig, ftp: &mut Ftp, round: usize) {
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
fn put_files(ftp: &mut Ftp, server: &Server, files: &[(&str, Vec<u8>)]) {
    for (name, bytes) in files {
        let reply = ftp.stor(name, bytes);
        assert!(
            reply.starts_with("226"),
            "{name}: {reply}\n{}",
            server.log_tail()
        );
    }
}

/// Killed: the store dies while an upload (over an existing file) and a
/// download are both under way, in two sessions, and is started again.
///
/// - RETR: the emulator is killed (SIGKILL) after the first bytes; the
///   relay closes every connection it cannot forward, counting it. The
///   client gets 426/451 naming the store (never 226) within
///   [`dead_bound`], and fewer bytes than the file; no request was tried
///   more than 1 + 4 times.
/// - STOR over an existing file and STOR of a new one (two more
///   sessions): then the store's port refuses, and the rest of each
///   upload is sent. Each client gets 451/426 saying the connection was
///   refused (or, with parts sent before the kill, closed) within
///   [`dead_bound`], and nothing is under the new name afterwards.
/// - Once the store is back, the old file is there, byte for byte
///   (Azurite, restarted from its `--location` directory, which it had
///   written before the kill; moto comes back empty, and its bucket and
///   files are made again), and the same session and a new one list,
///   upload and download byte-exact.
fn dead_store(kind: Kind) {
    let mut rig = Rig::start(kind);
    let mut ftp = rig.ftp();
    let mut reader = rig.ftp();
    let mut creator = rig.ftp();
    let old = pattern(100_000, 1);
    let download = pattern(DOWNLOAD, 2);
    let files = [("/box/f.bin", old.clone()), ("/box/big.bin", download)];
    put_files(&mut ftp, &rig.server, &files);
    rig.settle();
    let downloads = download_points();
    for (round, up_at) in upload_points().into_iter().enumerate() {
        // The upload is under way: its bytes so far wait in wharfd for a
        // part to fill, or are stored parts.
        let data = pattern(BIG, round as u64 + 50);
        let mut upload = ftp.open("STOR", "/box/f.bin");
        upload.write_all(&data[..up_at]).expect("the first bytes");
        let new_name = format!("/box/new-{round}.bin");
        let mut creation = creator.open("STOR", &new_name);
        creation.write_all(&data[..up_at]).expect("the first bytes");

        let before = rig.relay.requests().len();
        let down_at = downloads[round % downloads.len()];
        let (got, reply, took) =
            broken_download(&mut reader, "/box/big.bin", down_at, || rig.store.kill());
        assert!(
            got < DOWNLOAD,
            "the whole file came from a dead store: {reply}"
        );
        let log = rig.server.log_tail();
        assert_store_failure(&reply, &["store", "closed"], took, dead_bound(), &log);
        assert_retries_bounded(&rig.relay, before);

        rig.relay.set(Fault::Refuse);
        let started = Instant::now();
        let rest = send_rest(upload, data[up_at..].to_vec());
        let reply = ftp.reply().expect("a final reply");
        let took = started.elapsed();
        let _ = rest.join();
        // A part under way at the kill fails as a closed connection.
        let words: &[&str] = if up_at < 8 * MIB {
            &["refused"]
        } else {
            &["refused", "closed"]
        };
        assert_store_failure(&reply, words, took, dead_bound(), &rig.server.log_tail());
        let started = Instant::now();
        let rest = send_rest(creation, data[up_at..].to_vec());
        let reply = creator.reply().expect("a final reply");
        let took = started.elapsed();
        let _ = rest.join();
        assert_store_failure(&reply, words, took, dead_bound(), &rig.server.log_tail());

        rig.restart(&mut ftp);
        match kind {
            Kind::Azurite => {
                let (back, reply) = ftp.retr("/box/f.bin");
                assert!(reply.starts_with("226"), "{reply}");
                assert_same_bytes("the old file after a failed overwrite", &old, &back);
            }
            Kind::Moto => put_files(&mut ftp, &rig.server, &files),
        }
        assert_recovered(&rig, &mut ftp, round);
        let (names, reply) = reader.nlst("/box");
        assert!(
            reply.starts_with("226") && names.contains("f.bin") && !names.contains("new-"),
            "a failed upload left its name, or the session lost its way: {reply}: {names}"
        );
    }
}

/// Silent: the emulator is frozen (SIGSTOP: its port still accepts,
/// nothing answers) during an upload over an existing file, then during
/// a download, and thawed after each.
///
/// The client gets 451/426 saying the store stalled within
/// [`silent_bound`] (never 226), and no request went to the frozen store
/// more than 1 + 4 times (the relay, not frozen, sees each). Once thawed, the old file is there byte
/// for byte (nothing of the failed upload under its name), and the same
/// session and a new one list, upload and download byte-exact.
fn silent_store(kind: Kind) {
    let rig = Rig::start(kind);
    let mut ftp = rig.ftp();
    let old = pattern(100_000, 3);
    for (round, at) in frozen_upload_points().into_iter().enumerate() {
        assert!(ftp.stor("/box/f.bin", &old).starts_with("226"));
        let before = rig.relay.requests().len();
        let (reply, took) = broken_upload(&mut ftp, "/box/f.bin", at, || rig.store.freeze());
        rig.store.thaw();
        assert_store_failure(
            &reply,
            &["stall"],
            took,
            silent_bound(),
            &rig.server.log_tail(),
        );
        assert_retries_bounded(&rig.relay, before);
        let (back, reply) = ftp.retr("/box/f.bin");
        assert!(reply.starts_with("226"), "{reply}");
        assert_same_bytes("the old file after a failed overwrite", &old, &back);
        assert_recovered(&rig, &mut ftp, round);
    }
    let download = pattern(DOWNLOAD, 4);
    assert!(ftp.stor("/box/big.bin", &download).starts_with("226"));
    for (round, at) in download_points().into_iter().enumerate() {
        let before = rig.relay.requests().len();
        let (got, reply, took) =
            broken_download(&mut ftp, "/box/big.bin", at, || rig.store.freeze());
        rig.store.thaw();
        assert!(
            got < DOWNLOAD,
            "the whole file came from a frozen store: {reply}"
        );
        assert_store_failure(
            &reply,
            &["stall"],
            took,
            silent_bound(),
            &rig.server.log_tail(),
        );
        assert_retries_bounded(&rig.relay, before);
        assert_recovered(&rig, &mut ftp, 20 + round);
    }
    cut_connections(&rig, &mut ftp);
}

/// Cut: every connection to the store is shut down mid-body, once, while
/// the store stays up. The retries carry the transfers through: the
/// upload gets `226` and reads back byte-exact, the download gets `226`
/// and every byte (the rest asked for again from where it broke). So a
/// `226` here is earned, not a failure let through.
fn cut_connections(rig: &Rig, ftp: &mut Ftp) {
    let data = pattern(BIG, 70);
    // The part of 8 MiB is cut 1 MiB into its body.
    rig.relay.cut_body_after(MIB);
    let before = rig.relay.requests().len();
    let reply = ftp.stor("/box/cut.bin", &data);
    let seen = rig.relay.requests();
    let during = &seen[before..];
    assert!(
        during
            .iter()
            .any(|r| r.starts_with("PUT") && during.iter().filter(|x| *x == r).count() > 1),
        "no part was cut and sent again: {during:#?}"
    );
    assert!(
        reply.starts_with("226"),
        "{reply}\n{}",
        rig.server.log_tail()
    );
    let (back, reply) = ftp.retr("/box/cut.bin");
    assert!(reply.starts_with("226"), "{reply}");
    assert_same_bytes("an upload whose part was cut", &data, &back);

    let mut download = ftp.open("RETR", "/box/cut.bin");
    let mut back = vec![0u8; 2 * MIB];
    download.read_exact(&mut back).expect("the first bytes");
    rig.relay.cut();
    download.read_to_end(&mut back).expect("the rest");
    let reply = ftp.reply().expect("a final reply");
    assert!(
        reply.starts_with("226"),
        "{reply}\n{}",
        rig.server.log_tail()
    );
    assert_same_bytes("a download whose GET was cut", &data, &back);
}

#[test]
fn azurite_killed_mid_transfer_fails_in_bounds_and_recovers() {
    dead_store(Kind::Azurite);
}

#[test]
fn moto_killed_mid_transfer_fails_in_bounds_and_recovers() {
    dead_store(Kind::Moto);
}

#[test]
fn azurite_frozen_mid_transfer_fails_in_bounds_and_recovers() {
    silent_store(Kind::Azurite);
}

#[test]
fn moto_frozen_mid_transfer_fails_in_bounds_and_recovers() {
    silent_store(Kind::Moto);
}
