//! The engine driven over real sockets by a minimal client built on
//! wharf-proto's `ClientCodec`: quota hooks and graceful shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers panic on purpose.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

mod support;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::timeout;
use wharf_session::{Direction, Login, Options, QuotaExceeded, QuotaHook};

use support::{Client, Running, WAIT, start, storage_with};

/// A download allowance that cannot go below zero.
struct Allowance(AtomicU64);

impl QuotaHook for Allowance {
    fn check(&self, _: Direction) -> Result<(), QuotaExceeded> {
        match self.0.load(Ordering::SeqCst) {
            0 => Err(QuotaExceeded::new("daily quota of 10000 bytes used")),
            _ => Ok(()),
        }
    }

    fn consume(&self, _: Direction, bytes: u64) -> Result<(), QuotaExceeded> {
        let left = self.0.load(Ordering::SeqCst);
        if bytes > left {
            self.0.store(0, Ordering::SeqCst);
            return Err(QuotaExceeded::new("daily quota of 10000 bytes reached"));
        }
        self.0.fetch_sub(bytes, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn a_quota_hook_stops_and_then_refuses_transfers() {
    let vfs = storage_with("/big.bin", 100_000).await;
    let quota: Arc<dyn QuotaHook> = Arc::new(Allowance(AtomicU64::new(10_000)));
    let server = start(
        move |user| Login::new(user, vfs.clone(), true).with_quota(quota.clone()),
        Options::default(),
    )
    .await;

    let mut client = Client::login(server.addr).await;
    let mut data = client.data().await;
    assert_eq!(client.cmd("RETR big.bin").await.code().get(), 150);
    let mut received = Vec::new();
    timeout(WAIT, data.read_to_end(&mut received))
        .await
        .unwrap()
        .unwrap();
    let end = client.reply().await;
    assert_eq!(end.code().get(), 451, "{end}");
    assert!(end.to_string().contains("quota"), "{end}");
    assert!(
        received.len() < 100_000,
        "the whole file went out past the quota"
    );

    // Used up: the next transfer is refused before any 150.
    let _data = client.data().await;
    let refused = client.cmd("RETR big.bin").await;
    assert_eq!(refused.code().get(), 451, "{refused}");
    assert_eq!(client.cmd("NOOP").await.code().get(), 200);

    server.stop.send(()).unwrap();
    timeout(WAIT, server.task).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_finishes_running_transfers_then_says_421() {
    const SIZE: usize = 16 * 1024 * 1024;
    let vfs = storage_with("/big.bin", SIZE).await;
    let mut options = Options::default();
    options.shutdown_grace = Duration::from_secs(10);
    let Running { addr, stop, task } =
        start(move |user| Login::new(user, vfs.clone(), true), options).await;

    let mut idle = Client::login(addr).await;
    let mut busy = Client::login(addr).await;
    let mut data = busy.data().await;
    assert_eq!(busy.cmd("RETR big.bin").await.code().get(), 150);
    // The transfer is under way (and stuck on our unread socket) when the
    // server is asked to stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();

    // The idle session is told at once.
    assert_eq!(idle.reply().await.code().get(), 421);
    // The running transfer completes, then its session is closed too.
    let mut received = Vec::new();
    timeout(WAIT, data.read_to_end(&mut received))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(received.len(), SIZE);
    assert_eq!(busy.reply().await.code().get(), 226);
    assert_eq!(busy.reply().await.code().get(), 421);
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();

    // Nobody is listening any more.
    let late = TcpStream::connect(addr).await;
    if let Ok(mut stream) = late {
        let mut byte = [0u8; 1];
        let n = timeout(WAIT, stream.read(&mut byte))
            .await
            .unwrap()
            .unwrap_or(0);
        assert_eq!(n, 0, "a connection after shutdown got a greeting");
    }
}
