//! The data connections of issue 6 over real sockets: multiplexed passive
//! ports, the default data port (RFC 959 3.2), and MODE B (RFC 959 3.4.2).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers panic on purpose.

mod support;

use std::net::IpAddr;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;
use wharf_proto::block::{self, BlockDecoder, BlockEvent};
use wharf_session::{Login, Options};
use wharf_vfs::testing::pattern;

use support::{
    Client, WAIT, default_port_friendly, free_port, free_range, read_back, start, start_on,
    storage_with_files,
};

fn multiplexed(ports: std::ops::RangeInclusive<u16>) -> Options {
    let mut options = Options::default();
    options.passive_ports = Some(ports);
    options.passive_multiplex = true;
    // Many clients from 127.0.0.1 at once, as behind one NAT.
    options.max_sessions_per_ip = 100;
    options.max_unauthenticated_sessions_per_ip = 100;
    options
}

/// RETR over EPSV from the control connection's IP; checks the port.
async fn retr(client: &mut Client, name: &str, port: Option<u16>) -> Vec<u8> {
    let (mut data, got_port) = client.data_with_port().await;
    if let Some(port) = port {
        assert_eq!(got_port, port, "not the multiplexed port");
    }
    assert_eq!(client.cmd(&format!("RETR {name}")).await.code().get(), 150);
    let mut out = Vec::new();
    timeout(WAIT, data.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(client.reply().await.code().get(), 226);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_client_ips_share_one_passive_port() {
    const CLIENTS: usize = 200;
    let files: Vec<(String, Vec<u8>)> = (0..CLIENTS)
        .map(|i| (format!("/f{i}"), pattern(32 * 1024, i as u64)))
        .collect();
    let vfs = storage_with_files(&files).await;
    let port = free_port();
    let server = start(
        move |user| Login::new(user, vfs.clone(), true),
        multiplexed(port..=port),
    )
    .await;
    let addr = server.addr;
    let mut clients = Vec::new();
    for (i, (_, expected)) in files.iter().cloned().enumerate() {
        clients.push(tokio::spawn(async move {
            // 127.0.0.2 ... 127.0.0.201: Linux routes all of 127/8 to lo.
            let from = IpAddr::from([127, 0, 0, (2 + i) as u8]);
            let mut client = Client::login_from(addr, Some(from)).await;
            let got = retr(&mut client, &format!("f{i}"), Some(port)).await;
            assert!(got == expected, "client {i} got other bytes");
        }));
    }
    for client in clients {
        timeout(Duration::from_secs(60), client)
            .await
            .unwrap()
            .unwrap();
    }
    server.stop.send(()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_transfers_from_one_ip_through_five_ports() {
    let files: Vec<(String, Vec<u8>)> = (0..20)
        .map(|i| (format!("/g{i}"), pattern(256 * 1024, i as u64)))
        .collect();
    let vfs = storage_with_files(&files).await;
    let range = free_range(5);
    let server = start(
        move |user| Login::new(user, vfs.clone(), true),
        multiplexed(range.clone()),
    )
    .await;
    let addr = server.addr;
    let mut clients = Vec::new();
    for (i, (_, expected)) in files.iter().cloned().enumerate() {
        let range = range.clone();
        clients.push(tokio::spawn(async move {
            let mut client = Client::login(addr).await;
            let (mut data, port) = client.data_with_port().await;
            assert!(range.contains(&port));
            assert_eq!(client.cmd(&format!("RETR g{i}")).await.code().get(), 150);
            let mut out = Vec::new();
            timeout(WAIT, data.read_to_end(&mut out))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(client.reply().await.code().get(), 226);
            assert!(out == expected, "transfer {i} got other bytes");
        }));
    }
    for client in clients {
        timeout(Duration::from_secs(60), client)
            .await
            .unwrap()
            .unwrap();
    }
    server.stop.send(()).unwrap();
}

#[tokio::test]
async fn an_expired_reservation_gives_425() {
    let vfs = storage_with_files(&[("/f".into(), b"x".to_vec())]).await;
    let port = free_port();
    let mut options = multiplexed(port..=port);
    options.passive_timeout = Duration::from_millis(200);
    let server = start(move |user| Login::new(user, vfs.clone(), true), options).await;
    let mut client = Client::login(server.addr).await;
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    tokio::time::sleep(Duration::from_millis(600)).await;
    // The reservation is gone, and with it the data connection; with the
    // default data port off there is nothing else to use.
    let reply = client.cmd("RETR f").await;
    assert!(matches!(reply.code().get(), 425), "{reply}");
    // The slot is free again.
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    server.stop.send(()).unwrap();
}

#[tokio::test]
async fn the_default_data_port_connects_from_l_minus_one_to_the_control_address() {
    let vfs = storage_with_files(&[("/hello.txt".into(), b"hello, port 20".to_vec())]).await;
    let storage = vfs.clone();
    let server = start_on(
        move |user| Login::new(user, vfs.clone(), true),
        Options::default(),
        default_port_friendly(),
    )
    .await;
    let mut client = Client::login(server.addr).await;
    let listener = client.default_port_listener();

    // RETR with no PORT or PASV: the server connects to us.
    assert_eq!(client.cmd("RETR hello.txt").await.code().get(), 150);
    let (mut data, from) = tokio::select! {
        accepted = listener.accept() => accepted.unwrap(),
        reply = client.reply() => panic!("no connection, the server said: {reply}"),
    };
    assert_eq!(
        from.port(),
        server.addr.port() - 1,
        "not from the control port minus one"
    );
    let mut got = Vec::new();
    data.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"hello, port 20");
    // As ftplib and curl do: close the data connection, then read 226.
    drop(data);
    assert_eq!(client.reply().await.code().get(), 226);

    // STOR and LIST the same way.
    assert_eq!(client.cmd("STOR up.txt").await.code().get(), 150);
    let (mut data, _) = tokio::select! {
        accepted = listener.accept() => accepted.unwrap(),
        reply = client.reply() => panic!("no connection, the server said: {reply}"),
    };
    data.write_all(b"uploaded").await.unwrap();
    data.shutdown().await.unwrap();
    drop(data);
    assert_eq!(client.reply().await.code().get(), 226);
    assert_eq!(read_back(&storage, "/up.txt").await, b"uploaded");
    assert_eq!(client.cmd("NLST").await.code().get(), 150);
    let (mut data, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    let mut listing = String::new();
    data.read_to_string(&mut listing).await.unwrap();
    assert!(
        listing.contains("up.txt") && listing.contains("hello.txt"),
        "{listing}"
    );
    drop(data);
    assert_eq!(client.reply().await.code().get(), 226);
    // And again: the previous connections between the same two ports left
    // nothing behind that blocks the next one. (On loopback, with TCP
    // timestamps, the kernel reuses the pair at once, so the connection
    // still comes from L-1 and not from the ephemeral fallback.)
    for _ in 0..3 {
        assert_eq!(client.cmd("RETR hello.txt").await.code().get(), 150);
        let (mut data, from) = tokio::select! {
            accepted = listener.accept() => accepted.unwrap(),
            reply = client.reply() => panic!("no connection, the server said: {reply}"),
        };
        assert_eq!(from.port(), server.addr.port() - 1);
        let mut got = Vec::new();
        data.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"hello, port 20");
        drop(data);
        assert_eq!(client.reply().await.code().get(), 226);
    }
    server.stop.send(()).unwrap();
}

/// Reads one MODE B file from `data`, until its EOF block.
async fn read_blocks(data: &mut tokio::net::TcpStream, pending: &mut BytesMut) -> Vec<u8> {
    let mut decoder = BlockDecoder::new();
    let mut out = Vec::new();
    loop {
        while let Some(event) = decoder.decode(pending).unwrap() {
            match event {
                BlockEvent::Data(bytes) => out.extend_from_slice(&bytes),
                BlockEvent::EndOfFile => return out,
                _ => {}
            }
        }
        let n = timeout(WAIT, data.read_buf(pending))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "the data connection closed inside a MODE B file");
    }
}

#[tokio::test]
async fn mode_b_carries_many_transfers_over_one_data_connection() {
    let one = pattern(200_000, 1);
    let two = pattern(70_000, 2);
    let vfs =
        storage_with_files(&[("/one".into(), one.clone()), ("/two".into(), two.clone())]).await;
    let storage = vfs.clone();
    let server = start(
        move |user| Login::new(user, vfs.clone(), true),
        Options::default(),
    )
    .await;
    let mut client = Client::login(server.addr).await;
    assert_eq!(client.cmd("MODE B").await.code().get(), 200);
    let mut data = client.data().await;
    let mut pending = BytesMut::new();

    assert_eq!(client.cmd("RETR one").await.code().get(), 150);
    assert_eq!(read_blocks(&mut data, &mut pending).await, one);
    assert_eq!(client.reply().await.code().get(), 226);
    // No new PASV: the same connection carries the next transfers.
    assert_eq!(client.cmd("RETR two").await.code().get(), 150);
    assert_eq!(read_blocks(&mut data, &mut pending).await, two);
    assert_eq!(client.reply().await.code().get(), 226);

    // An upload in blocks of sizes the client chooses, with a restart marker.
    let upload = pattern(100_000, 3);
    assert_eq!(client.cmd("STOR three").await.code().get(), 150);
    let mut wire = BytesMut::new();
    block::encode_block(block::Descriptor::NONE, &upload[..1], &mut wire);
    block::encode_block(block::Descriptor::RESTART_MARKER, b"1", &mut wire);
    block::encode_data(&upload[1..90_000], &mut wire);
    block::encode_block(block::Descriptor::EOF, &upload[90_000..], &mut wire);
    data.write_all(&wire).await.unwrap();
    assert_eq!(client.reply().await.code().get(), 226);
    assert_eq!(read_back(&storage, "/three").await, upload);

    // A listing, then MODE S closes the connection.
    assert_eq!(client.cmd("NLST").await.code().get(), 150);
    let names = String::from_utf8(read_blocks(&mut data, &mut pending).await).unwrap();
    assert!(names.contains("three"), "{names}");
    assert_eq!(client.reply().await.code().get(), 226);
    assert_eq!(client.cmd("MODE S").await.code().get(), 200);
    let mut rest = Vec::new();
    timeout(WAIT, data.read_to_end(&mut rest))
        .await
        .unwrap()
        .unwrap();
    assert!(rest.is_empty());
    server.stop.send(()).unwrap();
}

#[tokio::test]
async fn a_mode_b_upload_cut_before_its_eof_block_stores_nothing() {
    let vfs = storage_with_files(&[]).await;
    let storage = vfs.clone();
    let server = start(
        move |user| Login::new(user, vfs.clone(), true),
        Options::default(),
    )
    .await;
    let mut client = Client::login(server.addr).await;
    assert_eq!(client.cmd("MODE B").await.code().get(), 200);
    let mut data = client.data().await;
    assert_eq!(client.cmd("STOR cut").await.code().get(), 150);
    let mut wire = BytesMut::new();
    block::encode_data(&[1u8; 5000], &mut wire);
    data.write_all(&wire).await.unwrap();
    drop(data);
    let reply = client.reply().await;
    assert!(matches!(reply.code().get(), 426 | 451), "{reply}");
    assert!(
        storage
            .metadata(&wharf_vfs::VPath::parse("/cut").unwrap())
            .await
            .is_err()
    );
    server.stop.send(()).unwrap();
}

#[tokio::test]
async fn mode_b_over_a_multiplexed_port() {
    // Multiplexed passive ports and MODE B together: one reservation, one
    // connection, several files.
    let vfs = storage_with_files(&[("/f".into(), b"abc".to_vec())]).await;
    let port = free_port();
    let server = start(
        move |user| Login::new(user, vfs.clone(), true),
        multiplexed(port..=port),
    )
    .await;
    let mut client = Client::login(server.addr).await;
    assert_eq!(client.cmd("MODE B").await.code().get(), 200);
    let (mut data, got) = client.data_with_port().await;
    assert_eq!(got, port);
    let mut pending = BytesMut::new();
    for _ in 0..3 {
        assert_eq!(client.cmd("RETR f").await.code().get(), 150);
        assert_eq!(read_blocks(&mut data, &mut pending).await, b"abc");
        assert_eq!(client.reply().await.code().get(), 226);
    }
    server.stop.send(()).unwrap();
}

#[tokio::test]
async fn a_refused_upload_keeps_the_mode_b_connection() {
    let vfs = storage_with_files(&[("/f".into(), b"still here".to_vec())]).await;
    let server = start(
        move |user| Login::new(user, vfs.clone(), true),
        Options::default(),
    )
    .await;
    let mut client = Client::login(server.addr).await;
    assert_eq!(client.cmd("MODE B").await.code().get(), 200);
    let mut data = client.data().await;
    let mut pending = BytesMut::new();
    assert_eq!(client.cmd("RETR f").await.code().get(), 150);
    assert_eq!(read_blocks(&mut data, &mut pending).await, b"still here");
    assert_eq!(client.reply().await.code().get(), 226);
    // The storage refuses (no such directory): 550 before any byte moves...
    assert_eq!(client.cmd("STOR missing/dir/x").await.code().get(), 550);
    // ...and the same data connection carries the next transfer.
    assert_eq!(client.cmd("RETR f").await.code().get(), 150);
    assert_eq!(read_blocks(&mut data, &mut pending).await, b"still here");
    assert_eq!(client.reply().await.code().get(), 226);
    server.stop.send(()).unwrap();
}
