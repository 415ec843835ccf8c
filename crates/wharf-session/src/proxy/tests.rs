//! Headers of both versions, read to their last byte and no further;
//! hostile ones refused with a reason, never a panic or a hang.

use std::net::SocketAddr;
use std::time::Duration;

use proptest::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

const LIMIT: Duration = Duration::from_secs(5);

/// A v2 PROXY header for a TCP client `source` (IPv4) with one TLV.
fn v2_ipv4(source: SocketAddr, command: u8) -> Vec<u8> {
    let SocketAddr::V4(source) = source else {
        unreachable!("an IPv4 test address")
    };
    let mut header = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    header.push(0x20 | command);
    header.push(0x11); // TCP over IPv4
    let tlv = [0x04, 0x00, 0x02, 0xAA, 0xBB]; // NOOP, two bytes
    let length = 12 + tlv.len();
    header.extend_from_slice(&u16::try_from(length).unwrap().to_be_bytes());
    header.extend_from_slice(&source.ip().octets());
    header.extend_from_slice(&[10, 0, 0, 1]);
    header.extend_from_slice(&source.port().to_be_bytes());
    header.extend_from_slice(&21u16.to_be_bytes());
    header.extend_from_slice(&tlv);
    header
}

/// Feeds `bytes` (then closes) and reads a header; what the stream held
/// after it.
async fn read(bytes: &[u8]) -> (Result<Option<SocketAddr>, ProxyHeaderError>, Vec<u8>) {
    let (mut ours, mut theirs) = tokio::io::duplex(4096);
    ours.write_all(bytes).await.unwrap();
    drop(ours);
    let result = read_client(&mut theirs, LIMIT).await;
    let mut rest = Vec::new();
    let _ = theirs.read_to_end(&mut rest).await;
    (result, rest)
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

#[tokio::test]
async fn v1_names_the_client_and_leaves_what_follows() {
    let (client, rest) = read(b"PROXY TCP4 192.0.2.7 10.0.0.1 50123 21\r\nUSER a\r\n").await;
    assert_eq!(client.unwrap(), Some(addr("192.0.2.7:50123")));
    assert_eq!(rest, b"USER a\r\n");
    let (client, _) = read(b"PROXY TCP6 2001:db8::7 2001:db8::1 50123 21\r\n").await;
    assert_eq!(client.unwrap(), Some(addr("[2001:db8::7]:50123")));
    let (client, rest) = read(b"PROXY UNKNOWN\r\nrest").await;
    assert_eq!(client.unwrap(), None);
    assert_eq!(rest, b"rest");
}

#[tokio::test]
async fn v2_names_the_client_skips_its_tlvs_and_leaves_what_follows() {
    let mut bytes = v2_ipv4(addr("192.0.2.9:40000"), 1);
    bytes.extend_from_slice(b"\x16\x03\x01"); // a TLS ClientHello's start
    let (client, rest) = read(&bytes).await;
    assert_eq!(client.unwrap(), Some(addr("192.0.2.9:40000")));
    assert_eq!(rest, b"\x16\x03\x01");
    // LOCAL: the balancer's own connection (a health check).
    let (client, _) = read(&v2_ipv4(addr("192.0.2.9:40000"), 0)).await;
    assert_eq!(client.unwrap(), None);
}

#[tokio::test]
async fn hostile_headers_are_refused_with_a_reason() {
    let cases: [(&[u8], &str); 5] = [
        (b"USER anonymous\r\n", "does not start"),
        (b"PROXY TCP4 999.0.0.1 10.0.0.1 1 21\r\n", "malformed"),
        (b"PROXY TCP4 192.0.2.1 10.0.0.1 99999 21\r\n", "malformed"),
        (b"PROXY TCP4 192.0.2.7 10.0.0.1 5", "failed"),
        (b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\x01\x02", "failed"),
    ];
    for (bytes, why) in cases {
        let (result, _) = read(bytes).await;
        let error = result.unwrap_err().to_string();
        assert!(error.contains(why), "{bytes:?}: {error}");
    }
    // A v2 TLV whose length runs past the header (ppp reads TLVs lazily).
    let mut tlv = v2_ipv4(addr("192.0.2.9:40000"), 1);
    let at = tlv.len() - 4;
    tlv[at] = 9;
    let (result, _) = read(&tlv).await;
    assert!(
        result.unwrap_err().to_string().contains("malformed"),
        "a TLV past the header"
    );
    // A v1 line that never ends stops at the longest legal header.
    let mut long = b"PROXY TCP4 ".to_vec();
    long.extend(std::iter::repeat_n(b'1', 200));
    let (result, _) = read(&long).await;
    assert!(result.unwrap_err().to_string().contains("longer than 107"));
}

#[tokio::test(start_paused = true)]
async fn a_silent_or_slow_proxy_times_out() {
    let (mut ours, mut theirs) = tokio::io::duplex(4096);
    ours.write_all(b"PROXY TCP4 192.0.2.7").await.unwrap();
    let started = tokio::time::Instant::now();
    let error = read_client(&mut theirs, LIMIT).await.unwrap_err();
    assert!(matches!(error, ProxyHeaderError::TimedOut(_)), "{error}");
    assert_eq!(started.elapsed(), LIMIT);
    drop(ours);
}

proptest! {
    /// However the header is split across reads, the result is the same
    /// and nothing after it is consumed.
    #[test]
    fn any_split_reads_the_same(split in 0usize..60, v2 in any::<bool>()) {
        let header = if v2 {
            v2_ipv4(addr("198.51.100.4:1234"), 1)
        } else {
            b"PROXY TCP4 198.51.100.4 10.0.0.1 1234 21\r\n".to_vec()
        };
        let split = split.min(header.len());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (client, rest) = runtime.block_on(async {
            let (mut ours, mut theirs) = tokio::io::duplex(4096);
            let writer = tokio::spawn(async move {
                ours.write_all(&header[..split]).await.unwrap();
                tokio::task::yield_now().await;
                ours.write_all(&header[split..]).await.unwrap();
                ours.write_all(b"NOOP\r\n").await.unwrap();
            });
            let client = read_client(&mut theirs, LIMIT).await.unwrap();
            writer.await.unwrap();
            let mut rest = [0u8; 6];
            theirs.read_exact(&mut rest).await.unwrap();
            (client, rest)
        });
        prop_assert_eq!(client, Some(addr("198.51.100.4:1234")));
        prop_assert_eq!(&rest, b"NOOP\r\n");
    }
}
