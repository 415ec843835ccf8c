//! Faults: the store goes silent (frozen) mid-transfer, or its
//! connections are cut, on Azurite and on moto (the rig, the bounds and
//! the checks are in `faults_store.rs`).

use std::io::Read;

use crate::faults_store::{
    BIG, DOWNLOAD, MIB, Rig, assert_recovered, assert_retries_bounded, assert_store_failure,
    broken_download, broken_upload, download_points, frozen_upload_points, silent_bound,
};
use crate::support::store_process::Kind;
use crate::support::{Ftp, assert_same_bytes, pattern};

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
fn azurite_frozen_mid_transfer_fails_in_bounds_and_recovers() {
    silent_store(Kind::Azurite);
}

#[test]
fn moto_frozen_mid_transfer_fails_in_bounds_and_recovers() {
    silent_store(Kind::Moto);
}
