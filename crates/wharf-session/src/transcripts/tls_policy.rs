//! AUTH TLS, PBSZ, PROT and CCC (RFC 2228, RFC 4217), the server's TLS
//! policy (TLS required for login, for data, or both; the anonymous login
//! exempt), and implicit FTPS.

use crate::TlsPolicy;
use crate::testkit::{Harness, Setup};

/// A TLS harness whose policy requires `login` and `data` as given, the
/// anonymous login exempt.
async fn requiring(login: bool, data: bool) -> Harness {
    let mut setup = Setup::default();
    setup.tls(true);
    setup.fs([("f", "secret")]);
    setup.options(|o| {
        o.tls_policy = TlsPolicy {
            login,
            data,
            exempt_anonymous: true,
        };
    });
    Harness::start(setup).await
}

#[tokio::test]
async fn auth_without_a_certificate_is_not_offered() {
    transcript!(;
        "AUTH TLS" => 502,
        "PBSZ 0" => 503,
        "USER a" => 331,
        "PASS s" => 230,
    );
}

#[tokio::test]
async fn auth_names_pbsz_and_prot_in_order() {
    transcript!(fs = [("f", "x")], tls = true;
        "AUTH KERBEROS_V4" => 504,
        "PBSZ 0" => 503,
        "PROT P" => 503,
        "AUTH TLS" => 234,
        // RFC 4217 section 4: a second AUTH on a secured connection.
        "AUTH TLS" => 503,
        "USER a" => 331,
        "PASS s" => 230,
        "AUTH TLS" => 503,
        "PROT P" => 503,
        "PBSZ 0" => 200,
        "PROT S" => 536,
        "PROT E" => 536,
        "PROT C" => 200,
        "EPSV" => 229,
        "RETR f" => [150, 226] >> "x",
        "PROT P" => 200,
        "EPSV" => 229,
        "RETR f" => [150, 226] >> "x",
        // Any buffer size asked for, TLS has none.
        "PBSZ 1024" => 200,
        "NOOP" => 200,
    );
}

#[tokio::test]
async fn the_old_names_of_auth_tls_work_too() {
    for mechanism in ["SSL", "TLS-C", "tls"] {
        let mut setup = Setup::default();
        setup.tls(true);
        let harness = Harness::start(setup).await;
        let mut client = harness.connect().await;
        let line = format!("AUTH {mechanism}");
        assert_eq!(client.cmd(&line).await.code().get(), 234, "{line}");
        client.login("a").await;
        assert_eq!(client.cmd("PBSZ 0").await.code().get(), 200);
        assert_eq!(client.cmd("PROT P").await.code().get(), 200);
    }
}

#[tokio::test]
async fn auth_tls_starts_a_new_login_and_rein_keeps_tls() {
    transcript!(fs = [("f", "x")], tls = true;
        "USER a" => 331,
        "PASS s" => 230,
        "TYPE A" => 200,
        // Whatever was set up in clear is forgotten (RFC 4217 section 4).
        "AUTH TLS" => 234,
        "PWD" => 530,
        "USER a" => 331,
        "PASS s" => 230,
        "PBSZ 0" => 200,
        "PROT P" => 200,
        "REIN" => 220,
        // The control connection stays encrypted; PBSZ and PROT start over.
        "AUTH TLS" => 503,
        "USER a" => 331,
        "PASS s" => 230,
        "PROT P" => 503,
        "PBSZ 0" => 200,
        "PROT P" => 200,
        "EPSV" => 229,
        "RETR f" => [150, 226] >> "x",
    );
}

#[tokio::test]
async fn bytes_sent_behind_auth_tls_before_the_handshake_end_the_session() {
    let mut setup = Setup::default();
    setup.tls(true);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.send_raw(b"AUTH TLS\r\nUSER a\r\n").await;
    assert_eq!(client.reply().await.code().get(), 234);
    assert!(client.closed().await.is_empty());
    // Another client is served as before.
    let mut next = harness.connect().await;
    assert_eq!(next.cmd("AUTH TLS").await.code().get(), 234);
    next.login("a").await;
}

#[tokio::test]
async fn ccc_is_refused_unless_allowed() {
    transcript!(tls = true;
        "CCC" => 503,
        "AUTH TLS" => 234,
        "USER a" => 331,
        "PASS s" => 230,
        "CCC" => 534,
        // Still over TLS.
        "NOOP" => 200,
        "PWD" => 257,
    );
}

#[tokio::test]
async fn ccc_when_allowed_goes_back_to_clear_and_keeps_data_protection() {
    let (harness, _client) = transcript!(fs = [("f", "kept")], tls = true, options = |o| o.allow_ccc = true;
        "AUTH TLS" => 234,
        "CCC" => 503,
        "USER a" => 331,
        "PASS s" => 230,
        "PBSZ 0" => 200,
        "PROT P" => 200,
        "CCC" => 200,
        // In clear now: PBSZ and PROT are refused, data stays private.
        "NOOP" => 200,
        "PBSZ 0" => 503,
        "PROT C" => 503,
        "CCC" => 503,
        "EPSV" => 229,
        "RETR f" => [150, 226] >> "kept",
        "MKD after-ccc" => 257,
    );
    assert!(harness.exists("after-ccc").await);
}

#[tokio::test]
async fn tls_required_for_login_refuses_user_in_clear() {
    let harness = requiring(true, false).await;
    let mut client = harness.connect().await;
    assert_eq!(client.cmd("USER a").await.code().get(), 530);
    // No password is checked in clear.
    assert_eq!(client.cmd("PASS s").await.code().get(), 503);
    assert_eq!(client.cmd("PWD").await.code().get(), 530);
    // The anonymous login is exempt.
    let mut anonymous = harness.connect().await;
    anonymous.login(crate::testkit::ANONYMOUS).await;
    let clear = anonymous.exchange("RETR f", None).await;
    assert_eq!(
        (clear.codes(), clear.data),
        (vec![150, 226], b"secret".to_vec())
    );
    // Over TLS the login works, and data may stay in clear.
    assert_eq!(client.cmd("AUTH TLS").await.code().get(), 234);
    client.login("a").await;
    assert_eq!(client.exchange("RETR f", None).await.codes(), [150, 226]);
}

#[tokio::test]
async fn tls_required_for_data_refuses_clear_transfers_with_534() {
    let harness = requiring(false, true).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    assert_eq!(client.exchange("RETR f", None).await.codes(), [534]);
    assert_eq!(client.exchange("STOR g", Some(b"x")).await.codes(), [534]);
    assert_eq!(client.exchange("LIST", None).await.codes(), [534]);
    assert!(!harness.exists("g").await);
    assert_eq!(client.cmd("AUTH TLS").await.code().get(), 234);
    client.login("a").await;
    assert_eq!(client.exchange("RETR f", None).await.codes(), [534]);
    assert_eq!(client.cmd("PBSZ 0").await.code().get(), 200);
    assert_eq!(client.cmd("PROT C").await.code().get(), 534);
    assert_eq!(client.exchange("RETR f", None).await.codes(), [534]);
    assert_eq!(client.cmd("PROT P").await.code().get(), 200);
    let private = client.exchange("RETR f", None).await;
    assert_eq!(
        (private.codes(), private.data),
        (vec![150, 226], b"secret".to_vec())
    );
    // The anonymous login may stay in clear.
    let mut anonymous = harness.connect().await;
    anonymous.login(crate::testkit::ANONYMOUS).await;
    assert_eq!(anonymous.exchange("RETR f", None).await.codes(), [150, 226]);
}

#[tokio::test]
async fn tls_required_for_both() {
    let harness = requiring(true, true).await;
    let mut client = harness.connect().await;
    assert_eq!(client.cmd("USER a").await.code().get(), 530);
    assert_eq!(client.cmd("AUTH TLS").await.code().get(), 234);
    // Before login nobody is known to be exempt.
    assert_eq!(client.cmd("PBSZ 0").await.code().get(), 200);
    assert_eq!(client.cmd("PROT C").await.code().get(), 534);
    client.login("a").await;
    assert_eq!(client.exchange("RETR f", None).await.codes(), [534]);
    assert_eq!(client.cmd("PROT P").await.code().get(), 200);
    assert_eq!(client.exchange("RETR f", None).await.codes(), [150, 226]);
}

#[tokio::test]
async fn implicit_ftps_protects_everything_from_the_start() {
    let mut setup = Setup::default();
    setup.tls(true);
    setup.fs([("f", "implicit")]);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect_implicit().await;
    assert_eq!(client.cmd("AUTH TLS").await.code().get(), 503);
    client.login("a").await;
    // No PBSZ or PROT needed: data connections are TLS already.
    let private = client.exchange("RETR f", None).await;
    assert_eq!(
        (private.codes(), private.data),
        (vec![150, 226], b"implicit".to_vec())
    );
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    let stored = client.exchange("STOR g", Some(b"sealed")).await;
    assert_eq!(stored.codes(), [150, 226]);
    assert_eq!(harness.file("g").await, b"sealed");
    assert_eq!(client.cmd("PBSZ 0").await.code().get(), 200);
    assert_eq!(client.cmd("PROT C").await.code().get(), 200);
    assert_eq!(client.exchange("NLST", None).await.codes(), [150, 226]);
}
