//! A reload on SIGHUP: the configuration file read again, new sessions
//! under the new users and options, a session already logged in going on
//! untouched, and a broken file leaving the old settings in force. The
//! client here is a plain control connection ([`Raw`]), so each step is
//! explicit.

use crate::support;

use std::time::{Duration, Instant};

use support::{Raw, Server};

fn config(greeting: &str, user: &str) -> String {
    format!("greeting = \"{greeting}\"\n[[user]]\nname = \"{user}\"\npassword = \"pw\"\n")
}

/// A control connection from 127.0.0.1 and its greeting, line ends cut.
async fn connect(server: &Server) -> (Raw, String) {
    let (raw, greeting) = Raw::connect(server.addr(), "127.0.0.1").await;
    (raw, greeting.trim_end().to_owned())
}

/// Waits until a new session is greeted with `greeting`.
async fn wait_for_greeting(server: &Server, greeting: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, got) = connect(server).await;
        if got == format!("220 {greeting}") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still greeted with {got:?}\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sighup_reloads_users_and_options_for_new_sessions_only() {
    let server = Server::builder()
        .file("wharfd.toml", &config("Before.", "carol"))
        .args(&["--config", "{base}/wharfd.toml"])
        .start();
    let (mut before, greeting) = connect(&server).await;
    assert_eq!(greeting, "220 Before.");
    assert!(
        before.login_as("carol", "pw").await.starts_with("230"),
        "carol logs in"
    );

    let file = server.outside().join("wharfd.toml");
    std::fs::write(&file, config("After.", "dave")).expect("rewrite the config");
    server.signal("HUP");
    wait_for_greeting(&server, "After.").await;

    // The session logged in before goes on as carol.
    assert!(before.cmd("PWD").await.starts_with("257"));
    assert!(before.cmd("NOOP").await.starts_with("200"));
    // New sessions: carol is gone, dave is there.
    let (mut after, _) = connect(&server).await;
    assert!(after.login_as("carol", "pw").await.starts_with("530"));
    let (mut after, _) = connect(&server).await;
    assert!(after.login_as("dave", "pw").await.starts_with("230"));
    assert!(
        server.log_text().contains("configuration reloaded"),
        "{}",
        server.log_tail()
    );

    // A broken file: the reload fails, the old settings stay, the server
    // serves on.
    std::fs::write(&file, "greeting = \n").expect("break the config");
    server.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.log_text().contains("configuration reload failed") {
        assert!(Instant::now() < deadline, "{}", server.log_tail());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (mut later, greeting) = connect(&server).await;
    assert_eq!(greeting, "220 After.");
    assert!(later.login_as("dave", "pw").await.starts_with("230"));
    assert!(before.cmd("NOOP").await.starts_with("200"));
}

#[tokio::test]
async fn a_reload_that_changes_the_listeners_says_they_need_a_restart() {
    let server = Server::builder()
        .file("wharfd.toml", &config("Same.", "carol"))
        .args(&["--config", "{base}/wharfd.toml"])
        .start();
    let file = server.outside().join("wharfd.toml");
    let moved = format!(
        "{}[passive]\nports = \"41000-41009\"\n",
        config("Moved.", "carol")
    );
    std::fs::write(&file, moved).expect("rewrite the config");
    server.signal("HUP");
    wait_for_greeting(&server, "Moved.").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.log_text().contains("need a restart") {
        assert!(Instant::now() < deadline, "{}", server.log_tail());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        server.log_text().contains("passive_ports"),
        "{}",
        server.log_tail()
    );
}
