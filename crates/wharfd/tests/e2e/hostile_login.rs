//! Issue 17, "Login defence", against the real `wharfd`:
//!
//! - a real account named `ftp` does not slip past `--tls-required login`;
//! - failed logins ban the address (`421` at connect), longer each time;
//! - connections that never log in have a cap of their own.
//!
//! The timing of unknown users and the bounded password-check queue are
//! tested in the engine (`wharf-session/tests/login_defence.rs`).

use crate::support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::time::sleep;

use support::{Raw, Server, USER};

const WAIT: Duration = Duration::from_secs(10);

fn greeting_of(server: &Server) -> impl AsyncFnMut(&str) -> String {
    let addr = server.addr();
    async move |from: &str| Raw::connect(addr, from).await.1
}

#[tokio::test]
async fn a_real_account_named_ftp_needs_tls_like_any_other() {
    let users = "[[user]]\nname = \"ftp\"\npassword = \"pw\"\n\
                 [[user]]\nname = \"anonymous\"\npassword = \"pw\"\n";
    let server = Server::builder()
        .tls()
        .args(&["--tls-required", "login", "--users", "{base}/users.toml"])
        .file("users.toml", users)
        .start();
    for name in ["ftp", "anonymous", "FTP"] {
        let (mut raw, greeting) = Raw::connect(server.addr(), "127.0.0.1").await;
        assert!(greeting.starts_with("220"), "{greeting:?}");
        let reply = raw.cmd(&format!("USER {name}")).await;
        assert!(
            reply.starts_with("530") && reply.contains("TLS"),
            "USER {name} in clear with anonymous off: {reply:?}"
        );
    }

    // The anonymous login itself stays exempt when it is enabled.
    let server = Server::builder()
        .tls()
        .args(&["--tls-required", "login", "--anonymous"])
        .start();
    let (mut raw, _) = Raw::connect(server.addr(), "127.0.0.1").await;
    assert!(raw.cmd("USER ftp").await.starts_with("331"));
    assert!(raw.cmd("PASS me@example.org").await.starts_with("230"));
}

/// Three wrong passwords in one session (the per-session limit is 3 too).
async fn fail_three_times(addr: SocketAddr) -> String {
    let (mut raw, greeting) = Raw::connect(addr, "127.0.0.1").await;
    assert!(greeting.starts_with("220"), "{greeting:?}");
    let mut last = String::new();
    for _ in 0..3 {
        assert!(raw.cmd(&format!("USER {USER}")).await.starts_with("331"));
        last = raw.cmd("PASS wrong").await;
    }
    last
}

#[tokio::test]
async fn failed_logins_ban_the_address_and_a_second_ban_lasts_longer() {
    let server = Server::builder()
        .args(&["--ban-failures", "3", "--ban-window-secs", "60"])
        .args(&["--ban-secs", "2", "--ban-max-secs", "60"])
        .start();
    let addr = server.addr();
    let mut greeting = greeting_of(&server);

    let last = fail_three_times(addr).await;
    let banned_at = Instant::now();
    assert!(
        last.starts_with("421") && last.contains("try again in 2 seconds"),
        "{last:?}"
    );
    let refused = greeting("127.0.0.1").await;
    assert!(
        refused.starts_with("421") && refused.contains("failed logins"),
        "a fourth connection during the ban: {refused:?}"
    );
    // Another address is not concerned.
    assert!(greeting("127.0.0.2").await.starts_with("220"));
    sleep((banned_at + Duration::from_millis(2300)).saturating_duration_since(Instant::now()))
        .await;
    assert!(
        greeting("127.0.0.1").await.starts_with("220"),
        "after the ban"
    );

    // A second offence: twice as long.
    let last = fail_three_times(addr).await;
    let banned_at = Instant::now();
    assert!(last.contains("try again in 4 seconds"), "{last:?}");
    sleep(Duration::from_millis(2500)).await;
    assert!(
        greeting("127.0.0.1").await.starts_with("421"),
        "the second ban is longer than the first"
    );
    sleep((banned_at + Duration::from_millis(4300)).saturating_duration_since(Instant::now()))
        .await;
    assert!(
        greeting("127.0.0.1").await.starts_with("220"),
        "after the second ban"
    );
}

#[tokio::test]
async fn connections_that_never_log_in_have_a_cap_of_their_own() {
    let server = Server::builder()
        .args(&["--max-unauthenticated-sessions", "3"])
        .args(&["--max-unauthenticated-sessions-per-ip", "2"])
        .start();
    let addr = server.addr();
    let (mut first, greeting) = Raw::connect(addr, "127.0.0.1").await;
    assert!(greeting.starts_with("220"), "{greeting:?}");
    let (_second, greeting) = Raw::connect(addr, "127.0.0.1").await;
    assert!(greeting.starts_with("220"), "{greeting:?}");
    let (_, refused) = Raw::connect(addr, "127.0.0.1").await;
    assert!(
        refused.starts_with("421") && refused.contains("your address"),
        "a third idle connection from one address: {refused:?}"
    );
    let (other, greeting) = Raw::connect(addr, "127.0.0.2").await;
    assert!(greeting.starts_with("220"), "{greeting:?}");
    let (_, refused) = Raw::connect(addr, "127.0.0.3").await;
    assert!(
        refused.starts_with("421") && refused.contains("waiting to log in"),
        "a fourth idle connection in all: {refused:?}"
    );

    // A login moves its connection out of the cap: its place is free.
    first.login().await;
    let (_third, greeting) = Raw::connect(addr, "127.0.0.1").await;
    assert!(greeting.starts_with("220"), "after a login: {greeting:?}");

    // An idle connection that goes away frees its place too.
    drop(other);
    let deadline = Instant::now() + WAIT;
    loop {
        let (_conn, greeting) = Raw::connect(addr, "127.0.0.3").await;
        if greeting.starts_with("220") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the place was never freed: {greeting:?}"
        );
        sleep(Duration::from_millis(50)).await;
    }
}
