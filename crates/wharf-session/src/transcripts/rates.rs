//! Bandwidth limits shared between sessions: the server's (every session
//! together) and a login's (a user's or a virtual host's sessions
//! together), on top of each session's own. Time is the test's clock, so
//! the durations are exact.

use std::time::Duration;

use tokio::time::Instant;

use crate::testkit::{Harness, Setup};

const SECOND: Duration = Duration::from_secs(1);

async fn harness(change: impl FnOnce(&mut Setup)) -> Harness {
    let mut setup = Setup::default();
    setup.fs([("two", vec![7u8; 2000])]);
    change(&mut setup);
    Harness::start(setup).await
}

/// Two sessions download `two` (2000 bytes) at once; how long both took.
async fn two_downloads(harness: &Harness, users: [&str; 2]) -> Duration {
    let mut first = harness.connect().await;
    first.login(users[0]).await;
    let mut second = harness.connect().await;
    second.login(users[1]).await;
    let started = Instant::now();
    let (a, b) = tokio::join!(
        first.exchange("RETR two", None),
        second.exchange("RETR two", None)
    );
    assert_eq!((a.codes(), b.codes()), (vec![150, 226], vec![150, 226]));
    assert_eq!((a.data.len(), b.data.len()), (2000, 2000));
    started.elapsed()
}

#[tokio::test(start_paused = true)]
async fn the_server_rate_holds_every_session_together() {
    let harness = harness(|s| s.options(|o| o.server_download_rate = 1000)).await;
    // 4000 bytes at 1000 B/s, however the sessions share them.
    assert_eq!(two_downloads(&harness, ["a", "r"]).await, SECOND * 4);
    // Uploads have their own rate: unlimited here.
    let mut client = harness.connect().await;
    client.login("a").await;
    let started = Instant::now();
    let up = client.exchange("STOR up", Some(&[1u8; 5000])).await;
    assert_eq!(up.codes(), [150, 226]);
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_login_rate_holds_that_login_s_sessions_together() {
    let harness = harness(|s| {
        s.login_download_rate(1000);
        // A session's own limit is looser: the shared one decides.
        s.options(|o| o.session_download_rate = 4000);
    })
    .await;
    assert_eq!(two_downloads(&harness, ["a", "a"]).await, SECOND * 4);
}

#[tokio::test(start_paused = true)]
async fn the_slowest_limit_decides() {
    let harness = harness(|s| {
        s.login_download_rate(4000);
        s.options(|o| {
            o.server_download_rate = 8000;
            o.session_download_rate = 500;
        });
    })
    .await;
    let mut client = harness.connect().await;
    client.login("a").await;
    let started = Instant::now();
    assert_eq!(client.exchange("RETR two", None).await.codes(), [150, 226]);
    assert_eq!(started.elapsed(), SECOND * 4);
}
