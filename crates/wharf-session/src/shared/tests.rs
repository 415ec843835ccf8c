//! Several servers on one store, each with a `SharedState` of its own.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::*;
use crate::defence::{Admission, LoginGuard, SessionRegistry, address_group};
use crate::network::IpNetwork;

fn config() -> SharedConfig {
    SharedConfig {
        ban_refresh: Duration::from_millis(100),
        session_lease: Duration::from_millis(600),
        store_timeout: Duration::from_secs(2),
    }
}

fn policy(max_failures: u32) -> BanPolicy {
    BanPolicy {
        max_failures,
        window: Duration::from_secs(600),
        ban: Duration::from_secs(60),
        max_ban: Duration::from_secs(600),
    }
}

fn group(ip: &str) -> IpNetwork {
    address_group(ip.parse().expect("an address"), 64)
}

fn node(dir: &std::path::Path) -> Arc<SharedState> {
    SharedState::new(Arc::new(DirStateStore::new(dir)), config())
}

#[tokio::test]
async fn failures_spread_over_servers_ban_on_every_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut guards = Vec::new();
    for _ in 0..3 {
        guards.push(
            node(dir.path())
                .login_guard(policy(3))
                .await
                .expect("guard"),
        );
    }
    let guesser = group("192.0.2.7");
    assert_eq!(guards[0].record_failure(guesser).await, None);
    assert_eq!(guards[1].record_failure(guesser).await, None);
    let ban = guards[2].record_failure(guesser).await.expect("banned");
    assert_eq!(ban.offence, 1);
    assert!(
        guards[2].is_banned(guesser).await.is_some(),
        "at once where it began"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    for (i, guard) in guards.iter().enumerate() {
        assert!(guard.is_banned(guesser).await.is_some(), "server {i}");
        assert!(
            guard.is_banned(group("192.0.2.8")).await.is_none(),
            "server {i}"
        );
        assert_eq!(guard.bans_active(), Some(1));
    }
    // A failure elsewhere while banned is that ban, not a new count.
    assert!(guards[0].record_failure(guesser).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_failures_on_many_servers_lose_no_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let guard = node(dir.path())
            .login_guard(policy(1_000))
            .await
            .expect("guard");
        tasks.push(tokio::spawn(async move {
            for _ in 0..20 {
                guard.record_failure(group("198.51.100.1")).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let text = std::fs::read_to_string(dir.path().join("bans/198.51.100.1_32.json"))
        .expect("the group's record");
    assert!(text.contains("\"failures\":120"), "{text}");
}

/// A store that always fails, as an unreachable one does.
struct Broken;

#[async_trait]
impl StateStore for Broken {
    async fn read(&self, _: &str) -> Result<Option<Vec<u8>>, StateStoreError> {
        Err(StateStoreError::Io(std::io::Error::other("unreachable")))
    }

    async fn update(
        &self,
        _: &str,
        _: &mut ChangeFn<'_>,
    ) -> Result<Option<Vec<u8>>, StateStoreError> {
        Err(StateStoreError::Io(std::io::Error::other("unreachable")))
    }
}

/// A store that never answers.
struct Silent;

#[async_trait]
impl StateStore for Silent {
    async fn read(&self, _: &str) -> Result<Option<Vec<u8>>, StateStoreError> {
        std::future::pending().await
    }

    async fn update(
        &self,
        _: &str,
        _: &mut ChangeFn<'_>,
    ) -> Result<Option<Vec<u8>>, StateStoreError> {
        std::future::pending().await
    }
}

#[tokio::test]
async fn a_failing_store_is_refused_at_start() {
    let shared = SharedState::new(Arc::new(Broken), config());
    assert!(shared.login_guard(policy(3)).await.is_err());
}

#[tokio::test]
async fn while_the_store_fails_this_server_counts_alone_and_bans() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shared = SharedState::new(Arc::new(DirStateStore::new(dir.path())), config());
    let guard = shared.login_guard(policy(3)).await.expect("guard");
    // The store goes away: the directory becomes a file.
    std::fs::remove_dir_all(dir.path()).expect("remove");
    std::fs::write(dir.path(), b"not a directory").expect("write");
    let guesser = group("203.0.113.5");
    assert_eq!(guard.record_failure(guesser).await, None);
    assert!(
        guard.is_banned(guesser).await.is_none(),
        "no ban from an outage alone"
    );
    guard.record_failure(guesser).await;
    assert!(
        guard.record_failure(guesser).await.is_some(),
        "the local count bans"
    );
    assert!(guard.is_banned(guesser).await.is_some());
    assert!(guard.is_banned(group("203.0.113.6")).await.is_none());
    let health = shared.health().snapshot();
    assert_eq!(health.local_failures, 3);
    assert!(health.errors >= 3 && health.failing, "{health:?}");
    std::fs::remove_file(dir.path()).expect("remove");
}

#[tokio::test(start_paused = true)]
async fn a_store_that_does_not_answer_times_out_into_the_fallback() {
    let shared = SharedState::new(Arc::new(Silent), config());
    let sessions = shared.session_registry();
    assert_eq!(
        sessions.open(group("192.0.2.1"), 1).await,
        Admission::Uncounted
    );
    assert_eq!(shared.health().snapshot().uncounted_sessions, 1);
}

#[tokio::test]
async fn a_per_address_limit_holds_across_servers_and_frees_on_close() {
    let dir = tempfile::tempdir().expect("temp dir");
    let servers: Vec<_> = (0..3)
        .map(|_| node(dir.path()).session_registry())
        .collect();
    let client = group("192.0.2.9");
    assert_eq!(servers[0].open(client, 3).await, Admission::Counted);
    assert_eq!(servers[1].open(client, 3).await, Admission::Counted);
    assert_eq!(servers[2].open(client, 3).await, Admission::Counted);
    for server in &servers {
        assert_eq!(server.open(client, 3).await, Admission::Full);
    }
    assert_eq!(
        servers[0].open(group("192.0.2.10"), 3).await,
        Admission::Counted
    );
    servers[1].close(client).await;
    assert_eq!(servers[2].open(client, 3).await, Admission::Counted);
    assert_eq!(servers[0].open(client, 3).await, Admission::Full);
}

#[tokio::test]
async fn a_dead_servers_sessions_stop_counting_after_the_lease() {
    let dir = tempfile::tempdir().expect("temp dir");
    let alive = node(dir.path()).session_registry();
    let client = group("2001:db8:5::1");
    {
        let dying = node(dir.path()).session_registry();
        assert_eq!(dying.open(client, 2).await, Admission::Counted);
        assert_eq!(dying.open(client, 2).await, Admission::Counted);
        // Dropped without closing: its renewals stop, as if killed.
    }
    assert_eq!(alive.open(client, 2).await, Admission::Full);
    // The survivor renews its own lease meanwhile.
    assert_eq!(
        alive.open(group("2001:db8:6::1"), 1).await,
        Admission::Counted
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(alive.open(client, 2).await, Admission::Counted);
    assert_eq!(alive.open(client, 2).await, Admission::Counted);
    assert_eq!(alive.open(client, 2).await, Admission::Full);
    let other = node(dir.path()).session_registry();
    assert_eq!(
        other.open(group("2001:db8:6::2"), 1).await,
        Admission::Full,
        "the survivor's lease was renewed"
    );
}
