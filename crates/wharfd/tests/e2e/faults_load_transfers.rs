//! Faults: load. Many small transfers at once on local disk: every
//! session stores a 4 KiB file of its own and reads it back, all at the
//! same moment. SHORT: 100 sessions; FULL (`WHARF_FAULTS=full`): the
//! issue's 1,000. Driven from the test with tokio, as `faults_load.rs`
//! explains.

use crate::support;

use std::time::{Duration, Instant};

use tokio::sync::Barrier;
use tokio::task::JoinSet;
use tokio::time::timeout;

use support::load_sessions::{limit_args, open_sessions};
use support::{LoadClient, Server, assert_same_bytes, pattern, raise_own_open_files, read_file};

/// Bytes per file.
const SIZE: usize = 4096;

/// Session `i`'s file: its own bytes, so that a mix-up between sessions
/// shows.
fn content(i: usize) -> Vec<u8> {
    pattern(SIZE, 1_000 + i as u64)
}

/// STOR of `content(i)`, then RETR of it back, then QUIT.
async fn store_and_read_back(mut client: LoadClient, i: usize) -> anyhow::Result<()> {
    let data = content(i);
    let mut at = 0;
    client
        .stor(&format!("/f{i}.bin"), SIZE as u64, |piece| {
            piece.copy_from_slice(&data[at..at + piece.len()]);
            at += piece.len();
        })
        .await?;
    let mut back = Vec::with_capacity(SIZE);
    client
        .retr(&format!("/f{i}.bin"), |piece| back.extend_from_slice(piece))
        .await?;
    anyhow::ensure!(
        back == data,
        "RETR gave {} bytes that differ from the {SIZE} stored",
        back.len()
    );
    client.quit().await
}

/// What the client sees: 1,000 (SHORT: 100) logged-in sessions, then all
/// of them at once STOR a 4 KiB file of their own (`226`) and RETR it
/// back byte for byte (`226`), then QUIT (`221`); no connection is
/// refused and no reply is an error. Afterwards: every file is on disk
/// under its name with exactly its session's bytes, and nothing else is.
// The figures are this test's report: stderr is where a test prints.
#[allow(clippy::print_stderr)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_small_transfers_at_once_are_byte_exact() {
    let count = if support::full() { 1_000 } else { 100 };
    // A control and a data socket per session on each side, and a
    // passive listener on the server's.
    let files = 3 * count as u64 + 1024;
    raise_own_open_files(files);
    let mut args = limit_args(count);
    // Passive ports of its own, below the kernel's ephemeral range, with
    // room for every session at once.
    args.extend(["--passive-ports".to_owned(), "25000-27999".to_owned()]);
    let server = Server::builder()
        .args(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .env("RUST_LOG", "warn")
        .start();
    server.raise_open_files(files);
    let wall = Instant::now();

    let (sessions, mut failures) = open_sessions(server.addr(), count).await;
    // Every session opened, the transfers start together.
    let opened = sessions.iter().flatten().count();
    let barrier = std::sync::Arc::new(Barrier::new(opened));
    let transfers_started = Instant::now();
    let mut transferring = JoinSet::new();
    for (i, client) in sessions.into_iter().enumerate() {
        let Some(client) = client else { continue };
        let barrier = std::sync::Arc::clone(&barrier);
        transferring.spawn(async move {
            barrier.wait().await;
            (i, store_and_read_back(client, i).await)
        });
    }
    timeout(Duration::from_secs(600), async {
        while let Some(joined) = transferring.join_next().await {
            if let (i, Err(e)) = joined.expect("a transfer task panicked") {
                failures.add(i, &e);
            }
        }
    })
    .await
    .expect("the transfers end in time");
    eprintln!(
        "load: {count} sessions each STOR + RETR {SIZE} bytes at once in {:.1} s, {} errors; wall {:.1} s",
        transfers_started.elapsed().as_secs_f64(),
        failures.count,
        wall.elapsed().as_secs_f64()
    );
    failures.assert_none("small transfers under load", &server.log_tail());

    for i in 0..count {
        let stored = read_file(&server.root().join(format!("f{i}.bin")));
        assert_same_bytes(&format!("f{i}.bin on disk"), &content(i), &stored);
    }
    let entries = std::fs::read_dir(server.root())
        .expect("read the root")
        .count();
    assert_eq!(
        entries, count,
        "the root holds other files than the uploads"
    );
}
