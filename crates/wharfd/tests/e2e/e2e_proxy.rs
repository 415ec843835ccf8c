//! The PROXY protocol on control and passive data connections, with the
//! test playing the load balancer on 127.0.0.1 (`--proxy-protocol-from
//! 127.0.0.1/32`): headers of both versions name a client the server then
//! sees (its log, the passive peer check), and hostile or missing headers
//! from the balancer close the connection; a client that is not a trusted
//! balancer is served as itself. Multiplexed passive ports read the header
//! too, and `[proxy] listeners` turns reading on per kind of listener.

use crate::support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::{Raw, connect_from};
use support::{Server, ServerBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The client the balancer claims to relay.
const CLIENT: &str = "203.0.113.7";

fn balanced() -> ServerBuilder {
    balanced_with("")
}

/// [`balanced`] with more lines in `[proxy]`.
fn balanced_with(proxy: &str) -> ServerBuilder {
    Server::builder()
        .file(
            "wharfd.toml",
            &format!(
                "[proxy]\ntrusted = [\"127.0.0.1/32\"]\nheader_timeout_secs = 1\n{proxy}\
                 [timeouts]\ndata_connect_secs = 2\n"
            ),
        )
        .args(&["--config", "{base}/wharfd.toml"])
}

fn v1(client: &str, port: u16, server: SocketAddr) -> Vec<u8> {
    format!(
        "PROXY TCP4 {client} {} {port} {}\r\n",
        server.ip(),
        server.port()
    )
    .into_bytes()
}

/// A v2 header (PROXY command, TCP over IPv4) with one NOOP TLV.
fn v2(client: &str, port: u16, server: SocketAddr) -> Vec<u8> {
    let client: std::net::Ipv4Addr = client.parse().expect("an IPv4 address");
    let SocketAddr::V4(server) = server else {
        unreachable!("the tests listen on IPv4")
    };
    let mut header = b"\r\n\r\n\0\r\nQUIT\n\x21\x11".to_vec();
    header.extend_from_slice(&17u16.to_be_bytes());
    header.extend_from_slice(&client.octets());
    header.extend_from_slice(&server.ip().octets());
    header.extend_from_slice(&port.to_be_bytes());
    header.extend_from_slice(&server.port().to_be_bytes());
    header.extend_from_slice(&[0x04, 0x00, 0x02, 0x00, 0x00]);
    header
}

/// The server's log once it holds every one of `lines` (or after 5 s, for
/// the assertions to report): its stderr reaches the test through a
/// reader thread, which may lag behind the connection's close.
fn log_with(server: &Server, lines: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = server.log_text();
        if lines.iter().all(|l| log.contains(l)) || Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The port of a `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).` reply.
fn pasv_port(reply: &str) -> u16 {
    let inside = reply
        .split('(')
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap_or_else(|| panic!("a 227 reply: {reply:?}"));
    let numbers: Vec<u16> = inside
        .split(',')
        .map(|n| n.trim().parse().expect("a number in the 227 reply"))
        .collect();
    numbers[4] * 256 + numbers[5]
}

/// Downloads `name` over a passive connection whose own PROXY header
/// names `data_client`: the bytes, and the final reply.
async fn retr_through(
    raw: &mut Raw,
    server: SocketAddr,
    name: &str,
    header: impl Fn(u16) -> Vec<u8>,
) -> (Vec<u8>, String) {
    let reply = raw.cmd("PASV").await;
    let port = pasv_port(&reply);
    let mut data = connect_from(SocketAddr::new(server.ip(), port), "127.0.0.1").await;
    data.write_all(&header(port))
        .await
        .expect("the data header");
    let started = raw.cmd(&format!("RETR {name}")).await;
    if !started.starts_with("150") {
        return (Vec::new(), started);
    }
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), data.read_to_end(&mut bytes)).await;
    (bytes, raw.line().await)
}

#[tokio::test]
async fn both_versions_name_the_client_on_control_and_data() {
    let server = balanced().start();
    std::fs::write(server.root().join("f.txt"), b"through the balancer").expect("a file");
    let addr = server.addr();
    for (version, header) in [
        ("v1", v1 as fn(&str, u16, SocketAddr) -> Vec<u8>),
        ("v2", v2),
    ] {
        let (mut raw, greeting) =
            Raw::connect_proxied(addr, "127.0.0.1", &header(CLIENT, 40000, addr)).await;
        assert!(greeting.starts_with("220"), "{version}: {greeting:?}");
        raw.login().await;
        let (bytes, done) = retr_through(&mut raw, addr, "f.txt", |port| {
            header(CLIENT, 40001, SocketAddr::new(addr.ip(), port))
        })
        .await;
        assert!(done.starts_with("226"), "{version}: {done:?}");
        assert_eq!(bytes, b"through the balancer", "{version}");
        // A data connection whose header names someone else is refused by
        // the passive peer check: 425 once the wait for the client ends.
        let (bytes, done) = retr_through(&mut raw, addr, "f.txt", |port| {
            header("203.0.113.8", 40002, SocketAddr::new(addr.ip(), port))
        })
        .await;
        assert!(bytes.is_empty(), "{version}");
        assert!(done.starts_with("425"), "{version}: {done:?}");
    }
    let log = server.log_text();
    assert!(log.contains(&format!("peer={CLIENT}:40000")), "{log}");
    assert!(
        log.contains("from a foreign address behind the proxy"),
        "{log}"
    );
}

#[tokio::test]
async fn a_balancer_without_a_valid_header_is_closed_and_a_client_is_itself() {
    let server = balanced().start();
    let addr = server.addr();
    // Missing, malformed, truncated-then-silent: closed without a greeting.
    for header in [
        &b"USER alice\r\n"[..],
        b"PROXY TCP4 300.1.1.1 127.0.0.1 1 21\r\n",
        b"PROXY TCP4 203.0.113.7",
    ] {
        let started = Instant::now();
        let (_, greeting) = Raw::connect_proxied(addr, "127.0.0.1", header).await;
        assert_eq!(greeting, "", "{header:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    let log = log_with(
        &server,
        &[
            "connection from a trusted proxy closed",
            "does not start with a PROXY header",
            "malformed PROXY header",
            "no complete PROXY header within 1s",
        ],
    );
    assert!(
        log.contains("connection from a trusted proxy closed"),
        "{log}"
    );
    assert!(log.contains("does not start with a PROXY header"), "{log}");
    assert!(log.contains("malformed PROXY header"), "{log}");
    assert!(log.contains("no complete PROXY header within 1s"), "{log}");
    // Not a trusted balancer: its header is an unknown FTP command.
    let (mut raw, greeting) = Raw::connect(addr, "127.0.0.2").await;
    assert!(greeting.starts_with("220"), "{greeting:?}");
    let reply = raw
        .cmd(&format!("PROXY TCP4 {CLIENT} 127.0.0.1 1 21"))
        .await;
    assert!(
        reply.starts_with("500") || reply.starts_with("502"),
        "{reply:?}"
    );
    raw.login().await;
}

/// A free port below the ephemeral range, for a one-port multiplexed range.
fn free_low_port() -> u16 {
    (24_000u16..25_000)
        .step_by(13)
        .find(|&p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok())
        .expect("a free port")
}

#[tokio::test]
async fn multiplexed_passive_ports_read_the_header_and_check_the_client() {
    let port = free_low_port();
    let server = balanced()
        .args(&[
            "--passive-multiplex",
            "--passive-ports",
            &format!("{port}-{port}"),
        ])
        .start();
    std::fs::write(server.root().join("f.txt"), b"one port for all").expect("a file");
    let addr = server.addr();
    let (mut raw, greeting) =
        Raw::connect_proxied(addr, "127.0.0.1", &v2(CLIENT, 40000, addr)).await;
    assert!(greeting.starts_with("220"), "{greeting:?}");
    raw.login().await;
    for (version, header) in [
        ("v1", v1 as fn(&str, u16, SocketAddr) -> Vec<u8>),
        ("v2", v2),
    ] {
        let (bytes, done) = retr_through(&mut raw, addr, "f.txt", |p| {
            assert_eq!(p, port, "the multiplexed port");
            header(CLIENT, 40001, SocketAddr::new(addr.ip(), p))
        })
        .await;
        assert!(done.starts_with("226"), "{version}: {done:?}");
        assert_eq!(bytes, b"one port for all", "{version}");
    }
    // Another client behind the balancer, a malformed header, and none at
    // all: closed, and the transfer waits for its client in vain (425).
    for header in [
        |p: u16, addr: SocketAddr| v2("203.0.113.8", 40002, SocketAddr::new(addr.ip(), p)),
        |_: u16, _: SocketAddr| b"PROXY TCP4 300.1.1.1 127.0.0.1 1 21\r\n".to_vec(),
        |_: u16, _: SocketAddr| Vec::new(),
    ] {
        let (bytes, done) = retr_through(&mut raw, addr, "f.txt", |p| header(p, addr)).await;
        assert!(bytes.is_empty());
        assert!(done.starts_with("425"), "{done:?}");
    }
    let log = log_with(
        &server,
        &[
            "connection to a multiplexed passive port without a reservation",
            "multiplexed passive port from a trusted proxy closed",
            "malformed PROXY header",
            "no complete PROXY header within 1s",
        ],
    );
    assert!(
        log.contains("connection to a multiplexed passive port without a reservation"),
        "{log}"
    );
    assert!(
        log.contains("multiplexed passive port from a trusted proxy closed")
            && log.contains("malformed PROXY header")
            && log.contains("no complete PROXY header within 1s"),
        "{log}"
    );
}

#[tokio::test]
async fn listeners_read_headers_only_where_configured() {
    // Headers on implicit FTPS and passive data, not on plain control.
    let server = balanced_with("listeners = [\"implicit\", \"passive\"]\n")
        .tls()
        .implicit()
        .start();
    std::fs::write(server.root().join("f.txt"), b"per listener").expect("a file");
    let addr = server.addr();
    // Control from the balancer's address without a header: a client.
    let (mut raw, greeting) = Raw::connect(addr, "127.0.0.1").await;
    assert!(greeting.starts_with("220"), "{greeting:?}");
    raw.login().await;
    // Its passive connection must still carry a header, naming it.
    let (bytes, done) = retr_through(&mut raw, addr, "f.txt", |p| {
        v1("127.0.0.1", 40003, SocketAddr::new(addr.ip(), p))
    })
    .await;
    assert!(done.starts_with("226"), "{done:?}");
    assert_eq!(bytes, b"per listener");
    let (bytes, done) = retr_through(&mut raw, addr, "f.txt", |_| Vec::new()).await;
    assert!(bytes.is_empty());
    assert!(done.starts_with("425"), "{done:?}");
    // Implicit FTPS from the balancer without a header: closed.
    let mut implicit = connect_from(server.implicit_addr(), "127.0.0.1").await;
    implicit
        .write_all(b"not a header\r\n")
        .await
        .expect("write");
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), implicit.read_to_end(&mut rest)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?} {rest:?}");
    let log = log_with(&server, &["does not start with a PROXY header"]);
    assert!(log.contains("does not start with a PROXY header"), "{log}");
}

/// A reload that names the balancer reaches the multiplexed ports too:
/// before it their connections are matched by the socket's address, after
/// it by the header's client.
#[tokio::test]
async fn a_reload_makes_multiplexed_ports_read_headers() {
    let port = free_low_port();
    let config = |trusted: &str, greeting: &str| {
        format!(
            "greeting = \"{greeting}\"\n[proxy]\ntrusted = [\"{trusted}\"]\nheader_timeout_secs = 1\n\
             [timeouts]\ndata_connect_secs = 2\n"
        )
    };
    let server = Server::builder()
        .file("wharfd.toml", &config("127.0.0.9/32", "Before."))
        .args(&["--config", "{base}/wharfd.toml"])
        .args(&[
            "--passive-multiplex",
            "--passive-ports",
            &format!("{port}-{port}"),
        ])
        .start();
    std::fs::write(server.root().join("f.txt"), b"reloaded").expect("a file");
    let addr = server.addr();
    let (mut raw, greeting) = Raw::connect(addr, "127.0.0.1").await;
    assert!(greeting.starts_with("220 Before."), "{greeting:?}");
    raw.login().await;
    let (bytes, done) = retr_through(&mut raw, addr, "f.txt", |_| Vec::new()).await;
    assert!(done.starts_with("226"), "{done:?}");
    assert_eq!(bytes, b"reloaded");

    std::fs::write(
        server.outside().join("wharfd.toml"),
        config("127.0.0.1/32", "After."),
    )
    .expect("rewrite the config");
    server.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut raw = loop {
        let (raw, greeting) =
            Raw::connect_proxied(addr, "127.0.0.1", &v1(CLIENT, 40010, addr)).await;
        if greeting.starts_with("220 After.") {
            break raw;
        }
        assert!(Instant::now() < deadline, "{}", server.log_tail());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    raw.login().await;
    let (bytes, done) = retr_through(&mut raw, addr, "f.txt", |p| {
        v2(CLIENT, 40011, SocketAddr::new(addr.ip(), p))
    })
    .await;
    assert!(done.starts_with("226"), "{done:?}\n{}", server.log_tail());
    assert_eq!(bytes, b"reloaded");
}
