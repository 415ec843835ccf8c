//! Data connections that resume a sibling session's TLS session: the
//! testkit's clients share one client configuration, and so one TLS
//! session cache, as rclone's connections do. rustls hands out the ticket
//! stored last, so the first client's data connection resumes the second
//! client's control session (see `tls/siblings.rs` for the rule).

use crate::testkit::{Client, Exchange, Harness, Setup};

/// A harness with TLS and a file `f`, and a client logged in as `a` over
/// TLS with PROT P.
async fn first_session() -> (Harness, Client) {
    let mut setup = Setup::default();
    setup.tls(true);
    setup.fs([("f", "private")]);
    let harness = Harness::start(setup).await;
    let mut a = harness.connect().await;
    assert_eq!(a.cmd("AUTH TLS").await.code().get(), 234);
    a.login("a").await;
    for line in ["PBSZ 0", "PROT P"] {
        assert_eq!(a.cmd(line).await.code().get(), 200, "{line}");
    }
    (harness, a)
}

/// A second client with a TLS control connection, logged in as `user`
/// unless `None`: its tickets are now the ones the cache hands out.
async fn second_session(harness: &Harness, user: Option<&str>) -> Client {
    let mut b = harness.connect().await;
    assert_eq!(b.cmd("AUTH TLS").await.code().get(), 234);
    if let Some(user) = user {
        b.login(user).await;
    } else {
        // Reading a reply reads the tickets sent after the handshake.
        assert_eq!(b.cmd("NOOP").await.code().get(), 200);
    }
    b
}

/// Waits until the server has only the first session left: the second's
/// entry has ended by then (a session's entry ends before it stops
/// counting).
async fn until_one_session(harness: &Harness) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while harness.stats().sessions > 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the session did not end"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_data_connection_may_resume_a_sibling_session_of_the_same_user() {
    let (harness, mut a) = first_session().await;
    let _b = second_session(&harness, Some("a")).await;
    let got = a.exchange("RETR f", None).await;
    assert_eq!(got.codes(), [150, 226], "{}", got.text());
    assert_eq!(got.data, b"private");
}

#[tokio::test]
async fn another_users_session_is_no_sibling() {
    let (harness, mut a) = first_session().await;
    let _b = second_session(&harness, Some("r")).await;
    let got = a.exchange("RETR f", None).await;
    assert_eq!(got.codes(), [150, 425], "{}", got.text());
    assert!(got.text().contains("does not resume"), "{}", got.text());
}

#[tokio::test]
async fn a_session_not_yet_logged_in_counts_once_it_logs_in_as_a_sibling() {
    let (harness, mut a) = first_session().await;
    let mut b = second_session(&harness, None).await;
    let (got, ()) = tokio::join!(a.exchange("RETR f", None), async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        b.login("a").await;
    });
    assert_eq!(got.codes(), [150, 226], "{}", got.text());
    assert_eq!(got.data, b"private");
}

#[tokio::test]
async fn a_session_not_yet_logged_in_that_logs_in_as_another_user_is_refused() {
    let (harness, mut a) = first_session().await;
    let mut b = second_session(&harness, None).await;
    let (got, ()) = tokio::join!(a.exchange("RETR f", None), async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        b.login("r").await;
    });
    assert_eq!(got.codes(), [150, 425], "{}", got.text());
}

/// The first client's RETR once a second one, logged in as `user` unless
/// `None`, has quit and its session has ended.
async fn retr_after_a_second_session_ended(user: Option<&str>) -> Exchange {
    let (harness, mut a) = first_session().await;
    let mut b = second_session(&harness, user).await;
    assert_eq!(b.cmd("QUIT").await.code().get(), 221);
    drop(b);
    until_one_session(&harness).await;
    a.exchange("RETR f", None).await
}

/// rclone closes idle connections after a minute while others go on; its
/// one session cache may then hand out a ticket of a closed one.
#[tokio::test]
async fn a_sibling_that_ended_still_counts() {
    let got = retr_after_a_second_session_ended(Some("a")).await;
    assert_eq!(got.codes(), [150, 226], "{}", got.text());
    assert_eq!(got.data, b"private");
}

#[tokio::test]
async fn a_session_that_ended_before_logging_in_does_not_count() {
    let got = retr_after_a_second_session_ended(None).await;
    assert_eq!(got.codes(), [150, 425], "{}", got.text());
}

#[tokio::test]
async fn another_users_session_that_ended_does_not_count() {
    let got = retr_after_a_second_session_ended(Some("r")).await;
    assert_eq!(got.codes(), [150, 425], "{}", got.text());
}

/// AUTH TLS again after CCC: the session keeps its one entry among the
/// siblings (logged out until it logs in again), and its data connections
/// still resume its own TLS session.
#[tokio::test]
async fn auth_tls_again_after_ccc_keeps_the_sessions_entry() {
    let mut setup = Setup::default();
    setup.tls(true);
    setup.options(|o| o.allow_ccc = true);
    setup.fs([("f", "private")]);
    let harness = Harness::start(setup).await;
    let mut a = harness.connect().await;
    for round in 0..2 {
        assert_eq!(a.cmd("AUTH TLS").await.code().get(), 234, "round {round}");
        a.login("a").await;
        for line in ["PBSZ 0", "PROT P"] {
            assert_eq!(a.cmd(line).await.code().get(), 200, "{line}");
        }
        let got = a.exchange("RETR f", None).await;
        assert_eq!(got.codes(), [150, 226], "round {round}: {}", got.text());
        if round == 0 {
            assert_eq!(a.cmd("CCC").await.code().get(), 200);
        }
    }
}
