//! The hop that goes on with what the socket already holds
//! (`drain::to_file` with `Onward`) and its guard, over a real loopback
//! connection into a real file.

use std::fs::File;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::drain::{HopGuard, Onward, to_file};
use super::pipes::Pipe;
use super::test_support::{LIMITS, pattern, splice_with_quotas, tcp_pair};
use crate::data::transfer::READ_OUT_TIME;
use crate::quota::{Direction, QuotaExceeded, QuotaHook};

/// Within what a fresh loopback connection buffers before the reader
/// reads, so the client's write never waits for the hop.
const HELD: usize = 16 * 1024;

/// Time enough for any burst here.
const SECOND: Duration = Duration::from_secs(1);

fn second_handle(tcp: &tokio::net::TcpStream) -> Arc<std::net::TcpStream> {
    let fd = tcp.as_fd().try_clone_to_owned().unwrap();
    Arc::new(std::net::TcpStream::from(fd))
}

/// Going on for up to 64 MiB within `time`, until `stop`.
fn onward(socket: &Arc<std::net::TcpStream>, time: Duration, stop: Arc<AtomicBool>) -> Onward {
    Onward {
        socket: socket.clone(),
        burst: 1 << 26,
        time,
        stop,
    }
}

/// Waits until the server's socket holds `len` bytes.
async fn until_held(server: &tokio::net::TcpStream, len: usize) {
    let mut peek = vec![0; len];
    for _ in 0..200 {
        if server.peek(&mut peek).await.unwrap() == len {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the bytes never arrived");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hop_takes_what_the_socket_holds_then_sees_the_end() {
    let (server, mut client) = tcp_pair().await;
    let data = pattern(HELD);
    client.write_all(&data).await.unwrap();
    until_held(&server, HELD).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let file = Arc::new(File::create(&path).unwrap());
    let socket = second_handle(&server);
    let pipe = Pipe::take(1024 * 1024).unwrap();

    let guard = HopGuard::new(socket.clone());
    let stop = guard.stop.clone();
    let burst = to_file(pipe, file.clone(), 0, Some(onward(&socket, SECOND, stop)))
        .await
        .unwrap();
    guard.finished();
    assert_eq!(burst.more, HELD, "the hop left bytes the socket held");
    assert!(!burst.end);

    client.shutdown().await.unwrap();
    let guard = HopGuard::new(socket.clone());
    let mut burst = burst;
    for _ in 0..200 {
        let stop = guard.stop.clone();
        let onward = Some(onward(&socket, SECOND, stop));
        burst = to_file(burst.pipe, file.clone(), 0, onward).await.unwrap();
        if burst.end {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    guard.finished();
    assert!(burst.end, "the hop never saw the client close");
    assert_eq!(burst.more, 0);
    assert!(std::fs::read(&path).unwrap() == data, "the file differs");
}

/// A hop told to stop, or given no time past its pipeful, leaves what the
/// socket holds where it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_hop_or_one_out_of_time_takes_nothing_from_the_socket() {
    for (stopped, time) in [(true, SECOND), (false, Duration::ZERO)] {
        let (mut server, mut client) = tcp_pair().await;
        let data = pattern(HELD);
        client.write_all(&data).await.unwrap();
        until_held(&server, HELD).await;
        let dir = tempfile::tempdir().unwrap();
        let file = Arc::new(File::create(dir.path().join("f")).unwrap());
        let socket = second_handle(&server);
        let guard = HopGuard::new(socket.clone());
        guard.stop.store(stopped, Ordering::Relaxed);
        let stop = guard.stop.clone();
        let pipe = Pipe::take(1024 * 1024).unwrap();
        let burst = to_file(pipe, file, 0, Some(onward(&socket, time, stop)))
            .await
            .unwrap();
        guard.finished();
        assert_eq!(burst.more, 0, "stopped {stopped}, time {time:?}");
        let mut left = vec![0; HELD];
        server.read_exact(&mut left).await.unwrap();
        assert!(left == data, "the socket lost bytes");
    }
}

/// A hop given up on (its guard dropped unfinished) and still holding
/// its handle on the socket, as one stuck in a file write does: the data
/// connection stays open while the session may read a refused upload out
/// (a shut socket would reset a client still sending), and is shut down
/// after that; the handle of a hop that finished is left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hop_given_up_on_has_its_connection_shut_after_the_read_out() {
    let (given_up, mut given_up_client) = tcp_pair().await;
    let (finished, mut finished_client) = tcp_pair().await;
    let stuck = second_handle(&given_up);
    let kept = second_handle(&finished);
    drop(HopGuard::new(stuck.clone()));
    HopGuard::new(kept.clone()).finished();
    // The session closes its own handles.
    drop((given_up, finished));
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(SECOND, given_up_client.read(&mut byte)).await;
    assert!(early.is_err(), "shut during the read-out: {early:?}");
    tokio::time::sleep(READ_OUT_TIME + SECOND * 2).await;
    let late = tokio::time::timeout(SECOND, given_up_client.read(&mut byte)).await;
    assert!(
        matches!(late, Ok(Ok(0))),
        "still open after the read-out: {late:?}"
    );
    let left = tokio::time::timeout(SECOND / 5, finished_client.read(&mut byte)).await;
    assert!(
        left.is_err(),
        "a finished hop's connection was shut: {left:?}"
    );
    drop((stuck, kept));
}

/// A quota that only watches: whether the file ever held more bytes than
/// it had been told of when it is told of more.
struct Watcher {
    path: std::path::PathBuf,
    told: std::sync::Mutex<u64>,
    ahead: std::sync::atomic::AtomicBool,
}

impl QuotaHook for Watcher {
    fn check(&self, _: Direction) -> Result<(), QuotaExceeded> {
        Ok(())
    }

    fn consume(&self, _: Direction, bytes: u64) -> Result<(), QuotaExceeded> {
        let mut told = self.told.lock().unwrap();
        let len = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        if len > *told {
            self.ahead.store(true, Ordering::SeqCst);
        }
        *told += bytes;
        Ok(())
    }
}

/// An upload with a quota never bursts: every byte is told to the quota
/// before it reaches the file, however fast the client sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_with_a_quota_tells_it_every_byte_before_the_file_gets_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let file = File::create(&path).unwrap();
    let watcher = Arc::new(Watcher {
        path: path.clone(),
        told: std::sync::Mutex::new(0),
        ahead: std::sync::atomic::AtomicBool::new(false),
    });
    let data = pattern(16 * 1024 * 1024);
    let sent = data.clone();
    let out = splice_with_quotas(
        file,
        LIMITS,
        vec![watcher.clone()],
        |mut client| async move {
            client.write_all(&sent).await.unwrap();
            client.shutdown().await.unwrap();
        },
    )
    .await;
    assert_eq!(out.result.unwrap(), data.len() as u64);
    assert!(std::fs::read(&path).unwrap() == data, "the file differs");
    assert!(
        !watcher.ahead.load(Ordering::SeqCst),
        "bytes reached the file before the quota was told of them"
    );
}
