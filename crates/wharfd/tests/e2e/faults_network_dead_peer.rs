//! Faults: a peer that stops answering (issue 23). Over the emulated link
//! of `support/impaired_link.rs`, the link goes silent (every packet
//! dropped, both ways) while transfers run, and clients vanish without a
//! FIN or RST (killed while their link is silent), during a transfer and
//! while idle. wharfd runs with a short data stall bound and short TCP
//! keepalive, and its session count (the `wharf_sessions_open` gauge of
//! its admin listener) must fall to 0 within those bounds.
//!
//! The bounds hold on a silent link because wharfd sets the control
//! connection's `TCP_USER_TIMEOUT` from the keepalive settings: after a
//! stall, the
//! `426` it writes on the control connection is never acknowledged, and
//! the kernel sends no keepalive probe while data waits for an
//! acknowledgement, so keepalive alone would leave the session to the
//! retransmission limit (about 15 minutes) or the idle timeout.
//!
//! These cases are the same in SHORT and FULL: their length is the
//! bounds'. Namespaces need root (CI runs as root): as any other user each
//! test fails unless `WHARF_TEST_NO_ROOT=1` asks to skip it.

use crate::support;

use std::fs;
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use support::impaired_link::{ImpairedLink, Impairment};
use support::impaired_server::{ImpairedServer, Store};
use support::{PASSWORD, Tls, USER, pattern};

/// `[timeouts] data_stall_secs`.
const STALL_SECS: u64 = 2;
/// `[keepalive]`: first probe after this many idle seconds (the bound,
/// 8 s, well above the stall bound and its slack, so that the test tells
/// which of the two ended a transfer)…
const KEEPALIVE_IDLE_SECS: u64 = 5;
/// …then one every this many seconds…
const KEEPALIVE_INTERVAL_SECS: u64 = 1;
/// …and the peer is dead after this many unanswered.
const KEEPALIVE_RETRIES: u64 = 3;
/// The idle timeout, far beyond every bound here, so that it cannot be
/// what frees a session.
const IDLE_SECS: u64 = 600;
/// Slack for the kernel's timers, the scrape interval and a loaded machine.
const SLACK: Duration = Duration::from_secs(5);
/// Slack for a stalled transfer's end: the watchdog's wake-up and a scrape.
const STALL_SLACK: Duration = Duration::from_secs(2);

/// wharfd's settings for these cases.
fn config() -> String {
    format!(
        "[timeouts]\nidle_secs = {IDLE_SECS}\ndata_stall_secs = {STALL_SECS}\n\n\
         [keepalive]\nidle_secs = {KEEPALIVE_IDLE_SECS}\ninterval_secs = {KEEPALIVE_INTERVAL_SECS}\n\
         retries = {KEEPALIVE_RETRIES}\n"
    )
}

/// How long a dead peer may hold a session whose connection is idle.
fn keepalive_bound() -> Duration {
    Duration::from_secs(KEEPALIVE_IDLE_SECS + KEEPALIVE_INTERVAL_SECS * KEEPALIVE_RETRIES)
}

/// How long a transfer may outlive a dead peer.
fn stall_bound() -> Duration {
    Duration::from_secs(STALL_SECS) + STALL_SLACK
}

/// Transfers the server ended other than complete (stalled, failed,
/// aborted).
fn unfinished_transfers(server: &ImpairedServer) -> f64 {
    server.metric("wharf_transfers_total")
        - server.metric_where("wharf_transfers_total", "result=\"complete\"")
}

/// Established TCP connections of the server's address, control and data.
fn connections(link: &mut ImpairedLink) -> usize {
    let ns = link.server().to_owned();
    link.lab()
        .exec(
            &ns,
            &[
                "ss",
                "-Htn",
                "state",
                "established",
                "src",
                support::impaired_link::SERVER_IP,
            ],
        )
        .stdout_text()
        .lines()
        .count()
}

/// Waits (at most 30 s) until `ready` holds.
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "never: {what}");
        thread::sleep(Duration::from_millis(100));
    }
}

/// When (after `from`) the transfers ended other than complete reach
/// `count` and when the sessions reach 0, polled until `limit` passes.
fn watch(
    server: &ImpairedServer,
    from: Instant,
    count: f64,
    limit: Duration,
) -> (Option<Duration>, Option<Duration>) {
    let (mut ended, mut freed) = (None, None);
    while from.elapsed() < limit && freed.is_none() {
        if ended.is_none() && unfinished_transfers(server) >= count {
            ended = Some(from.elapsed());
        }
        if server.sessions() == 0.0 {
            freed = Some(from.elapsed());
        }
        thread::sleep(Duration::from_millis(200));
    }
    (ended, freed)
}

/// A client process, killed (SIGKILL: no goodbye) when [`Client::vanish`]
/// is called or the test ends, on a panic too.
struct Client(Child);

impl Client {
    /// Kills the client and reaps it.
    fn vanish(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.vanish();
    }
}

/// A rate-limited curl in the client namespace: a transfer that is still
/// running seconds later.
fn slow_curl(server: &ImpairedServer, args: &[&str]) -> Client {
    let child = server
        .curl_command(
            Tls::Plain,
            Duration::from_secs(120),
            &[&["--limit-rate", "256K"], args].concat(),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start curl");
    Client(child)
}

/// What the client sees: its download and its upload (two sessions)
/// stop moving when the link goes silent. Afterwards: the stall bound
/// ends both transfers within [`stall_bound`], and keepalive frees both
/// sessions within the stall, the keepalive bound and [`SLACK`]; an
/// upload cut short is not there in full.
// Showing a passing run's times is what stderr is for in a test.
#[allow(clippy::print_stderr)]
fn a_silent_link_ends_the_transfers_and_frees_the_sessions(test: &str, store: Store) {
    let Some(mut link) = ImpairedLink::start(test) else {
        return;
    };
    let server = ImpairedServer::start(&mut link, store, &config());
    let size = 8 << 20;
    server.place("down.bin", &pattern(size, 1));
    let local = link.lab().dir().join("client");
    fs::create_dir_all(&local).expect("create the client's directory");
    let up_local = local.join("up.bin");
    let up_data = pattern(size, 2);
    fs::write(&up_local, &up_data).expect("write the upload");
    let down_local = local.join("down.bin");
    let mut clients = [
        slow_curl(
            &server,
            &[
                "-o",
                down_local.to_str().expect("UTF-8"),
                &server.url("down.bin"),
            ],
        ),
        slow_curl(
            &server,
            &[
                "-T",
                up_local.to_str().expect("UTF-8"),
                &server.url("up.bin"),
            ],
        ),
    ];
    // Two control and two data connections, and bytes arriving.
    wait_for("both transfers running", || {
        connections(&mut link) == 4 && fs::metadata(&down_local).is_ok_and(|m| m.len() > 0)
    });
    let unfinished_before = unfinished_transfers(&server);
    let quiet = link.stats();
    link.set_both(Impairment::SILENT);
    let silent = Instant::now();
    let limit = Duration::from_secs(STALL_SECS) + keepalive_bound() + SLACK;
    let (ended, freed) = watch(
        &server,
        silent,
        unfinished_before + 2.0,
        limit + Duration::from_secs(10),
    );
    eprintln!("{test}: transfers ended after {ended:?}, sessions freed after {freed:?}");
    let dropped = link.stats();
    assert!(
        dropped.up.dropped > quiet.up.dropped && dropped.down.dropped > quiet.down.dropped,
        "the link did not drop both ways: {quiet:?} then {dropped:?}"
    );
    assert!(
        ended.is_some_and(|t| t <= stall_bound()),
        "the stall bound did not end both transfers within {:?} (ended after {ended:?})\n{}",
        stall_bound(),
        server.log_tail()
    );
    assert!(
        freed.is_some_and(|t| t <= limit),
        "the sessions were not freed within {limit:?} (freed after {freed:?})\n{}",
        server.log_tail()
    );
    for client in &mut clients {
        client.vanish();
    }
    link.set_both(Impairment::CLEAN);
    assert!(
        server.fetch("up.bin").as_deref() != Some(&up_data[..]),
        "the upload cut short by the silent link is there in full"
    );
}

#[test]
fn local_disk_a_silent_link_ends_the_transfers_and_frees_the_sessions() {
    a_silent_link_ends_the_transfers_and_frees_the_sessions(
        "local_disk_a_silent_link_ends_the_transfers_and_frees_the_sessions",
        Store::LocalDisk,
    );
}

#[test]
fn azurite_a_silent_link_ends_the_transfers_and_frees_the_sessions() {
    a_silent_link_ends_the_transfers_and_frees_the_sessions(
        "azurite_a_silent_link_ends_the_transfers_and_frees_the_sessions",
        Store::Azurite,
    );
}

/// A Python ftplib client in the client namespace that logs in, says
/// `in`, and then idles.
fn idle_client(link: &mut ImpairedLink, out: &std::path::Path) -> Client {
    let script = format!(
        "import ftplib, sys, time\n\
         ftp = ftplib.FTP()\n\
         ftp.connect('{ip}', 21, timeout=30)\n\
         ftp.login('{USER}', '{PASSWORD}')\n\
         print('in', flush=True)\n\
         time.sleep(600)\n",
        ip = support::impaired_link::SERVER_IP
    );
    let ns = link.client().to_owned();
    let child = link
        .lab()
        .command(&ns, "python3")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(fs::File::create(out).expect("create the client's output"))
        .stderr(Stdio::null())
        .spawn()
        .expect("start the idle client");
    Client(child)
}

/// What the client sees: nothing; it is gone (killed while its link
/// drops every packet, so no FIN or RST reaches the server), after
/// logging in and idling. Afterwards: keepalive frees its session within
/// the keepalive bound and [`SLACK`].
// Showing a passing run's times is what stderr is for in a test.
#[allow(clippy::print_stderr)]
#[test]
fn a_client_that_vanishes_while_idle_is_freed() {
    let test = "a_client_that_vanishes_while_idle_is_freed";
    let Some(mut link) = ImpairedLink::start(test) else {
        return;
    };
    let server = ImpairedServer::start(&mut link, Store::LocalDisk, &config());
    let out = link.lab().dir().join("idle.out");
    let mut client = idle_client(&mut link, &out);
    wait_for("the idle client logged in", || {
        fs::read_to_string(&out).unwrap_or_default().contains("in") && server.sessions() == 1.0
    });
    link.set_both(Impairment::SILENT);
    client.vanish();
    let gone = Instant::now();
    let limit = keepalive_bound() + SLACK;
    let (_, freed) = watch(
        &server,
        gone,
        f64::INFINITY,
        limit + Duration::from_secs(10),
    );
    eprintln!("{test}: session freed after {freed:?}");
    assert!(
        freed.is_some_and(|t| t <= limit),
        "the session was not freed within {limit:?} (freed after {freed:?})\n{}",
        server.log_tail()
    );
}

/// What the client sees: nothing; it is gone (killed while its link
/// drops every packet) in the middle of an upload. Afterwards: the stall
/// bound ends the transfer within [`stall_bound`] and keepalive frees the
/// session within the stall, the keepalive bound and [`SLACK`]; the
/// upload is not there in full.
// Showing a passing run's times is what stderr is for in a test.
#[allow(clippy::print_stderr)]
fn a_client_that_vanishes_during_a_transfer_is_freed(test: &str, store: Store) {
    let Some(mut link) = ImpairedLink::start(test) else {
        return;
    };
    let server = ImpairedServer::start(&mut link, store, &config());
    let local = link.lab().dir().join("up.bin");
    let data = pattern(8 << 20, 3);
    fs::write(&local, &data).expect("write the upload");
    let mut client = slow_curl(
        &server,
        &["-T", local.to_str().expect("UTF-8"), &server.url("up.bin")],
    );
    wait_for("the upload running", || connections(&mut link) == 2);
    // Let bytes flow for a moment.
    thread::sleep(Duration::from_millis(500));
    let unfinished_before = unfinished_transfers(&server);
    link.set_both(Impairment::SILENT);
    client.vanish();
    let gone = Instant::now();
    let limit = Duration::from_secs(STALL_SECS) + keepalive_bound() + SLACK;
    let (ended, freed) = watch(
        &server,
        gone,
        unfinished_before + 1.0,
        limit + Duration::from_secs(10),
    );
    eprintln!("{test}: transfer ended after {ended:?}, session freed after {freed:?}");
    assert!(
        ended.is_some_and(|t| t <= stall_bound()),
        "the stall bound did not end the transfer within {:?} (ended after {ended:?})\n{}",
        stall_bound(),
        server.log_tail()
    );
    assert!(
        freed.is_some_and(|t| t <= limit),
        "the session was not freed within {limit:?} (freed after {freed:?})\n{}",
        server.log_tail()
    );
    assert!(
        server.fetch("up.bin").as_deref() != Some(&data[..]),
        "the upload of a vanished client is there in full"
    );
}

#[test]
fn local_disk_a_client_that_vanishes_during_a_transfer_is_freed() {
    a_client_that_vanishes_during_a_transfer_is_freed(
        "local_disk_a_client_that_vanishes_during_a_transfer_is_freed",
        Store::LocalDisk,
    );
}

#[test]
fn azurite_a_client_that_vanishes_during_a_transfer_is_freed() {
    a_client_that_vanishes_during_a_transfer_is_freed(
        "azurite_a_client_that_vanishes_during_a_transfer_is_freed",
        Store::Azurite,
    );
}
