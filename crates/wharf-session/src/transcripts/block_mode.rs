//! MODE B (RFC 959 3.4.2) played byte by byte: blocks of any size the
//! client chooses, restart markers, data in the EOF block, one data
//! connection for several transfers, and MODE S closing it.

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wharf_proto::block::{BlockDecoder, BlockEvent, Descriptor, encode_block};
use wharf_vfs::testing::pattern;

use crate::testkit::{Client, DataStream, Harness, Setup};

/// One file as MODE B blocks of `sizes` (cycled), a restart marker after
/// the first block, the last block flagged EOF.
fn blocks(data: &[u8], sizes: &[usize]) -> BytesMut {
    let mut out = BytesMut::new();
    let mut rest = data;
    for (i, &size) in sizes.iter().cycle().enumerate() {
        let (chunk, after) = rest.split_at(size.min(rest.len()));
        rest = after;
        let flags = if rest.is_empty() {
            Descriptor::EOF
        } else {
            Descriptor::NONE
        };
        encode_block(flags, chunk, &mut out);
        if i == 0 && !rest.is_empty() {
            encode_block(Descriptor::RESTART_MARKER, b"1", &mut out);
        }
        if rest.is_empty() {
            return out;
        }
    }
    unreachable!("the cycle ends with the data")
}

/// One file read from MODE B blocks, up to its EOF block.
async fn read_file(data: &mut Box<dyn DataStream>) -> Vec<u8> {
    let mut decoder = BlockDecoder::new();
    let mut buf = BytesMut::new();
    let mut file = Vec::new();
    loop {
        while let Some(event) = decoder.decode(&mut buf).unwrap() {
            match event {
                BlockEvent::Data(bytes) => file.extend_from_slice(&bytes),
                BlockEvent::EndOfFile => return file,
                _ => {}
            }
        }
        let mut chunk = [0u8; 8192];
        let n = data.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the connection closed before the EOF block");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Sends `line` and expects its `150`.
async fn start(client: &mut Client, line: &str) {
    client.send_raw(format!("{line}\r\n").as_bytes()).await;
    assert_eq!(client.reply().await.code().get(), 150, "{line}");
}

#[tokio::test]
async fn one_connection_carries_uploads_downloads_and_a_listing() {
    let mut setup = Setup::default();
    setup.fs([("first", pattern(70_000, 40))]);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    assert_eq!(client.cmd("MODE B").await.code().get(), 200);
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    start(&mut client, "RETR first").await;
    let mut data = client.data_connection().await;
    assert_eq!(read_file(&mut data).await, pattern(70_000, 40));
    assert_eq!(client.reply().await.code().get(), 226);
    let upload = pattern(150_001, 99);
    start(&mut client, "STOR up").await;
    data.write_all(&blocks(&upload, &[1, 1000, 65_535]))
        .await
        .unwrap();
    assert_eq!(client.reply().await.code().get(), 226);
    assert_eq!(harness.file("up").await, upload);
    start(&mut client, "RETR up").await;
    assert_eq!(read_file(&mut data).await, upload);
    assert_eq!(client.reply().await.code().get(), 226);
    // An empty file is one EOF block.
    start(&mut client, "STOR empty").await;
    data.write_all(&blocks(b"", &[1])).await.unwrap();
    assert_eq!(client.reply().await.code().get(), 226);
    assert_eq!(harness.file("empty").await, b"");
    start(&mut client, "NLST").await;
    assert_eq!(read_file(&mut data).await, b"empty\r\nfirst\r\nup\r\n");
    assert_eq!(client.reply().await.code().get(), 226);
    // MODE S closes the kept connection.
    assert_eq!(client.cmd("MODE S").await.code().get(), 200);
    let mut rest = Vec::new();
    data.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "{rest:?}");
}

#[tokio::test]
async fn an_upload_cut_before_its_eof_block_is_discarded() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    assert_eq!(client.cmd("MODE B").await.code().get(), 200);
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    start(&mut client, "STOR cut").await;
    let mut data = client.data_connection().await;
    let mut partial = BytesMut::new();
    encode_block(Descriptor::NONE, b"no end", &mut partial);
    data.write_all(&partial).await.unwrap();
    data.shutdown().await.unwrap();
    assert_eq!(client.reply().await.code().get(), 426);
    assert!(!harness.exists("cut").await);
}

#[tokio::test]
async fn undefined_descriptor_bits_break_the_transfer() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    assert_eq!(client.cmd("MODE B").await.code().get(), 200);
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    start(&mut client, "STOR bad").await;
    let mut data = client.data_connection().await;
    data.write_all(&[0x01, 0, 1, b'x']).await.unwrap();
    assert_eq!(client.reply().await.code().get(), 426);
    assert!(!harness.exists("bad").await);
    // The session goes on, with a new data connection.
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    let stored = client.exchange("STOR good", Some(b"fine")).await;
    assert_eq!(stored.codes(), [150, 226]);
    assert_eq!(harness.file("good").await, b"fine");
}

#[tokio::test]
async fn one_active_connection_carries_every_transfer() {
    let (harness, _client) = transcript!(fs = [("first", "first file")];
        "USER a" => 331,
        "PASS s" => 230,
        "MODE B" => 200,
        "PORT 192,0,2,10,200,10" => 200,
        "RETR first" => [150, 226] >> "first file",
        "STOR up" << "uploaded" => [150, 226],
        "RETR up" => [150, 226] >> "uploaded",
        "NLST" => [150, 226] >> "first\r\nup\r\n",
    );
    assert_eq!(harness.file("up").await, b"uploaded");
    // The server connected once.
    assert_eq!(harness.ports.connects.lock().unwrap().len(), 1);
}
