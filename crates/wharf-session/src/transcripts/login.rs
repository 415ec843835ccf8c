//! USER, PASS, REIN, QUIT, and what needs a login.

use crate::testkit::{Harness, Setup, text};

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

#[tokio::test]
async fn commands_before_login_get_530_and_change_nothing() {
    let mut setup = Setup::default();
    setup.fs([("secret", "top secret")]);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    for line in [
        "LIST",
        "NLST",
        "MLSD",
        "MLST secret",
        "STAT /",
        "PWD",
        "XPWD",
        "CWD /",
        "CDUP",
        "RETR secret",
        "STOR new",
        "APPE new",
        "STOU",
        "DELE secret",
        "MKD d",
        "RMD d",
        "RNFR secret",
        "RNTO other",
        "SIZE secret",
        "MDTM secret",
        "MFMT 20200101000000 secret",
        "SITE CHMOD 777 secret",
        "SMNT /",
        "PASV",
        "EPSV",
        "EPSV ALL",
        "PORT 192,0,2,10,200,10",
        "EPRT |1|192.0.2.10|51210|",
        "REST 10",
        "TYPE I",
        "MODE B",
        "STRU F",
        "ALLO 10",
    ] {
        let reply = client.cmd(line).await;
        assert_eq!(reply.code().get(), 530, "{line}: {reply:?}");
    }
    // ABOR with nothing to abort needs no login.
    assert_eq!(client.cmd("ABOR").await.code().get(), 226);
    assert_eq!(client.cmd("QUIT").await.code().get(), 221);
    assert!(client.closed().await.is_empty());
    assert_eq!(harness.file("secret").await, b"top secret");
    for name in ["new", "d", "other"] {
        assert!(!harness.exists(name).await, "{name} was created");
    }
    // Nothing connected anywhere either.
    assert!(harness.ports.connects.lock().unwrap().is_empty());
}

#[tokio::test]
async fn user_again_starts_a_new_login() {
    transcript!(;
        "USER a" => 331,
        "PASS s" => 230,
        "PASS s" => 202,
        // RFC 959 4.1.1: USER at any time starts over.
        "USER r" => 331,
        "PWD" => 530,
        "PASS s" => 230,
        "MKD d" => 550,
        "USER nobody" => 331,
        "PASS s" => 530,
        // A failed login leaves the session logged out.
        "PWD" => 530,
        "PASS s" => 503,
        "USER a" => 331,
        "PASS s" => 230,
        "MKD d" => 257,
    );
}

#[tokio::test]
async fn rein_logs_out_keeps_the_connection_and_resets_the_session() {
    let mut setup = Setup::default();
    setup.dirs(["d"]);
    setup.fs([("d/f", "line\n")]);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    for line in ["CWD d", "TYPE A", "REST 2", "RNFR f"] {
        assert!(client.cmd(line).await.code().get() < 400, "{line}");
    }
    assert_eq!(client.cmd("REIN").await.code().get(), 220);
    assert_eq!(client.cmd("PWD").await.code().get(), 530);
    client.login("a").await;
    // Back at the root, in binary, with no restart offset and no RNFR.
    assert_eq!(
        text(&client.cmd("PWD").await),
        "\"/\" is the current directory."
    );
    assert_eq!(client.cmd("RNTO g").await.code().get(), 503);
    let exchange = client.exchange("RETR d/f", None).await;
    assert_eq!(exchange.codes(), [150, 226]);
    assert_eq!(exchange.data, b"line\n");
}

#[tokio::test]
async fn the_third_failure_closes_by_default_and_rein_does_not_reset_it() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    for _ in 0..2 {
        assert_eq!(client.cmd("USER a").await.code().get(), 331);
        assert_eq!(client.cmd("PASS nope").await.code().get(), 530);
        assert_eq!(client.cmd("REIN").await.code().get(), 220);
    }
    assert_eq!(client.cmd("USER a").await.code().get(), 331);
    assert_eq!(client.cmd("PASS nope").await.code().get(), 421);
    assert!(client.closed().await.is_empty());
}

#[tokio::test]
async fn the_anonymous_login_takes_any_password_and_only_reads() {
    let (harness, _client) = transcript!(fs = [("pub", "hello")];
        "USER anonymous" => 331,
        "PASS guest@example.test" => 230,
        "RETR pub" => [150, 226] >> "hello",
        "STOR up" << "x" => 550,
        "APPE pub" << "x" => 550,
        "DELE pub" => 550,
        "MKD d" => 550,
        "RNFR pub" => 550,
        "MFMT 20000101000000 pub" => 550,
        "SITE CHMOD 777 pub" => 550,
        "STOU" << "x" => 550,
    );
    assert_eq!(harness.file("pub").await, b"hello");
    assert!(!harness.exists("up").await && !harness.exists("d").await);
}

#[tokio::test(start_paused = true)]
async fn a_failed_login_is_answered_after_the_delay() {
    let mut setup = Setup::default();
    setup.options(|o| {
        o.failed_login_delay = crate::Options::default().failed_login_delay;
    });
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    assert_eq!(client.cmd("USER a").await.code().get(), 331);
    let started = tokio::time::Instant::now();
    assert_eq!(client.cmd("PASS nope").await.code().get(), 530);
    assert_eq!(started.elapsed(), std::time::Duration::from_secs(1));
    // A good password waits for nothing.
    let started = tokio::time::Instant::now();
    client.login("a").await;
    assert!(started.elapsed() < std::time::Duration::from_millis(1));
}
