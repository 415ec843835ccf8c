//! RETR, STOR, APPE and STOU: byte-exact both ways, the replies that open
//! and end a transfer, names that are bytes rather than text, and a data
//! connection the client closes early.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wharf_vfs::testing::pattern;

use crate::testkit::{Harness, Setup, text};

#[tokio::test]
async fn retrieve_and_store_over_epsv() {
    let (harness, _client) = transcript!(fs = [("f", "hello")];
        "USER a" => 331,
        "PASS s" => 230,
        "EPSV" => 229,
        "RETR f" => [150, 226] >> "hello",
        "EPSV" => 229,
        "STOR g" << "new" => [150, 226],
    );
    assert_eq!(harness.file("g").await, b"new");
}

#[tokio::test]
async fn binary_transfers_are_byte_exact_at_every_size() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    assert_eq!(client.cmd("TYPE I").await.code().get(), 200);
    for (i, size) in [0, 1, 255, 4096, 65_537, 300_001].into_iter().enumerate() {
        let content = pattern(size, i as u64);
        let name = format!("f{size}");
        assert_eq!(client.cmd("PASV").await.code().get(), 227);
        let stored = client
            .exchange(&format!("STOR {name}"), Some(&content))
            .await;
        assert_eq!(stored.codes(), [150, 226], "STOR {size}");
        assert_eq!(harness.file(&name).await, content, "stored {size}");
        assert_eq!(client.cmd("EPSV").await.code().get(), 229);
        let back = client.exchange(&format!("RETR {name}"), None).await;
        assert_eq!(back.codes(), [150, 226], "RETR {size}");
        assert!(back.data == content, "RETR {size} differs");
        // The final reply counts the bytes.
        assert_eq!(back.text(), format!("Transfer complete, {size} bytes."));
    }
}

#[tokio::test]
async fn the_opening_reply_names_the_type_the_file_and_its_size() {
    let (_harness, mut client) = transcript!(fs = [("f", "hello")];
        "USER a" => 331,
        "PASS s" => 230,
    );
    let binary = client.exchange("RETR f", None).await;
    assert_eq!(
        text(&binary.replies[0]),
        "Opening BINARY mode data connection for /f (5 bytes)."
    );
    assert_eq!(client.cmd("TYPE A").await.code().get(), 200);
    let ascii = client.exchange("STOR g", Some(b"x")).await;
    assert_eq!(
        text(&ascii.replies[0]),
        "Opening ASCII mode data connection for /g."
    );
}

#[tokio::test]
async fn stor_replaces_and_appe_appends() {
    let (harness, _client) = transcript!(fs = [("f", "old content")];
        "USER a" => 331,
        "PASS s" => 230,
        "STOR f" << "new" => [150, 226],
        "APPE f" << "+more" => [150, 226],
        "APPE fresh" << "created" => [150, 226],
        "RETR f" => [150, 226] >> "new+more",
    );
    assert_eq!(harness.file("f").await, b"new+more");
    assert_eq!(harness.file("fresh").await, b"created");
}

#[tokio::test]
async fn refused_transfers_open_nothing() {
    let (harness, _client) = transcript!(fs = [("f", "x")], dirs = ["d"];
        "USER a" => 331,
        "PASS s" => 230,
        "RETR missing" => 550,
        "RETR d" => 550,
        "RETR /" => 550,
        "STOR d" << "x" => 550,
        "STOR /" << "x" => 553,
        "STOR nowhere/f" << "x" => 550,
        "APPE d" << "x" => 550,
        // The file that is there is still served.
        "RETR f" => [150, 226] >> "x",
    );
    assert!(!harness.exists("nowhere").await);
    // Nothing ever connected for the refused ones.
    assert_eq!(harness.ports.connects.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn stou_stores_under_a_new_name_it_announces() {
    let mut setup = Setup::default();
    setup.dirs(["d"]);
    setup.fs([("file", "taken")]);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    let mut names = Vec::new();
    for (line, prefix) in [
        ("STOU", "file."),
        ("STOU", "file."),
        ("STOU d/report", "report."),
    ] {
        let stored = client.exchange(line, Some(line.as_bytes())).await;
        assert_eq!(stored.codes(), [150, 226], "{line}");
        // RFC 1123 4.1.2.9: `150 FILE: <name>`.
        let name = text(&stored.replies[0])
            .strip_prefix("FILE: ")
            .expect("150 FILE: name")
            .to_owned();
        assert!(
            name.starts_with(prefix) && name.len() == prefix.len() + 8,
            "{name}"
        );
        let dir = if line.contains("d/") { "d/" } else { "" };
        assert_eq!(harness.file(&format!("{dir}{name}")).await, line.as_bytes());
        names.push(name);
    }
    assert_ne!(names[0], names[1]);
    assert_eq!(harness.file("file").await, b"taken");
}

#[tokio::test]
async fn names_are_bytes_not_text() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    // UTF-8 through MKD, PWD, STOR, NLST and RETR.
    assert_eq!(client.cmd("MKD Ünïcødé 目录").await.code().get(), 257);
    assert_eq!(client.cmd("CWD Ünïcødé 目录").await.code().get(), 250);
    assert_eq!(
        text(&client.cmd("PWD").await),
        "\"/Ünïcødé 目录\" is the current directory."
    );
    let stored = client.exchange("STOR файл.txt", Some(b"utf8")).await;
    assert_eq!(stored.codes(), [150, 226]);
    let listing = client.exchange("NLST", None).await;
    assert_eq!(listing.data, "файл.txt\r\n".as_bytes());
    assert_eq!(client.exchange("RETR файл.txt", None).await.data, b"utf8");
    // A Latin-1 name is kept as the same bytes.
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    client.send_raw(b"STOR caf\xe9\r\n").await;
    assert_eq!(client.reply().await.code().get(), 150);
    let mut data = client.data_connection().await;
    data.write_all(b"latin").await.unwrap();
    data.shutdown().await.unwrap();
    drop(data);
    assert_eq!(client.reply().await.code().get(), 226);
    let listing = client.exchange("NLST", None).await;
    assert_eq!(
        listing.data,
        b"caf\xe9\r\n\xd1\x84\xd0\xb0\xd0\xb9\xd0\xbb.txt\r\n"
    );
}

#[tokio::test]
async fn a_download_the_client_stops_reading_ends_with_426() {
    let mut setup = Setup::default();
    setup.fs([("big", pattern(1 << 20, 9))]);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    client.send_raw(b"RETR big\r\n").await;
    assert_eq!(client.reply().await.code().get(), 150);
    let mut data = client.data_connection().await;
    let mut some = [0u8; 100];
    data.read_exact(&mut some).await.unwrap();
    drop(data);
    let end = client.reply().await;
    assert_eq!(end.code().get(), 426, "{end:?}");
    assert_eq!(client.cmd("NOOP").await.code().get(), 200);
}
