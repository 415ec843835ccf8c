//! Faults: wharfd killed (SIGKILL) mid-upload with a usage store. Usage
//! counts live in memory and are added to the store every flush interval
//! (`--usage-flush-secs`); a kill loses what was counted since the last
//! flush, and nothing more.
//!
//! The bound the test states: with a session upload limit `R` (2 MiB/s)
//! and a flush interval `F` (1 s), the usage record after the kill lacks
//! at most `R x F` of the bytes the client had sent, plus one paced
//! piece (64 KiB) that may still have been in flight; and it never holds
//! more than the client sent plus its control connection (under 4 KiB
//! here). The client sends at half the limit, so socket buffers stay near
//! empty and what it sent is what the server counted. Without periodic
//! flushes (counts written only when a transfer or the server ends) the
//! record would lack the whole upload, three seconds and more of it.

use crate::faults_kill::{Ftp, Kind, Rng, seed};
use crate::support;
use crate::support::full;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use support::{Restartable, Server, ServerBuilder, pattern};

const LOGIN: (&str, &str) = ("meter", "pw");
/// The session upload limit.
const RATE: u64 = 2 << 20;
/// The flush interval, seconds.
const FLUSH_SECS: u64 = 1;
/// What the client sends between two pauses, and how often.
const PIECE: usize = 64 * 1024;
const PIECE_EVERY: Duration = Duration::from_micros(62_500);

fn metered_server(state: &Path) -> ServerBuilder {
    let root = state.join("root");
    fs::create_dir_all(&root).expect("create the root");
    let users = format!(
        "[[user]]\nname = \"{}\"\npassword = \"{}\"\nroot = {:?}\n",
        LOGIN.0,
        LOGIN.1,
        root.to_str().expect("utf-8")
    );
    let usage = state.join("usage");
    Server::builder()
        .file("users.toml", &users)
        .args(&["--users", "{base}/users.toml"])
        .args(&["--quota", "10GiB"])
        .args(&["--usage-store", usage.to_str().expect("utf-8")])
        .args(&["--usage-flush-secs", &FLUSH_SECS.to_string()])
        .args(&["--session-upload-rate", &RATE.to_string()])
}

/// The bytes of the meter account's usage record (one period), if any.
fn recorded(state: &Path) -> u64 {
    let dir = state.join("usage").join(LOGIN.0);
    let Ok(entries) = fs::read_dir(&dir) else {
        return 0;
    };
    entries
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let record: serde_json::Value =
                serde_json::from_slice(&fs::read(&p).expect("a record")).expect("JSON");
            record["bytes"].as_u64().expect("a byte count")
        })
        .sum()
}

/// A 32 MiB STOR at 1 MiB/s killed after 3 to 6 s (SHORT: once; FULL:
/// five times, each on a fresh store). The client sees its connection
/// break. Afterwards the usage record holds between `sent - R x F - 64
/// KiB` and `sent + 4 KiB` (module docs), and a restarted server on the
/// same store starts from that record.
#[test]
fn usage_after_a_kill_lacks_at_most_one_flush_interval() {
    let seed = seed();
    let mut rng = Rng::new(seed);
    for run in 0..if full() { 5 } else { 1 } {
        let mut target = Restartable::start(metered_server);
        let body = pattern(32 << 20, run);
        let mut ftp = Ftp::login(target.server().addr(), LOGIN.0, LOGIN.1).expect("login");
        let mut data = ftp.start(Kind::Stor, "big.bin", 0).expect("STOR");
        let sent = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let sender = {
            let (sent, stop) = (sent.clone(), stop.clone());
            std::thread::spawn(move || {
                let started = Instant::now();
                for (i, piece) in body.chunks(PIECE).enumerate() {
                    let due = started + PIECE_EVERY * u32::try_from(i).expect("a piece");
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    if stop.load(Ordering::SeqCst) || data.write_all(piece).is_err() {
                        return;
                    }
                    sent.fetch_add(piece.len() as u64, Ordering::SeqCst);
                }
            })
        };
        let delay = Duration::from_millis(rng.range(3000, 6000) as u64);
        std::thread::sleep(delay);
        stop.store(true, Ordering::SeqCst);
        let sent_at_kill = sent.load(Ordering::SeqCst);
        target.kill();
        sender.join().expect("the sender");
        let record = recorded(target.state());
        let context = format!(
            "WHARF_FAULTS_SEED={seed} run {run}: killed after {delay:?}, client sent {sent_at_kill}, \
             the record holds {record}"
        );
        let bound = RATE * FLUSH_SECS + PIECE as u64;
        assert!(
            record + bound >= sent_at_kill,
            "{context}: lost more than one flush interval ({bound})\n{}",
            target.logs()
        );
        assert!(
            record <= sent_at_kill + 4096,
            "{context}: counted more than was sent\n{}",
            target.logs()
        );
        // The restarted server counts on from the record: its own login
        // adds a little, never less than what was stored.
        target.restart();
        let mut again = Ftp::login(target.server().addr(), LOGIN.0, LOGIN.1).expect("login");
        let (code, text) = again.cmd("SITE QUOTA").expect("SITE QUOTA");
        assert_eq!(code, 200, "{text}");
        let used = used_from(&text);
        assert!(
            used >= record,
            "{context}: the restarted server reports {used} used: {text}"
        );
    }
}

/// The `Used` number of a SITE QUOTA reply.
fn used_from(text: &str) -> u64 {
    text.lines()
        .find_map(|line| {
            let lower = line.to_ascii_lowercase();
            let rest = lower.split("used").nth(1)?;
            let digits: String = rest
                .chars()
                .skip_while(|c| !c.is_ascii_digit())
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .unwrap_or_else(|| panic!("no Used in {text:?}"))
}
