//! The hop that goes on with what the socket already holds
//! (`drain::to_file_then_ready`) and its guard, over a real loopback
//! connection into a real file.

use std::fs::File;
use std::io::Read;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::drain::{HopGuard, to_file_then_ready};
use super::pipes::Pipe;
use super::tests::{pattern, tcp_pair};

/// Within what a fresh loopback connection buffers before the reader
/// reads, so the client's write never waits for the hop.
const HELD: usize = 48 * 1024;

fn second_handle(tcp: &tokio::net::TcpStream) -> Arc<std::net::TcpStream> {
    let fd = tcp.as_fd().try_clone_to_owned().unwrap();
    Arc::new(std::net::TcpStream::from(fd))
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
    let burst = to_file_then_ready(pipe, file.clone(), 0, socket.clone(), 1 << 26, stop)
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
        burst = to_file_then_ready(burst.pipe, file.clone(), 0, socket.clone(), 1 << 26, stop)
            .await
            .unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_hop_takes_nothing_from_the_socket() {
    let (mut server, mut client) = tcp_pair().await;
    let data = pattern(HELD);
    client.write_all(&data).await.unwrap();
    until_held(&server, HELD).await;
    let dir = tempfile::tempdir().unwrap();
    let file = Arc::new(File::create(dir.path().join("f")).unwrap());
    let socket = second_handle(&server);
    let guard = HopGuard::new(socket.clone());
    guard.stop.store(true, Ordering::Relaxed);
    let stop = guard.stop.clone();
    let pipe = Pipe::take(1024 * 1024).unwrap();
    let burst = to_file_then_ready(pipe, file, 0, socket, 1 << 26, stop)
        .await
        .unwrap();
    guard.finished();
    assert_eq!(burst.more, 0);
    let mut left = vec![0; HELD];
    server.read_exact(&mut left).await.unwrap();
    assert!(left == data, "the socket lost bytes");
}

/// A hop given up on (its guard dropped unfinished) ends the data
/// connection although its own handle keeps the socket open; a finished
/// one leaves the connection alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hop_given_up_on_shuts_the_connection() {
    let (server, client) = tcp_pair().await;
    let socket = second_handle(&server);
    HopGuard::new(socket.clone()).finished();
    let mut client = client.into_std().unwrap();
    client.set_nonblocking(false).unwrap();
    client
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut byte = [0u8; 1];
    let idle = client.read(&mut byte);
    assert!(
        idle.is_err(),
        "the connection ended after a finished hop: {idle:?}"
    );

    drop(HopGuard::new(socket.clone()));
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(client.read(&mut byte).unwrap(), 0, "no end of stream");
    drop(server);
}
