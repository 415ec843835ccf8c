//! Access lists: the server's, checked when a connection arrives, and a
//! user's, checked after the password (`access.rs`).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::access::{AccessList, REFUSED_ADDRESS};
use crate::testkit::{CLIENT_IP, Harness, RESTRICTED, Setup, text};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// A server that accepts `192.0.2.0/24` but not `192.0.2.66`.
fn server_list(setup: &mut Setup) {
    setup.options(|o| {
        o.access = AccessList::new()
            .allow("192.0.2.0/24".parse().unwrap())
            .deny("192.0.2.66/32".parse().unwrap());
    });
}

#[tokio::test]
async fn the_server_list_refuses_before_the_greeting() {
    let mut setup = Setup::default();
    server_list(&mut setup);
    let harness = Harness::start(setup).await;
    // Denied, outside the allow list, and denied as an IPv4-mapped address.
    for from in [
        "192.0.2.66",
        "198.51.100.1",
        "::ffff:192.0.2.66",
        "2001:db8::1",
    ] {
        let mut client = harness.open(ip(from), false);
        let reply = client.reply().await;
        assert_eq!(
            (reply.code().get(), text(&reply)),
            (421, REFUSED_ADDRESS.to_owned()),
            "from {from}"
        );
        assert!(client.closed().await.is_empty(), "from {from}");
    }
    let mut client = harness.connect_from(ip("::ffff:192.0.2.67")).await;
    client.login("a").await;
    let mut client = harness.connect().await;
    client.login("a").await;
}

#[tokio::test]
async fn an_implicit_ftps_connection_refused_is_closed_without_a_word() {
    let mut setup = Setup::default();
    setup.tls(true);
    setup.options(|o| o.access = AccessList::new().deny("192.0.2.66/32".parse().unwrap()));
    let harness = Harness::start(setup).await;
    let mut refused = harness.open(ip("192.0.2.66"), true);
    assert!(refused.closed().await.is_empty());
    let mut client = harness.connect_implicit().await;
    client.login("a").await;
}

#[tokio::test]
async fn a_user_list_refuses_the_login_as_a_wrong_password_would() {
    let harness = Harness::start(Setup::default()).await;
    let wrong = {
        let mut client = harness.connect().await;
        assert_eq!(
            client.cmd(&format!("USER {RESTRICTED}")).await.code().get(),
            331
        );
        client.cmd("PASS wrong").await
    };
    assert_eq!(wrong.code().get(), 530);
    // Denied within the allowed network, and outside it.
    for from in ["192.0.2.12", "192.0.2.99", "::ffff:192.0.2.12"] {
        let mut client = harness.connect_from(ip(from)).await;
        assert_eq!(
            client.cmd(&format!("USER {RESTRICTED}")).await.code().get(),
            331
        );
        let refused = client.cmd("PASS s").await;
        assert_eq!(
            (refused.code().get(), text(&refused)),
            (530, text(&wrong)),
            "from {from}"
        );
        assert_eq!(client.cmd("PWD").await.code().get(), 530, "not logged in");
        // Other users are not concerned.
        client.login("a").await;
    }
    let mut client = harness.connect_from(CLIENT_IP).await;
    client.login(RESTRICTED).await;
    assert_eq!(client.cmd("PWD").await.code().get(), 257);
}

#[tokio::test]
async fn a_refused_login_waits_and_counts_like_a_failure_but_never_bans() {
    let mut setup = Setup::default();
    setup.options(|o| {
        o.failed_login_delay = Duration::from_millis(300);
        o.max_login_failures = 2;
        // One wrong password would ban the address.
        o.login_ban.max_failures = 1;
    });
    let harness = Harness::start(setup).await;
    let denied = ip("192.0.2.12");
    let mut client = harness.connect_from(denied).await;
    assert_eq!(
        client.cmd(&format!("USER {RESTRICTED}")).await.code().get(),
        331
    );
    let started = Instant::now();
    assert_eq!(client.cmd("PASS s").await.code().get(), 530);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "a refusal takes the failed-login delay, as a wrong password does"
    );
    // The second failure of the session closes it, as wrong passwords do.
    assert_eq!(
        client.cmd(&format!("USER {RESTRICTED}")).await.code().get(),
        331
    );
    let last = client.cmd("PASS s").await;
    assert_eq!(
        (last.code().get(), text(&last)),
        (
            421,
            "Too many failed logins, closing control connection.".to_owned()
        )
    );
    assert!(client.closed().await.is_empty());
    // No ban: the address still gets its greeting.
    let mut client = harness.connect_from(denied).await;
    assert_eq!(
        client.cmd(&format!("USER {RESTRICTED}")).await.code().get(),
        331
    );
    // While a wrong password bans it at once.
    assert_eq!(client.cmd("PASS wrong").await.code().get(), 421);
    let mut banned = harness.open(denied, false);
    assert_eq!(banned.reply().await.code().get(), 421);
}
