//! PWD, CWD, CDUP, MKD, RMD, DELE and their X forms; SIZE, MDTM, MFMT;
//! quoting of path names in replies (RFC 959 appendix II), and `..` never
//! leading above the root.

use std::time::{Duration, SystemTime};

use wharf_vfs::Vfs;
use wharf_vfs::testing::path;

use crate::testkit::{Harness, Setup, text};

#[tokio::test]
async fn directories_are_made_entered_left_and_removed() {
    let (harness, _client) = transcript!(;
        "USER a" => 331,
        "PASS s" => 230,
        "MKD alpha" => 257,
        "MKD alpha" => 550,
        "XMKD alpha/beta" => 257,
        "CWD alpha" => 250,
        "XCWD beta" => 250,
        "CDUP" => 250,
        "XCUP" => 250,
        "CDUP" => 250,
        "CWD /alpha/beta" => 250,
        "CWD /missing" => 550,
        "XPWD" => 257,
        "CWD /" => 250,
        "RMD alpha" => 550,
        "RMD alpha/beta" => 250,
        "XRMD alpha" => 250,
        "RMD alpha" => 550,
        "MKD missing/child" => 550,
    );
    assert!(!harness.exists("alpha").await);
}

#[tokio::test]
async fn replies_name_the_directory() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    let made = text(&client.cmd("MKD alpha").await);
    assert_eq!(made, "\"/alpha\" created.");
    assert_eq!(
        text(&client.cmd("CWD alpha").await),
        "\"/alpha\" is the current directory."
    );
    assert_eq!(
        text(&client.cmd("PWD").await),
        "\"/alpha\" is the current directory."
    );
    // A failed CWD leaves the user where they were.
    assert_eq!(client.cmd("CWD nowhere").await.code().get(), 550);
    assert_eq!(
        text(&client.cmd("PWD").await),
        "\"/alpha\" is the current directory."
    );
    assert_eq!(client.cmd("XMKD beta").await.code().get(), 257);
    assert_eq!(client.cmd("XCWD beta").await.code().get(), 250);
    for (up, now) in [("CDUP", "/alpha"), ("XCUP", "/"), ("CDUP", "/")] {
        let reply = client.cmd(up).await;
        assert_eq!(reply.code().get(), 250);
        assert_eq!(text(&reply), format!("\"{now}\" is the current directory."));
        assert_eq!(
            text(&client.cmd("XPWD").await),
            format!("\"{now}\" is the current directory.")
        );
    }
}

#[tokio::test]
async fn quotes_in_names_are_doubled() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    let made = client.cmd("MKD dir \"q\"").await;
    assert_eq!(made.code().get(), 257);
    assert_eq!(text(&made), "\"/dir \"\"q\"\"\" created.");
    assert_eq!(client.cmd("CWD dir \"q\"").await.code().get(), 250);
    assert_eq!(
        text(&client.cmd("PWD").await),
        "\"/dir \"\"q\"\"\" is the current directory."
    );
    assert!(harness.exists("dir \"q\"").await);
}

#[tokio::test]
async fn dele_removes_files_only() {
    let (harness, _client) = transcript!(fs = [("gone", "bye"), ("d/keep", "k")], dirs = ["d"];
        "USER a" => 331,
        "PASS s" => 230,
        "DELE gone" => 250,
        "DELE gone" => 550,
        "DELE d" => 550,
        "RMD d" => 550,
        "DELE /" => 550,
        "RMD /" => 550,
        "MKD /" => 550,
    );
    assert!(!harness.exists("gone").await);
    assert_eq!(harness.file("d/keep").await, b"k");
}

#[tokio::test]
async fn names_through_files_and_onto_directories_are_refused() {
    let (harness, _client) = transcript!(fs = [("plain", "plain")], dirs = ["somedir"];
        "USER a" => 331,
        "PASS s" => 230,
        "MKD plain/sub" => 550,
        "CWD plain" => 550,
        "RMD plain" => 550,
        "SIZE somedir" => 550,
        "MDTM somedir" => 550,
        "STOR somedir" << "data" => 550,
        "RETR somedir" => 550,
        "NOOP" => 200,
    );
    assert_eq!(harness.file("plain").await, b"plain");
}

#[tokio::test]
async fn size_mdtm_and_mfmt() {
    let mut setup = Setup::default();
    setup.fs([("facts", vec![7u8; 12_345])]);
    let harness = Harness::start(setup).await;
    let june = SystemTime::UNIX_EPOCH + Duration::from_secs(1_623_760_496);
    harness.fs.set_mtime(&path("facts"), june).await.unwrap();
    let mut client = harness.connect().await;
    client.login("a").await;
    let size = client.cmd("SIZE facts").await;
    assert_eq!((size.code().get(), text(&size)), (213, "12345".to_owned()));
    assert_eq!(client.cmd("SIZE missing").await.code().get(), 550);
    let mdtm = client.cmd("MDTM facts").await;
    assert_eq!(
        (mdtm.code().get(), text(&mdtm)),
        (213, "20210615123456".to_owned())
    );
    assert_eq!(client.cmd("MDTM missing").await.code().get(), 550);
    let mfmt = client.cmd("MFMT 20200102030405 facts").await;
    assert_eq!(mfmt.code().get(), 213);
    assert_eq!(text(&mfmt), "Modify=20200102030405; facts");
    assert_eq!(text(&client.cmd("MDTM facts").await), "20200102030405");
    let meta = harness.fs.metadata(&path("facts")).await.unwrap();
    let set = SystemTime::UNIX_EPOCH + Duration::from_secs(1_577_934_245);
    assert_eq!(meta.modified, Some(set));
    assert_eq!(
        client.cmd("MFMT 20200102030405 missing").await.code().get(),
        550
    );
    assert_eq!(client.cmd("MFMT notatime facts").await.code().get(), 501);
}

/// RFC 3659 4.1: SIZE is "the exact number of octets ... that would be
/// transmitted over the data connection", which "will change depending on
/// the current ... TYPE". In TYPE A every LF goes out as CRLF, so a server
/// must count them (or refuse SIZE in TYPE A, as some servers do; curl
/// 7.74 then failed ASCII downloads, so Wharf counts).
#[tokio::test]
async fn size_in_type_a_is_the_size_on_the_wire() {
    let (_harness, mut client) = transcript!(fs = [("lines", "a\nb\n"), ("dos", "a\r\n")];
        "USER a" => 331,
        "PASS s" => 230,
        "TYPE A" => 200,
        "RETR lines" => [150, 226] >> "a\r\nb\r\n",
    );
    assert_eq!(text(&client.cmd("SIZE lines").await), "6");
    assert_eq!(text(&client.cmd("SIZE dos").await), "3");
    assert_eq!(client.cmd("TYPE I").await.code().get(), 200);
    assert_eq!(text(&client.cmd("SIZE lines").await), "4");
}

/// Past `Options::ascii_scan_limit`, SIZE and a TYPE A REST+STOR are
/// refused with 550 saying why; TYPE I still answers at once.
#[tokio::test]
async fn type_a_sizes_are_read_up_to_the_configured_limit() {
    let (_harness, mut client) = transcript!(fs = [("small", "a\n"), ("big", "0123456789")],
        options = |o| o.ascii_scan_limit = 5;
        "USER a" => 331,
        "PASS s" => 230,
        "TYPE A" => 200,
        "SIZE small" => 213,
        "SIZE big" => 550,
        "REST 6" => 350,
        "STOR big" << "x" => 550,
        "TYPE I" => 200,
        "SIZE big" => 213,
    );
    let refused = client.cmd("TYPE A").await;
    assert_eq!(refused.code().get(), 200);
    let size = client.cmd("SIZE big").await;
    assert!(text(&size).contains("up to 5 bytes"), "{}", text(&size));
}

#[tokio::test]
async fn dot_dot_never_leaves_the_root() {
    let (harness, mut client) = transcript!(fs = [("inside", "inside")], dirs = ["d"];
        "USER a" => 331,
        "PASS s" => 230,
        "CWD ../../.." => 250,
        "PWD" => 257,
        "SIZE ../inside" => 213,
        "SIZE /../../inside" => 213,
        "SIZE ../../../../etc/passwd" => 550,
        "RETR ../../inside" => [150, 226] >> "inside",
        "CWD d" => 250,
        "CWD ../../d" => 250,
        "MKD ../../escaped" => 257,
        "STOR ../../../written" << "x" => [150, 226],
        "RNFR ../../../inside" => 350,
        "RNTO ../../moved" => 250,
    );
    assert_eq!(
        text(&client.cmd("PWD").await),
        "\"/d\" is the current directory."
    );
    // Every `..` above the root named the root itself.
    assert!(harness.exists("escaped").await);
    assert_eq!(harness.file("written").await, b"x");
    assert_eq!(harness.file("moved").await, b"inside");
}

#[tokio::test]
async fn a_read_only_login_reads_facts_but_changes_none() {
    let (harness, _client) = transcript!(fs = [("f", "data")], dirs = ["d"];
        "USER r" => 331,
        "PASS s" => 230,
        "SIZE f" => 213,
        "MDTM f" => 213,
        "CWD d" => 250,
        "CDUP" => 250,
        "MFMT 20200102030405 f" => 550,
        "DELE f" => 550,
        "RMD d" => 550,
        "MKD e" => 550,
    );
    assert!(harness.exists("f").await && harness.exists("d").await);
}
