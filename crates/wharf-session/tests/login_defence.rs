//! Login defence in the engine, over real sockets: unknown users cost what
//! known ones do, a full password-check queue refuses at once, and a
//! plugged-in `LoginGuard` decides who may connect.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers panic on purpose.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;

use async_trait::async_trait;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;
use wharf_session::defence::{Ban, BanPolicy, HashingGate, LoginGuard};
use wharf_session::{IpNetwork, Options, Server, ServerBuilder, UserList};
use wharf_vfs::MemoryFs;

use support::{Client, WAIT};

/// argon2-heavy tests run one at a time, so one does not time the other.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Options for guessing at full speed: no delay, no per-session limit, no
/// bans.
fn fast_failures() -> Options {
    let mut options = Options::default();
    options.failed_login_delay = Duration::ZERO;
    options.max_login_failures = 10_000;
    options.login_ban = BanPolicy {
        max_failures: 0,
        ..BanPolicy::default()
    };
    options
}

fn alice(gate: Option<HashingGate>) -> UserList {
    let users = UserList::new()
        .with_password("alice", b"secret", Arc::new(MemoryFs::new()), true)
        .unwrap();
    match gate {
        Some(gate) => users.with_hashing_gate(gate),
        None => users,
    }
}

/// Serves `builder` on 127.0.0.1 until the test ends.
async fn serve(builder: ServerBuilder) -> SocketAddr {
    let server = builder
        .listen("127.0.0.1:0".parse().unwrap())
        .bind()
        .await
        .unwrap();
    let addr = server.local_addrs()[0];
    tokio::spawn(server.run_until(std::future::pending()));
    addr
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    (samples[samples.len() / 2 - 1] + samples[samples.len() / 2]) / 2.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_user_costs_what_a_wrong_password_does() {
    let _serial = SERIAL.lock().await;
    let addr = serve(Server::builder(alice(None)).options(fast_failures())).await;
    let mut client = Client::connect(addr).await;
    let mut attempt = async |user: &str| {
        assert_eq!(client.cmd(&format!("USER {user}")).await.code().get(), 331);
        let started = Instant::now();
        let reply = client.cmd("PASS wrong").await;
        let took = started.elapsed();
        assert_eq!(reply.code().get(), 530, "{reply}");
        took
    };
    // Warm-up (connection, allocator, caches); not samples.
    attempt("nobody").await;
    attempt("alice").await;
    // Other work on the machine (parallel builds and tests, a fuzzer) spreads
    // single checks by a third and drifts over seconds: each round times
    // the two one after the other and keeps their ratio, so a drift hits
    // both sides of it alike. A run of 20 rounds may still land off by more
    // than 5 % by chance, so up to five runs are made. Without the dummy
    // hash an unknown user answers in a hundredth of the time: every run
    // fails.
    let mut runs = Vec::new();
    for _ in 0..5 {
        let mut ratios = Vec::new();
        for round in 0..20 {
            // Alternate the order so that neither side always goes first.
            let (known, unknown) = if round % 2 == 0 {
                let known = attempt("alice").await;
                (known, attempt(&format!("nobody{round}")).await)
            } else {
                let unknown = attempt(&format!("nobody{round}")).await;
                (attempt("alice").await, unknown)
            };
            ratios.push(unknown.as_secs_f64() / known.as_secs_f64());
        }
        let ratio = median(ratios);
        if (1.0 / 1.05..=1.05).contains(&ratio) {
            return;
        }
        runs.push(ratio);
    }
    panic!(
        "unknown user's time over the known user's, median of each run, off by more than 5 % in every run: {runs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_password_queue_refuses_at_once_and_does_not_starve_logins() {
    let _serial = SERIAL.lock().await;
    let users = alice(Some(HashingGate::new(1, 1)));
    let addr = serve(Server::builder(users).options(fast_failures())).await;
    // Eight guessers, each at the password prompt, then all PASS at once.
    let mut guessers = Vec::new();
    for _ in 0..8 {
        let mut client = Client::connect(addr).await;
        assert_eq!(client.cmd("USER alice").await.code().get(), 331);
        guessers.push(client);
    }
    let guesses: Vec<_> = guessers
        .into_iter()
        .map(|mut client| {
            tokio::spawn(async move {
                let started = Instant::now();
                let reply = client.cmd("PASS wrong").await;
                (reply, started.elapsed())
            })
        })
        .collect();
    let mut refused = Vec::new();
    let mut checked = Vec::new();
    for guess in guesses {
        let (reply, took) = guess.await.unwrap();
        match reply.code().get() {
            421 => {
                assert!(reply.to_string().contains("Too many logins"), "{reply}");
                refused.push(took);
            }
            530 => checked.push(took),
            _ => panic!("unexpected reply {reply}"),
        }
    }
    assert!(
        !refused.is_empty(),
        "with 1 permit and a queue of 1, 8 guesses at once were all queued"
    );
    assert!(checked.len() >= 2, "the permit and the queue were used");
    let slowest_refusal = refused.iter().max().unwrap();
    let fastest_check = checked.iter().min().unwrap();
    assert!(
        slowest_refusal < fastest_check,
        "refusals ({refused:?}) came no sooner than one password check ({fastest_check:?})"
    );
    // The burst is over: the right password gets in.
    let mut client = Client::connect(addr).await;
    assert_eq!(client.cmd("USER alice").await.code().get(), 331);
    assert_eq!(client.cmd("PASS secret").await.code().get(), 230);
}

/// A guard that bans everyone for five seconds.
struct BanEveryone;

#[async_trait]
impl LoginGuard for BanEveryone {
    async fn is_banned(&self, _group: IpNetwork) -> Option<Ban> {
        Some(Ban::new(Duration::from_secs(5), 1))
    }

    async fn record_failure(&self, _group: IpNetwork) -> Option<Ban> {
        None
    }
}

#[tokio::test]
async fn a_plugged_in_guard_decides_who_may_connect() {
    let builder = Server::builder(alice(None)).login_guard(Arc::new(BanEveryone));
    let addr = serve(builder).await;
    let stream = timeout(WAIT, TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap();
    let mut line = String::new();
    timeout(WAIT, BufReader::new(stream).read_line(&mut line))
        .await
        .unwrap()
        .unwrap();
    assert!(line.starts_with("421 "), "{line:?}");
    assert!(line.contains("try again in 5 seconds"), "{line:?}");
}
