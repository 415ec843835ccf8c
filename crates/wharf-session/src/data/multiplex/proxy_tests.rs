//! Multiplexed passive ports behind a PROXY balancer (127.0.0.1 trusted):
//! a connection is matched by the client its header names, and a missing,
//! malformed, truncated, late, foreign or untrusted header never reaches a
//! reservation nor holds up the port.

use std::net::Ipv4Addr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

use super::*;

/// The client the balancer relays.
const CLIENT: [u8; 4] = [203, 0, 113, 7];
/// How long the tests' headers may take.
const LIMIT: Duration = Duration::from_millis(400);

fn balanced() -> ProxyProtocol {
    let mut proxy = ProxyProtocol::new(vec!["127.0.0.1/32".parse().unwrap()]);
    proxy.header_timeout = LIMIT;
    proxy
}

async fn mux(proxy: Option<ProxyProtocol>) -> (Arc<Multiplexer>, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mux = Multiplexer::start(&[IpAddr::V4(Ipv4Addr::LOCALHOST)], vec![port], proxy)
        .await
        .unwrap();
    (mux, port)
}

async fn connect_from(from: [u8; 4], port: u16) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    socket
        .connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .unwrap()
}

fn v1(client: [u8; 4], port: u16) -> Vec<u8> {
    let client = Ipv4Addr::from(client);
    format!("PROXY TCP4 {client} 127.0.0.1 40000 {port}\r\n").into_bytes()
}

/// A v2 PROXY header (TCP over IPv4) with one NOOP TLV.
fn v2(client: [u8; 4], port: u16) -> Vec<u8> {
    let mut header = b"\r\n\r\n\0\r\nQUIT\n\x21\x11".to_vec();
    header.extend_from_slice(&17u16.to_be_bytes());
    header.extend_from_slice(&client);
    header.extend_from_slice(&[127, 0, 0, 1]);
    header.extend_from_slice(&40000u16.to_be_bytes());
    header.extend_from_slice(&port.to_be_bytes());
    header.extend_from_slice(&[0x04, 0x00, 0x02, 0x00, 0x00]);
    header
}

/// Whether the server closes `stream` within 5 s (it never sends data).
async fn closed(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

/// The connection `ticket` receives within `wait`, if any.
async fn arrival(ticket: &mut Ticket, wait: Duration) -> Option<(TcpStream, SocketAddr)> {
    tokio::time::timeout(wait, ticket.connection())
        .await
        .ok()
        .and_then(Result::ok)
}

#[tokio::test]
async fn both_versions_match_the_client_they_name_and_keep_the_data_after() {
    for header in [v1 as fn([u8; 4], u16) -> Vec<u8>, v2] {
        let (mux, port) = mux(Some(balanced())).await;
        let mut ticket = mux.reserve(CLIENT.into(), Duration::ZERO).await.unwrap();
        let mut balancer = connect_from([127, 0, 0, 1], port).await;
        let mut bytes = header(CLIENT, port);
        bytes.extend_from_slice(b"file data");
        balancer.write_all(&bytes).await.unwrap();
        let (mut got, from) = arrival(&mut ticket, Duration::from_secs(5)).await.unwrap();
        assert_eq!(from, SocketAddr::from((CLIENT, 40000)));
        let mut data = [0u8; 9];
        got.read_exact(&mut data).await.unwrap();
        assert_eq!(&data, b"file data");
        assert_eq!(mux.pending(), 0);
    }
}

#[tokio::test]
async fn a_header_split_across_reads_still_matches() {
    let (mux, port) = mux(Some(balanced())).await;
    let mut ticket = mux.reserve(CLIENT.into(), Duration::ZERO).await.unwrap();
    let mut balancer = connect_from([127, 0, 0, 1], port).await;
    balancer.set_nodelay(true).unwrap();
    for chunk in v2(CLIENT, port).chunks(5) {
        balancer.write_all(chunk).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, from) = arrival(&mut ticket, Duration::from_secs(5)).await.unwrap();
    assert_eq!(from.ip(), IpAddr::from(CLIENT));
}

#[tokio::test]
async fn hostile_headers_are_closed_and_the_reservation_waits_for_the_client() {
    let (mux, port) = mux(Some(balanced())).await;
    let mut ticket = mux.reserve(CLIENT.into(), Duration::ZERO).await.unwrap();
    let mut hostile: Vec<(&str, Vec<u8>)> = vec![
        ("no header", b"USER alice\r\n".to_vec()),
        (
            "malformed v1",
            b"PROXY TCP4 300.1.1.1 127.0.0.1 1 21\r\n".to_vec(),
        ),
        (
            "overlong v1",
            [b"PROXY TCP4 ".as_slice(), &[b'1'; 120]].concat(),
        ),
        ("truncated v1", b"PROXY TCP4 203.0.113.7".to_vec()),
        ("truncated v2", v2(CLIENT, port)[..20].to_vec()),
        ("another client", v1([203, 0, 113, 8], port)),
    ];
    // A v2 header whose length runs past the end of what is sent.
    let mut long = v2(CLIENT, port);
    long[15] = 200;
    hostile.push(("v2 length past its end", long));
    // A v2 TLV whose own length runs past the header.
    let mut tlv = v2(CLIENT, port);
    let last = tlv.len() - 3;
    tlv[last] = 9;
    hostile.push(("v2 TLV past the header", tlv));
    // Opened side by side: silent or slow ones must not hold up the rest.
    let mut streams = Vec::new();
    for (what, bytes) in &hostile {
        let mut stream = connect_from([127, 0, 0, 1], port).await;
        stream.write_all(bytes).await.unwrap();
        streams.push((*what, stream));
    }
    let started = tokio::time::Instant::now();
    for (what, stream) in &mut streams {
        assert!(closed(stream).await, "{what}: still open");
    }
    assert!(started.elapsed() < LIMIT + Duration::from_secs(2));
    assert!(
        arrival(&mut ticket, Duration::from_millis(100))
            .await
            .is_none(),
        "a hostile header reached the reservation"
    );
    // Silence from the balancer while the client's own connection comes:
    // the client is served at once, the silent one closed at the limit.
    let mut silent = connect_from([127, 0, 0, 1], port).await;
    let mut balancer = connect_from([127, 0, 0, 1], port).await;
    balancer.write_all(&v1(CLIENT, port)).await.unwrap();
    let (_, from) = arrival(&mut ticket, LIMIT / 2).await.unwrap();
    assert_eq!(from.ip(), IpAddr::from(CLIENT));
    assert!(closed(&mut silent).await);
}

#[tokio::test]
async fn a_header_from_an_untrusted_peer_is_not_read() {
    let (mux, port) = mux(Some(balanced())).await;
    let mut ticket = mux.reserve(CLIENT.into(), Duration::ZERO).await.unwrap();
    let mut mine = mux
        .reserve(IpAddr::from([127, 0, 0, 2]), Duration::ZERO)
        .await
        .unwrap();
    // 127.0.0.2 is no balancer: its header does not make it the client...
    let mut stranger = connect_from([127, 0, 0, 2], port).await;
    let header = v1(CLIENT, port);
    stranger.write_all(&header).await.unwrap();
    assert!(
        arrival(&mut ticket, Duration::from_millis(300))
            .await
            .is_none()
    );
    // ...it is itself, and its header is data on its own connection.
    let (mut got, from) = arrival(&mut mine, Duration::from_secs(5)).await.unwrap();
    assert_eq!(from.ip(), IpAddr::from([127, 0, 0, 2]));
    let mut data = vec![0u8; header.len()];
    got.read_exact(&mut data).await.unwrap();
    assert_eq!(data, header);
}

#[tokio::test]
async fn a_reload_turns_header_reading_on_and_off() {
    let (mux, port) = mux(None).await;
    let mut local = mux
        .reserve(IpAddr::from([127, 0, 0, 1]), Duration::ZERO)
        .await
        .unwrap();
    let _plain = connect_from([127, 0, 0, 1], port).await;
    let (_, from) = arrival(&mut local, Duration::from_secs(5)).await.unwrap();
    assert_eq!(from.ip(), IpAddr::from([127, 0, 0, 1]));

    mux.set_proxy(Some(balanced()));
    let mut ticket = mux.reserve(CLIENT.into(), Duration::ZERO).await.unwrap();
    let mut balancer = connect_from([127, 0, 0, 1], port).await;
    balancer.write_all(&v2(CLIENT, port)).await.unwrap();
    assert!(arrival(&mut ticket, Duration::from_secs(5)).await.is_some());

    // Passive listeners off: the balancer's connection is itself again.
    let mut off = balanced();
    off.listeners.passive = false;
    mux.set_proxy(Some(off));
    let mut again = mux
        .reserve(IpAddr::from([127, 0, 0, 1]), Duration::ZERO)
        .await
        .unwrap();
    let _plain = connect_from([127, 0, 0, 1], port).await;
    assert!(arrival(&mut again, Duration::from_secs(5)).await.is_some());
}
