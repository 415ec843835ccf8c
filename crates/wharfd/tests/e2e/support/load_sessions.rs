//! What the load suites share: where their sessions come from, the server
//! limits that let a load of N sessions in (and no more than it needs),
//! opening N logged-in sessions, and collecting what failed.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::load_client::LoadClient;
use super::server::{PASSWORD, USER};

/// Loopback source addresses the sessions are spread over, 127.77.0.1 and
/// up: the per-address limits then stay limits (each address holds a
/// sixteenth of the load), and no address runs short of ephemeral ports.
pub(crate) const SOURCES: usize = 16;

/// Logins in flight at once while sessions open: a client population
/// that arrives over time, as a real one does, rather than one SYN flood.
pub(crate) const OPENING_AT_ONCE: usize = 64;

/// The source address of session `i`.
pub(crate) fn source(i: usize) -> IpAddr {
    // SOURCES < 255: the cast keeps every value.
    IpAddr::V4(Ipv4Addr::new(127, 77, 0, 1 + (i % SOURCES) as u8))
}

/// wharfd's session limits for a load of `sessions` at once from
/// [`SOURCES`] addresses, opened [`OPENING_AT_ONCE`] at a time: the global
/// and per-address caps just above the load (a few spare for a warm-up
/// session that may not have ended yet), room for the logins in flight,
/// and no cap on passive listeners per address (every session of an
/// address may be in a transfer at once). Bans stay on: no login fails.
pub(crate) fn limit_args(sessions: usize) -> Vec<String> {
    let per_address = sessions.div_ceil(SOURCES) + 2;
    let in_flight = 2 * OPENING_AT_ONCE;
    [
        ("--max-sessions", sessions + 4),
        ("--max-sessions-per-ip", per_address),
        ("--max-unauthenticated-sessions", in_flight),
        ("--max-unauthenticated-sessions-per-ip", in_flight),
        ("--login-queue", in_flight),
        ("--max-passive-per-ip", 0),
    ]
    .into_iter()
    .flat_map(|(flag, value)| [flag.to_owned(), value.to_string()])
    .collect()
}

/// What went wrong across many sessions: the count, and the first few
/// messages for the failure report.
#[derive(Default)]
pub(crate) struct Failures {
    pub(crate) count: usize,
    pub(crate) first: Vec<String>,
}

impl Failures {
    /// Records the failure of session `i`.
    pub(crate) fn add(&mut self, i: usize, error: &anyhow::Error) {
        self.count += 1;
        if self.first.len() < 10 {
            self.first.push(format!("session {i}: {error:#}"));
        }
    }

    /// Adds the failures of a second batch of sessions, whose session 0
    /// is session `first` of the whole.
    pub(crate) fn merge(&mut self, other: Failures, first: usize) {
        self.count += other.count;
        for message in other.first {
            if self.first.len() < 10 {
                self.first.push(format!("(from {first}) {message}"));
            }
        }
    }

    /// Panics, listing the first failures, unless there were none.
    #[track_caller]
    pub(crate) fn assert_none(&self, what: &str, log: &str) {
        assert!(
            self.count == 0,
            "{what}: {} failures; the first:\n{}\n--- wharfd log (tail) ---\n{log}",
            self.count,
            self.first.join("\n")
        );
    }
}

/// Opens `count` sessions to `addr`, logged in as the test user with
/// `TYPE I`, session `i` from [`source`]`(i)`: the first alone, so that
/// the server checks the password with argon2 once (and remembers it)
/// rather than once per login in flight, then the rest
/// [`OPENING_AT_ONCE`] at a time. Returns them in order (`None` where one
/// failed) and the failures.
pub(crate) async fn open_sessions(
    addr: SocketAddr,
    count: usize,
) -> (Vec<Option<LoadClient>>, Failures) {
    let mut sessions: Vec<Option<LoadClient>> = (0..count).map(|_| None).collect();
    let mut failures = Failures::default();
    if count == 0 {
        return (sessions, failures);
    }
    match LoadClient::open(addr, source(0), USER, PASSWORD).await {
        Ok(client) => sessions[0] = Some(client),
        Err(e) => failures.add(0, &e.context("open")),
    }
    let gate = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let mut opening = JoinSet::new();
    for i in 1..count {
        let gate = Arc::clone(&gate);
        opening.spawn(async move {
            let _permit = gate.acquire_owned().await;
            (i, LoadClient::open(addr, source(i), USER, PASSWORD).await)
        });
    }
    while let Some(joined) = opening.join_next().await {
        let (i, opened) = joined.expect("a session task panicked");
        match opened {
            Ok(client) => sessions[i] = Some(client),
            Err(e) => failures.add(i, &e.context("open")),
        }
    }
    (sessions, failures)
}
