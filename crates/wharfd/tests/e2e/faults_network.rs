//! Faults: the network misbehaves (issue 23). wharfd runs in a network
//! namespace of its own and the client (curl) in another, joined by the
//! user-space link emulator of `support/impaired_link.rs` (the kernel
//! has no netem; that file says why and how). This module holds the lossy,
//! slow, reordering link; `faults_network_dead_peer.rs` the link that goes
//! silent and the client that vanishes.
//!
//! SHORT (the default, in `.ci/run`): 2 MiB each way, 10 ms each way
//! (20 ms round trip), 5 % loss each way, a quarter of the packets held
//! back. FULL (`WHARF_FAULTS=full`): the 64 MiB each way over 5 %
//! loss and 200 ms (100 ms each way), with the same reordering; the four
//! transfers run at once (about a minute or two with the kernel's BBR;
//! `docs/faults.md`).
//!
//! Namespaces need root (CI runs as root): as any other user each test
//! fails unless `WHARF_TEST_NO_ROOT=1` asks to skip it.

use crate::support;
use crate::support::full;

use std::fs;
use std::thread;
use std::time::{Duration, Instant};

use support::impaired_link::{ImpairedLink, Impairment};
use support::impaired_server::{ImpairedServer, Store};
use support::{Finished, Tls, assert_same_bytes, assert_used, pattern, run};

/// The impaired link's shape and how much crosses it.
struct Shape {
    /// Bytes in each transfer.
    size: usize,
    /// Each direction's impairment.
    link: Impairment,
    /// Longest one transfer may take.
    limit: Duration,
}

/// FULL's or SHORT's shape (module doc); Azurite moves SHORT's size
/// in both, as the task sets its runs.
fn shape(store: Store) -> Shape {
    let impaired = |delay_ms| Impairment {
        loss: 0.05,
        delay_ms,
        reorder: 0.25,
        ..Impairment::CLEAN
    };
    if full() {
        Shape {
            size: if store == Store::LocalDisk {
                64 << 20
            } else {
                2 << 20
            },
            link: impaired(100),
            limit: Duration::from_secs(3 * 3600),
        }
    } else {
        Shape {
            size: 2 << 20,
            link: impaired(10),
            limit: Duration::from_secs(90),
        }
    }
}

/// What the client sees: plain and explicit-FTPS (`AUTH TLS`, `PROT P`)
/// uploads and downloads, all four at once over the impaired link, each
/// ending with `226`. Afterwards: every downloaded file and every stored
/// file is byte-exact, and the emulator really dropped and reordered
/// packets both ways while they ran.
fn transfers_survive_loss_delay_and_reordering(test: &str, store: Store) {
    let Some(mut link) = ImpairedLink::start(test) else {
        return;
    };
    let server = ImpairedServer::start(&mut link, store, "");
    let shape = shape(store);
    let local = link.lab().dir().join("client");
    fs::create_dir_all(&local).expect("create the client's directory");
    let mut expected = Vec::new();
    for (seed, tls) in [(1u64, Tls::Plain), (2, Tls::Explicit)] {
        let down = pattern(shape.size, seed);
        let name = format!("down-{tls:?}.bin");
        server.place(&name, &down);
        let up = pattern(shape.size, seed + 10);
        fs::write(local.join(format!("up-{tls:?}.bin")), &up).expect("write an upload");
        expected.push((tls, down, up));
    }

    link.set_both(shape.link);
    let before = link.stats();
    let started = Instant::now();
    let mut running = Vec::new();
    for (tls, _, _) in &expected {
        let up_local = local.join(format!("up-{tls:?}.bin"));
        let down_local = local.join(format!("down-{tls:?}.bin"));
        let up = [
            "-T",
            up_local.to_str().expect("UTF-8"),
            &server.url(&format!("up-{tls:?}.bin")),
        ]
        .map(str::to_owned);
        let down = [
            "-o",
            down_local.to_str().expect("UTF-8"),
            &server.url(&format!("down-{tls:?}.bin")),
        ]
        .map(str::to_owned);
        for args in [up, down] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut command = server.curl_command(*tls, shape.limit, &args);
            let limit = shape.limit + Duration::from_secs(10);
            running.push((
                *tls,
                args.join(" "),
                thread::spawn(move || run(&mut command, limit)),
            ));
        }
    }
    let finished: Vec<(Tls, String, Finished)> = running
        .into_iter()
        .map(|(tls, what, handle)| (tls, what, handle.join().expect("a client thread")))
        .collect();
    let took = started.elapsed();
    let during = link.stats();
    link.set_both(Impairment::CLEAN);
    for (tls, what, done) in &finished {
        assert!(
            done.status.success(),
            "curl {what} ({tls:?}) over the impaired link failed\n{}\n--- wharfd log ---\n{}",
            done.report(),
            server.log_tail()
        );
        if *tls == Tls::Explicit {
            // curl asks `AUTH SSL` first, RFC 4217's synonym of `AUTH TLS`.
            assert_used(done, "AUTH", &["234"]);
        }
        // For FTPS: PROT P, and TLS on the control and the data connection.
        tls.assert_protected(done, 2);
    }
    report(test, took, &before, &during);
    for (direction, before, during) in [
        ("up", before.up, during.up),
        ("down", before.down, during.down),
    ] {
        assert!(
            during.dropped > before.dropped && during.reordered > before.reordered,
            "the link did not drop and reorder {direction}: {before:?} then {during:?}"
        );
    }
    for (tls, down, up) in &expected {
        let got = fs::read(local.join(format!("down-{tls:?}.bin"))).expect("read a download");
        assert_same_bytes(&format!("{tls:?} download"), down, &got);
        let stored = server
            .fetch(&format!("up-{tls:?}.bin"))
            .expect("the upload is stored");
        assert_same_bytes(&format!("{tls:?} upload"), up, &stored);
    }
}

/// Prints how long the transfers took and what the link did.
// Showing a passing run's measurements is what stderr is for in a test.
#[allow(clippy::print_stderr)]
fn report(
    test: &str,
    took: Duration,
    before: &support::impaired_link::Stats,
    during: &support::impaired_link::Stats,
) {
    eprintln!(
        "{test}: four transfers in {:.1} s; up {:?} -> {:?}; down {:?} -> {:?}",
        took.as_secs_f64(),
        before.up,
        during.up,
        before.down,
        during.down
    );
}

#[test]
fn local_disk_transfers_survive_loss_delay_and_reordering() {
    transfers_survive_loss_delay_and_reordering(
        "local_disk_transfers_survive_loss_delay_and_reordering",
        Store::LocalDisk,
    );
}

#[test]
fn azurite_transfers_survive_loss_delay_and_reordering() {
    transfers_survive_loss_delay_and_reordering(
        "azurite_transfers_survive_loss_delay_and_reordering",
        Store::Azurite,
    );
}

/// The check above can fail: a link that flips one byte of one data
/// segment (and fixes the TCP checksum, so TCP takes it) makes the
/// client's download differ from the server's file, and the byte-exact
/// comparison panics.
#[test]
fn the_byte_exact_check_sees_a_byte_the_link_corrupted() {
    let Some(mut link) = ImpairedLink::start("the_byte_exact_check_sees_a_byte_the_link_corrupted")
    else {
        return;
    };
    let server = ImpairedServer::start(&mut link, Store::LocalDisk, "");
    let data = pattern(256 * 1024, 7);
    server.place("down.bin", &data);
    link.set(
        Impairment::CLEAN,
        Impairment {
            corrupt_once: true,
            ..Impairment::CLEAN
        },
    );
    let local = link.lab().dir().join("down.bin");
    let got = server.curl(
        Tls::Plain,
        &[
            "-o",
            local.to_str().expect("UTF-8"),
            &server.url("down.bin"),
        ],
    );
    assert!(got.status.success(), "{}", got.report());
    // The counts are written every half second.
    thread::sleep(Duration::from_millis(700));
    assert_eq!(link.stats().down.corrupted, 1, "{:?}", link.stats());
    let received = fs::read(&local).expect("read the download");
    let compared = std::panic::catch_unwind(|| assert_same_bytes("download", &data, &received));
    assert!(
        compared.is_err(),
        "a corrupted byte passed the byte-exact check"
    );
}
