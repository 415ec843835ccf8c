//! The multiplexer without a balancer: matching by address, freeing slots,
//! releasing ports.

use std::net::Ipv4Addr;

use tokio::io::AsyncReadExt;
use tokio::net::TcpSocket;

use super::*;

async fn connect_from(from: Ipv4Addr, port: u16) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    socket
        .connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn one_port_serves_many_ips_and_drops_strangers() {
    let port = free_port();
    let mux = Multiplexer::start(&[IpAddr::V4(Ipv4Addr::LOCALHOST)], vec![port], None)
        .await
        .unwrap();
    let a = mux
        .reserve("127.0.0.2".parse().unwrap(), Duration::ZERO)
        .await
        .unwrap();
    let mut b = mux
        .reserve("127.0.0.3".parse().unwrap(), Duration::ZERO)
        .await
        .unwrap();
    assert_eq!((a.port, b.port), (port, port));
    // The same IP cannot hold two reservations on a one-port range.
    assert!(
        mux.reserve("127.0.0.2".parse().unwrap(), Duration::from_millis(50))
            .await
            .is_none()
    );

    let _client_b = connect_from(Ipv4Addr::new(127, 0, 0, 3), port).await;
    let (got, from) = tokio::time::timeout(Duration::from_secs(5), b.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.peer_addr().unwrap().ip(), IpAddr::from([127, 0, 0, 3]));
    assert_eq!(from.ip(), IpAddr::from([127, 0, 0, 3]));

    // Nobody reserved for 127.0.0.9: closed at once.
    let mut stranger = connect_from(Ipv4Addr::new(127, 0, 0, 9), port).await;
    let mut byte = [0u8; 1];
    let n = tokio::time::timeout(Duration::from_secs(5), stranger.read(&mut byte))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0);
    drop(a);
}

#[tokio::test]
async fn dropping_the_multiplexer_releases_its_ports() {
    let port = free_port();
    let mux = Multiplexer::start(&[IpAddr::V4(Ipv4Addr::LOCALHOST)], vec![port], None)
        .await
        .unwrap();
    drop(mux);
    // The aborted accept task drops its listener at its next poll.
    let mut bound = false;
    for _ in 0..50 {
        tokio::task::yield_now().await;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            bound = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        bound,
        "the passive port stayed bound after the server went away"
    );
}

#[tokio::test]
async fn a_dropped_ticket_frees_its_slot_for_a_waiter() {
    let port = free_port();
    let mux = Multiplexer::start(&[IpAddr::V4(Ipv4Addr::LOCALHOST)], vec![port], None)
        .await
        .unwrap();
    let ip: IpAddr = "127.0.0.4".parse().unwrap();
    let first = mux.reserve(ip, Duration::ZERO).await.unwrap();
    let waiter = {
        let mux = mux.clone();
        tokio::spawn(async move {
            mux.reserve(ip, Duration::from_secs(5))
                .await
                .map(|t| t.port)
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(first);
    assert_eq!(waiter.await.unwrap(), Some(port));
}
