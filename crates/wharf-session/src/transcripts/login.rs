//! USER, PASS, REIN, QUIT, and what needs a login.

use crate::testkit::{Harness, Setup};

#[tokio::test]
async fn a_login_takes_user_then_pass() {
    transcript!(;
        "PASS s" => 503,
        "PWD" => 530,
        "USER a" => 331,
        "PASS wrong" => 530,
        "USER a" => 331,
        "PASS s" => 230,
        "PWD" => 257,
        "REIN" => 220,
        "PWD" => 530,
        "QUIT" => 221,
    );
}

#[tokio::test]
async fn failed_logins_close_the_session_at_the_limit() {
    let mut setup = Setup::default();
    setup.options(|o| o.max_login_failures = 2);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    assert_eq!(client.cmd("USER a").await.code().get(), 331);
    assert_eq!(client.cmd("PASS nope").await.code().get(), 530);
    assert_eq!(client.cmd("USER a").await.code().get(), 331);
    // The last failure allowed: 421, and the connection closes.
    assert_eq!(client.cmd("PASS nope").await.code().get(), 421);
    assert!(client.closed().await.is_empty());
}

#[tokio::test]
async fn a_read_only_login_cannot_write() {
    let mut setup = Setup::default();
    setup.dirs(["d"]);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.login("r").await;
    assert_eq!(client.cmd("MKD e").await.code().get(), 550);
    let exchange = client.exchange("STOR g", Some(b"x")).await;
    assert_eq!(exchange.codes(), [550], "{}", exchange.text());
    assert!(!harness.exists("e").await);
    assert!(!harness.exists("g").await);
}
