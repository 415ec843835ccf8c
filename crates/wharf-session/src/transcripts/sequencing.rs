//! What the session does with commands while a transfer runs (RFC 959
//! 4.1.3: ABOR, STAT and NOOP at once, anything else after the transfer's
//! final reply), with lines sent without waiting for replies, and with
//! lines that do not decode.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wharf_vfs::testing::pattern;

use crate::testkit::{Client, Harness, Setup, text};

/// How long a reply that must not come is waited for.
const QUIET: Duration = Duration::from_millis(100);

/// More than the pipes hold, so a download nobody reads stays running.
const BIG: usize = 1 << 20;

/// A harness with `big` (of [`BIG`] bytes), and a client logged in as `a`.
async fn logged_in() -> (Harness, Client) {
    let mut setup = Setup::default();
    setup.fs([("big", pattern(BIG, 1))]);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    (harness, client)
}

/// Starts `line` over EPSV and returns once its `150` came.
async fn start(client: &mut Client, line: &str) {
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    client.send_raw(format!("{line}\r\n").as_bytes()).await;
    assert_eq!(client.reply().await.code().get(), 150);
}

/// No reply within [`QUIET`].
async fn assert_quiet(client: &mut Client) {
    client.assert_quiet(QUIET).await;
}

#[tokio::test]
async fn noop_and_stat_are_answered_while_a_download_runs() {
    let (_harness, mut client) = logged_in().await;
    start(&mut client, "RETR big").await;
    assert_eq!(client.cmd("NOOP").await.code().get(), 200);
    let status = client.cmd("STAT").await;
    assert_eq!(status.code().get(), 213);
    let shown = text(&status);
    assert!(
        shown.starts_with("Status: RETR /big in progress, "),
        "{shown}"
    );
    let mut data = client.data_connection().await;
    let mut got = Vec::new();
    data.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, pattern(BIG, 1));
    assert_eq!(client.reply().await.code().get(), 226);
    // With no transfer, STAT is the session's status again.
    assert_eq!(client.cmd("STAT").await.code().get(), 211);
}

#[tokio::test]
async fn other_commands_wait_for_the_transfer_s_final_reply() {
    let (_harness, mut client) = logged_in().await;
    start(&mut client, "RETR big").await;
    client.send_raw(b"PWD\r\nSIZE big\r\n").await;
    assert_quiet(&mut client).await;
    let mut data = client.data_connection().await;
    let mut got = Vec::new();
    data.read_to_end(&mut got).await.unwrap();
    assert_eq!(got.len(), BIG);
    let codes: Vec<u16> = [
        client.reply().await,
        client.reply().await,
        client.reply().await,
    ]
    .iter()
    .map(|r| r.code().get())
    .collect();
    assert_eq!(codes, [226, 257, 213]);
    assert_quiet(&mut client).await;
}

#[tokio::test]
async fn quit_during_a_transfer_lets_it_finish_first() {
    let (_harness, mut client) = logged_in().await;
    start(&mut client, "RETR big").await;
    client.send_raw(b"QUIT\r\n").await;
    assert_quiet(&mut client).await;
    let mut data = client.data_connection().await;
    let mut got = Vec::new();
    data.read_to_end(&mut got).await.unwrap();
    assert_eq!(got.len(), BIG);
    let rest: Vec<u16> = client
        .closed()
        .await
        .iter()
        .map(|r| r.code().get())
        .collect();
    assert_eq!(rest, [226, 221]);
}

#[tokio::test]
async fn abor_ends_a_download_with_426_then_226() {
    let (_harness, mut client) = logged_in().await;
    start(&mut client, "RETR big").await;
    let mut data = client.data_connection().await;
    let mut some = [0u8; 1000];
    data.read_exact(&mut some).await.unwrap();
    client.send_raw(b"ABOR\r\n").await;
    assert_eq!(client.reply().await.code().get(), 426);
    assert_eq!(client.reply().await.code().get(), 226);
    // The data connection is closed, short of the file's end.
    let mut rest = Vec::new();
    let _ = data.read_to_end(&mut rest).await;
    assert!(1000 + rest.len() < BIG, "the whole file came");
    assert_eq!(client.cmd("PWD").await.code().get(), 257);
    assert_quiet(&mut client).await;
}

#[tokio::test]
async fn abor_after_telnet_interrupt_and_synch_works_the_same() {
    let (_harness, mut client) = logged_in().await;
    start(&mut client, "RETR big").await;
    // IAC IP, IAC DM, as ftplib sends them (the DM here in band).
    client.send_raw(b"\xff\xf4\xff\xf2ABOR\r\n").await;
    assert_eq!(client.reply().await.code().get(), 426);
    assert_eq!(client.reply().await.code().get(), 226);
    assert_eq!(client.cmd("NOOP").await.code().get(), 200);
}

#[tokio::test]
async fn abor_discards_a_running_upload() {
    let (harness, mut client) = logged_in().await;
    start(&mut client, "STOR partial").await;
    let mut data = client.data_connection().await;
    data.write_all(b"half of it").await.unwrap();
    data.flush().await.unwrap();
    client.send_raw(b"ABOR\r\n").await;
    assert_eq!(client.reply().await.code().get(), 426);
    assert_eq!(client.reply().await.code().get(), 226);
    assert!(!harness.exists("partial").await);
    // With nothing running, ABOR just says so.
    assert_eq!(client.cmd("ABOR").await.code().get(), 226);
}

#[tokio::test]
async fn pipelined_lines_get_their_replies_in_order() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    client
        .send_raw(b"USER a\r\nPASS s\r\nMKD d\r\nCWD d\r\nPWD\r\nBOGUS\r\nNOOP\r\n")
        .await;
    let mut codes = Vec::new();
    for _ in 0..7 {
        codes.push(client.reply().await.code().get());
    }
    assert_eq!(codes, [331, 230, 257, 250, 257, 500, 200]);
    assert_quiet(&mut client).await;
}

#[tokio::test]
async fn a_line_split_across_writes_is_one_command() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    let splits: [&[&[u8]]; 3] = [
        &[b"NO", b"OP\r\n"],
        &[b"NOOP\r", b"\n"],
        &[b"N", b"O", b"O", b"P", b"\r", b"\n"],
    ];
    for parts in splits {
        for part in parts {
            client.send_raw(part).await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(client.reply().await.code().get(), 200);
        assert_quiet(&mut client).await;
    }
}

#[tokio::test]
async fn an_overlong_line_gets_one_500_and_the_session_goes_on() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    let mut line = b"STOR ".to_vec();
    line.resize(10_000, b'a');
    line.extend_from_slice(b"\r\n");
    client.send_raw(&line).await;
    let reply = client.reply().await;
    assert_eq!(reply.code().get(), 500);
    assert_eq!(text(&reply), "Line longer than 8192 bytes.");
    assert_eq!(client.cmd("PWD").await.code().get(), 257);
    let mut huge = vec![b'X'; 1 << 20];
    huge.extend_from_slice(b"\r\n");
    client.send_raw(&huge).await;
    assert_eq!(client.reply().await.code().get(), 500);
    assert_eq!(client.cmd("PWD").await.code().get(), 257);
    assert_quiet(&mut client).await;
    assert!(!harness.exists(&"a".repeat(9_995)).await);
}

#[tokio::test]
async fn lines_that_do_not_decode_get_one_clear_reply_each() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    let cases: [(&[u8], u16); 7] = [
        // A NUL inside a path.
        (b"CWD a\x00b", 501),
        // No verb at all.
        (b"", 500),
        (b" NOOP", 500),
        // Bytes that are no verb.
        (b"\xc3\xa9TOR f", 500),
        // Telnet option negotiation is dropped, the command stays.
        (b"\xff\xfb\x01NOOP", 200),
        // A missing or an extra argument.
        (b"RETR", 501),
        (b"PWD now", 501),
    ];
    for (line, code) in cases {
        let mut sent = line.to_vec();
        sent.extend_from_slice(b"\r\n");
        client.send_raw(&sent).await;
        let reply = client.reply().await;
        assert_eq!(reply.code().get(), code, "{line:?}: {reply:?}");
        assert!(!text(&reply).is_empty());
        assert_eq!(client.cmd("PWD").await.code().get(), 257, "after {line:?}");
    }
    assert_quiet(&mut client).await;
}

#[tokio::test]
async fn commands_out_of_order_get_503() {
    transcript!(fs = [("f", "x")];
        "PASS s" => 503,
        "RNTO g" => 530,
        "USER a" => 331,
        "HOST h.example.test" => 503,
        "PASS s" => 230,
        "PASS s" => 202,
        "RNTO g" => 503,
        // PBSZ and PROT need AUTH TLS (RFC 4217 section 8, 9).
        "PBSZ 0" => 503,
        "PROT P" => 503,
        "CCC" => 503,
        "EPSV ALL" => 200,
        "PORT 192,0,2,10,200,10" => 503,
        // After EPSV ALL, no default data port either.
        "RETR f" => 425,
    );
}
