//! Faults: the store is killed mid-transfer, on Azurite and on moto
//! (the rig, the bounds and the checks are in `faults_store.rs`).

use std::io::Write;
use std::time::Instant;

use crate::faults_store::{
    BIG, DOWNLOAD, MIB, Rig, assert_recovered, assert_retries_bounded, assert_store_failure,
    broken_download, dead_bound, download_points, put_files, send_rest, upload_points,
};
use crate::support::fault_relay::Fault;
use crate::support::store_process::Kind;
use crate::support::{assert_same_bytes, pattern};

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

#[test]
fn azurite_killed_mid_transfer_fails_in_bounds_and_recovers() {
    dead_store(Kind::Azurite);
}

#[test]
fn moto_killed_mid_transfer_fails_in_bounds_and_recovers() {
    dead_store(Kind::Moto);
}
