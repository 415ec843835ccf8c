//! Faults: load. Many logged-in sessions held at once, each sending NOOP
//! every few seconds, and the server's resident memory per session.
//! `faults_load_transfers.rs` (many small transfers at once) and
//! `faults_load_azurite.rs` (many 16 MiB blob uploads at once, within the
//! upload memory budget) are the other two loads.
//!
//! The load is driven from this test with tokio ([`LoadClient`]), not by
//! running `wharf-load`: that binary belongs to another package (its
//! path is not known to this test binary, and building it is a second
//! build), its idle-sessions scenario opens sessions and measures memory
//! but neither holds them with NOOPs nor counts every reply, and a test
//! must fail on the first wrong reply rather than print a table.
//!
//! SHORT (the default, in `.ci/run`): 1,000 sessions held 10 s; FULL
//! (`WHARF_FAULTS=full`): the 10,000 held 60 s. Loopback only:
//! the sessions come from 127.77.0.1 to 127.77.0.16.

use crate::support;
use crate::support::full;

use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tokio::time::{sleep, sleep_until, timeout};

use support::load_sessions::{limit_args, open_sessions};
use support::{LoadClient, Server, raise_own_open_files};

/// How often each session sends NOOP.
const NOOP_EVERY: Duration = Duration::from_secs(5);

/// The most resident memory one more logged-in session may add: the
/// target, asserted on what the second half of the sessions adds (see
/// the test). Measured: 2.9 KiB in a debug build at 1,000 sessions, 3.4
/// KiB in a release build (`docs/performance/load.md`); 4.2 and 4.6 before
/// the session task shrank (`wharf-session/src/session/footprint.rs`).
const TARGET_KIB_PER_SESSION: f64 = 4.0;

/// The bound on growth from the idle server, which also counts what the
/// allocator held free before the first session: twice the target. It
/// catches memory that sessions keep taking while they are held.
const KIB_PER_SESSION: f64 = 2.0 * TARGET_KIB_PER_SESSION;

/// Sends NOOP every [`NOOP_EVERY`] from `start + offset` until `until`;
/// every one must be answered `200`. The session and its NOOP count.
async fn hold(
    mut client: LoadClient,
    first: tokio::time::Instant,
    until: tokio::time::Instant,
) -> anyhow::Result<(LoadClient, u64)> {
    let mut next = first;
    let mut noops = 0;
    while next < until {
        sleep_until(next).await;
        client.command("NOOP", 200).await?;
        noops += 1;
        next += NOOP_EVERY;
    }
    Ok((client, noops))
}

/// What the client sees: 10,000 (SHORT: 1,000) sessions connect, log in,
/// and hold for 60 s (SHORT: 10 s) with a NOOP every 5 s; every
/// connection is accepted (no refusal, no `421`), every login gets `230`
/// and every NOOP `200`, and every session ends with QUIT's `221`.
/// Afterwards: the second half of the sessions added at most 4 KiB of
/// resident memory each (the target, [`TARGET_KIB_PER_SESSION`]), and
/// from the idle server (after one warm-up login, whose argon2 check is
/// paid once, not per session) to the end of the hold memory grew by at
/// most 8 KiB per session ([`KIB_PER_SESSION`]).
// The figures are this test's report: stderr is where a test prints.
#[allow(clippy::print_stderr)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_sessions_hold_with_noops_in_4_kib_each() {
    let (count, held) = if full() {
        (10_000, Duration::from_secs(60))
    } else {
        (1_000, Duration::from_secs(10))
    };
    // A socket per session on each side, plus what the rest of the test
    // binary holds.
    let files = count as u64 + 1024;
    raise_own_open_files(files);
    let limits = limit_args(count);
    let server = Server::builder()
        .args(&limits.iter().map(String::as_str).collect::<Vec<_>>())
        .env("RUST_LOG", "warn")
        .start();
    server.raise_open_files(files);
    let addr = server.addr();
    let wall = Instant::now();

    // One login first: argon2's working memory is the server's once.
    let (warm, failures) = open_sessions(addr, 1).await;
    failures.assert_none("the warm-up login", &server.log_tail());
    for client in warm.into_iter().flatten() {
        client.quit().await.expect("QUIT the warm-up session");
    }
    sleep(Duration::from_millis(500)).await;
    let idle_kib = server.rss_kib();
    let cpu_before = server.cpu_seconds();

    // Half the sessions, then the other half: the memory the second half
    // adds is what a session costs. Growth from the idle server also
    // counts what the allocator kept free before the first session (the
    // warm-up's argon2 block may be reused, or not), which is noise of
    // the size of the figure at 1,000 sessions.
    let half = count / 2;
    let (mut sessions, mut failures) = open_sessions(addr, half).await;
    // Let the server finish whatever follows a login.
    sleep(Duration::from_secs(1)).await;
    let half_kib = server.rss_kib();
    let (rest, rest_failures) = open_sessions(addr, count - half).await;
    sessions.extend(rest);
    failures.merge(rest_failures, half);
    let opened_in = wall.elapsed();
    sleep(Duration::from_secs(1)).await;
    let opened_kib = server.rss_kib();
    let marginal = (opened_kib as f64 - half_kib as f64) / (count - half) as f64;

    // Hold: the NOOPs of all sessions spread evenly over each 5 s.
    let start = tokio::time::Instant::now();
    let until = start + held;
    let mut holding = JoinSet::new();
    for (i, client) in sessions.into_iter().enumerate() {
        let Some(client) = client else { continue };
        let first = start + NOOP_EVERY.mul_f64(i as f64 / count as f64);
        holding.spawn(async move { (i, hold(client, first, until).await) });
    }
    let mut held_sessions = Vec::with_capacity(count);
    let mut noops = 0;
    let bound = held + Duration::from_secs(120);
    timeout(bound, async {
        while let Some(joined) = holding.join_next().await {
            match joined.expect("a session task panicked") {
                (_, Ok((client, sent))) => {
                    noops += sent;
                    held_sessions.push(client);
                }
                (i, Err(e)) => failures.add(i, &e.context("hold")),
            }
        }
    })
    .await
    .expect("the hold ends in time");
    let held_kib = server.rss_kib();
    let cpu = server.cpu_seconds() - cpu_before;

    let mut quitting = JoinSet::new();
    for (i, client) in held_sessions.into_iter().enumerate() {
        quitting.spawn(async move { (i, client.quit().await) });
    }
    while let Some(joined) = quitting.join_next().await {
        if let (i, Err(e)) = joined.expect("a QUIT task panicked") {
            failures.add(i, &e.context("QUIT"));
        }
    }

    let per_session = |kib: u64| (kib as f64 - idle_kib as f64) / count as f64;
    eprintln!(
        "load: {count} sessions (opened in {:.1} s) held {} s, {noops} NOOPs, {} errors; \
         wharfd RSS idle {idle_kib} KiB, {half_kib} KiB with {half} sessions, {opened_kib} KiB \
         with {count}: {marginal:.2} KiB per session (the second half), \
         {:.2} KiB per session from idle; {held_kib} KiB after the hold ({:.2} KiB/session \
         from idle); \
         wharfd CPU {cpu:.2} s for the logins and NOOPs; wall {:.1} s",
        opened_in.as_secs_f64(),
        held.as_secs(),
        failures.count,
        per_session(opened_kib),
        per_session(held_kib),
        wall.elapsed().as_secs_f64(),
    );
    failures.assert_none("sessions under load", &server.log_tail());
    // Each session's NOOPs were due at least every 5 s of the hold.
    let due = count as u64 * (held.as_secs() / NOOP_EVERY.as_secs());
    assert!(noops >= due, "{noops} NOOPs answered, {due} were due");
    assert!(
        marginal <= TARGET_KIB_PER_SESSION,
        "{marginal:.2} KiB of resident memory per session, more than the {TARGET_KIB_PER_SESSION} KiB target"
    );
    let worst = per_session(opened_kib).max(per_session(held_kib));
    assert!(
        worst <= KIB_PER_SESSION,
        "{worst:.2} KiB of resident memory per session, more than the {KIB_PER_SESSION} KiB bound"
    );
}
