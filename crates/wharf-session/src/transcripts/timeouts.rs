//! The session's clocks, on tokio's paused clock (no real waiting): the
//! login deadline, the idle timeout, a transfer keeping a session alive,
//! and an unused passive offer expiring.

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::time::{Instant, sleep};
use wharf_vfs::testing::pattern;

use crate::testkit::{Harness, Setup, text};

const SECOND: Duration = Duration::from_secs(1);

/// A harness with the given login and idle timeouts, and a file `big`
/// larger than the pipes hold.
async fn clocks(login: u64, idle: u64) -> Harness {
    let mut setup = Setup::default();
    setup.fs([("big", pattern(1 << 20, 3))]);
    setup.options(|o| {
        o.login_timeout = SECOND * u32::try_from(login).unwrap();
        o.idle_timeout = SECOND * u32::try_from(idle).unwrap();
        o.passive_timeout = SECOND * 2;
    });
    Harness::start(setup).await
}

#[tokio::test(start_paused = true)]
async fn the_login_deadline_holds_whatever_the_client_sends() {
    let harness = clocks(3, 600).await;
    let started = Instant::now();
    let mut client = harness.connect().await;
    for _ in 0..2 {
        sleep(SECOND).await;
        assert_eq!(client.cmd("NOOP").await.code().get(), 200);
    }
    assert_eq!(client.cmd("USER a").await.code().get(), 331);
    let rest = client.closed().await;
    assert_eq!(started.elapsed(), SECOND * 3);
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert_eq!(rest[0].code().get(), 421);
    assert_eq!(text(&rest[0]), "Timeout, closing control connection.");
}

#[tokio::test(start_paused = true)]
async fn a_logged_in_session_closes_after_the_idle_time_since_its_last_command() {
    let harness = clocks(3, 5).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    // Logged in: the login deadline no longer applies.
    sleep(SECOND * 4).await;
    assert_eq!(client.cmd("NOOP").await.code().get(), 200);
    let last = Instant::now();
    let rest = client.closed().await;
    assert_eq!(last.elapsed(), SECOND * 5);
    let codes: Vec<u16> = rest.iter().map(|r| r.code().get()).collect();
    assert_eq!(codes, [421]);
}

#[tokio::test(start_paused = true)]
async fn rein_gives_a_new_login_its_own_time() {
    let harness = clocks(3, 600).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    sleep(SECOND * 10).await;
    assert_eq!(client.cmd("REIN").await.code().get(), 220);
    let reset = Instant::now();
    let rest = client.closed().await;
    assert_eq!(reset.elapsed(), SECOND * 3);
    assert_eq!(rest[0].code().get(), 421);
}

#[tokio::test(start_paused = true)]
async fn a_running_transfer_is_not_idle_time() {
    let harness = clocks(3, 2).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    client.send_raw(b"RETR big\r\n").await;
    assert_eq!(client.reply().await.code().get(), 150);
    // Nobody reads for longer than the idle time.
    sleep(SECOND * 5).await;
    assert_eq!(client.cmd("NOOP").await.code().get(), 200);
    let mut data = client.data_connection().await;
    let mut got = Vec::new();
    data.read_to_end(&mut got).await.unwrap();
    assert_eq!(got.len(), 1 << 20);
    assert_eq!(client.reply().await.code().get(), 226);
    // The idle time counts from the transfer's end.
    let ended = Instant::now();
    assert_eq!(client.closed().await[0].code().get(), 421);
    assert_eq!(ended.elapsed(), SECOND * 2);
}

#[tokio::test(start_paused = true)]
async fn an_unused_passive_offer_expires_with_425() {
    let harness = clocks(60, 600).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    sleep(SECOND * 3).await;
    let late = client.exchange("RETR big", None).await;
    assert_eq!(late.codes(), [425]);
    assert!(late.text().contains("timed out unused"), "{}", late.text());
    // A new offer in time works; PASV expires the same way.
    assert_eq!(client.cmd("PASV").await.code().get(), 227);
    sleep(SECOND).await;
    assert_eq!(client.exchange("NLST", None).await.codes(), [150, 226]);
    assert_eq!(client.cmd("PASV").await.code().get(), 227);
    sleep(SECOND * 3).await;
    assert_eq!(client.exchange("STOR g", Some(b"x")).await.codes(), [425]);
    assert!(!harness.exists("g").await);
}
