//! Faults: wharfd killed (SIGKILL) during `STOR`, `APPE` and `REST`+`STOR`.
//! The driver the per-store suites share (`faults_kill_local.rs`,
//! `faults_kill_azure.rs`, `faults_kill_s3.rs`; what a kill leaves staged
//! in an object store: `faults_kill_staged.rs`): seeded random kill points,
//! a small blocking FTP client that can stop mid-upload, and the rule.
//!
//! # The rule, and the commit window
//!
//! A client that got `226` finds the new content byte-exact, in the store
//! right after the kill and through wharfd after a restart. A client that
//! got no `226` finds the name as it was before the upload: absent for
//! `STOR` of a new name, the old content exactly for `APPE` and `REST`+`STOR`
//! (whose name existed before). Never anything in between.
//!
//! One window cannot be closed: wharfd commits (rename, Put Block List,
//! CompleteMultipartUpload) and only then sends `226`; a kill between the
//! two, or a `226` lost with the connection, leaves the new content
//! committed and a client that never heard so. So when the client had
//! sent every byte and closed the data connection before the kill, "no
//! `226`" allows the old content exactly **or** the new content exactly
//! (counted as the commit window); before that point the server cannot
//! have seen the end of the upload, and only the old state is allowed.
//! An object store may also apply a commit request that was on its way
//! when wharfd died after the kill: a name seen as old right after the
//! kill may hold the new content by the time of the restart, in the
//! window only (seen on moto: a CompleteMultipartUpload in flight).
//!
//! # Kill points
//!
//! Each run picks, from a seeded RNG, the sizes, the `REST` offset and the
//! kill point: after a random byte count (the client stops there, the
//! server is killed, the client then tries to go on), at the last byte
//! (the client closes the data connection, waits 0 to 20 ms, then the kill:
//! the commit window; or up to 1.5 s: mostly after the `226`), or after a random delay while a second thread sends
//! at a steady pace. The seed is printed in every failure message;
//! `WHARF_FAULTS_SEED=<seed>` repeats a run exactly (up to the timing of
//! delay kills).
//!
//! SHORT (the default) runs a few kills per kind and store; FULL
//! (`WHARF_FAULTS=full`) runs 20.

use crate::support;

use std::io::Write;
use std::net::Shutdown;
use std::time::{Duration, Instant};

pub(crate) use crate::faults_kill_client::Ftp;

use support::Restartable;
use support::pattern;

/// The seed of this test's runs: `WHARF_FAULTS_SEED`, else the clock.
pub(crate) fn seed() -> u64 {
    std::env::var("WHARF_FAULTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        })
}

/// splitmix64: enough randomness for kill points, and repeatable.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    pub(crate) fn range(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() % (high - low + 1) as u64) as usize
    }

    /// True with probability `percent`/100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The upload being killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Stor,
    Appe,
    RestStor,
}

impl Kind {
    pub(crate) const ALL: [Kind; 3] = [Kind::Stor, Kind::Appe, Kind::RestStor];

    fn label(self) -> &'static str {
        match self {
            Kind::Stor => "stor",
            Kind::Appe => "appe",
            Kind::RestStor => "rest",
        }
    }
}

/// Where the kill falls.
#[derive(Clone, Copy, Debug)]
pub(crate) enum KillAt {
    /// After the client sent this many bytes; at the last byte, after it
    /// closed the data connection and waited the pause.
    Bytes(usize, Duration),
    /// This long after the upload started, while a thread sends.
    Delay(Duration),
}

/// What the client saw.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The final reply was `226`.
    pub(crate) got_226: bool,
    /// The client had sent every byte and closed the data connection
    /// before the kill: the server may have committed.
    pub(crate) closed_before_kill: bool,
    /// The final reply as read (or why there was none).
    pub(crate) reply: String,
}

/// The bytes a paced sender writes between two 1 ms pauses.
const PACE_CHUNK: usize = 64 * 1024;

/// Runs an upload of `kind` (`body` after `offset` for `RestStor`) and
/// kills the server at `kill`; what the client saw.
pub(crate) fn upload_and_kill(
    target: &mut Restartable,
    login: (&str, &str),
    kind: Kind,
    name: &str,
    offset: usize,
    body: &[u8],
    kill: KillAt,
) -> Outcome {
    let mut ftp = Ftp::login(target.server().addr(), login.0, login.1)
        .unwrap_or_else(|e| panic!("login: {e}\n{}", target.logs()));
    let mut data = ftp
        .start(kind, name, offset)
        .unwrap_or_else(|e| panic!("{e}\n{}", target.logs()));
    let closed_before_kill = match kill {
        KillAt::Bytes(count, pause) => {
            data.write_all(&body[..count])
                .unwrap_or_else(|e| panic!("send {count} bytes: {e}\n{}", target.logs()));
            let closed = count == body.len();
            if closed {
                drop(data);
                std::thread::sleep(pause);
                target.kill();
            } else {
                target.kill();
                // Going on after the kill fails sooner or later.
                let _ = data.write_all(&body[count..]);
                let _ = data.shutdown(Shutdown::Write);
            }
            closed
        }
        KillAt::Delay(delay) => {
            let owned = body.to_vec();
            let sender = std::thread::spawn(move || -> Option<Instant> {
                for piece in owned.chunks(PACE_CHUNK) {
                    data.write_all(piece).ok()?;
                    std::thread::sleep(Duration::from_millis(1));
                }
                data.shutdown(Shutdown::Write).ok()?;
                let closed = Instant::now();
                drop(data);
                Some(closed)
            });
            std::thread::sleep(delay);
            let killed_at = Instant::now();
            target.kill();
            let closed_at = sender.join().expect("the sender thread");
            closed_at.is_some_and(|at| at < killed_at)
        }
    };
    let (got_226, reply) = match ftp.reply() {
        Ok((code, text)) => (code == 226, text),
        Err(err) => (false, format!("no reply: {err}")),
    };
    Outcome {
        got_226,
        closed_before_kill,
        reply,
    }
}

/// Which side of the rule a name was found on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// As before the upload (absent, or the old content).
    Old,
    /// The new content, with a `226`.
    New,
    /// The new content without a `226`: the commit window.
    Window,
}

/// Checks what a name holds against the rule (module docs); `context`
/// says which run and where it was looked at.
pub(crate) fn judge(
    context: &str,
    now: Option<&[u8]>,
    old: Option<&[u8]>,
    new: &[u8],
    outcome: &Outcome,
) -> Found {
    let is_new = now == Some(new);
    let is_old = now == old;
    let found = if outcome.got_226 {
        is_new.then_some(Found::New)
    } else if is_old {
        Some(Found::Old)
    } else if is_new && outcome.closed_before_kill {
        Some(Found::Window)
    } else {
        None
    };
    found.unwrap_or_else(|| {
        panic!(
            "{context}: the name holds {} (old: {}, new: {}); the client got {:?}, \
             had closed the data connection before the kill: {}",
            describe(now, new),
            old.map_or("absent".to_owned(), |o| format!("{} bytes", o.len())),
            new.len(),
            outcome.reply.trim(),
            outcome.closed_before_kill,
        )
    })
}

/// What a name holds, compared with `new`.
fn describe(now: Option<&[u8]>, new: &[u8]) -> String {
    let Some(now) = now else {
        return "nothing".to_owned();
    };
    let same = now.iter().zip(new).take_while(|(a, b)| a == b).count();
    format!(
        "{} bytes, equal to the new content's first {same}",
        now.len()
    )
}

/// How a suite sees what is committed, without wharfd.
pub(crate) trait Stored {
    /// The committed bytes under `name`, or `None`.
    fn committed(&self, name: &str) -> Option<Vec<u8>>;

    /// What uploads left besides committed names (temporary files),
    /// looked at right after each kill, before a restart may sweep it.
    fn left_behind(&self) -> Vec<String> {
        Vec::new()
    }
}

/// One store's kill runs: sizes and counts.
pub(crate) struct Plan<'a> {
    /// Prefix of the names, unique per test.
    pub(crate) label: &'a str,
    pub(crate) login: (&'a str, &'a str),
    pub(crate) runs: usize,
    /// Largest old content of `APPE`/`REST`+`STOR` targets.
    pub(crate) old_max: usize,
    /// Largest upload.
    pub(crate) new_max: usize,
}

/// What the runs found, for the suites' own checks.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) old: usize,
    pub(crate) new: usize,
    pub(crate) window: usize,
    /// Names whose upload was killed before its last byte was sent.
    pub(crate) cut: Vec<String>,
    /// Everything [`Stored::left_behind`] showed after some kill.
    pub(crate) left_behind: std::collections::BTreeSet<String>,
}

/// `plan.runs` kills of each kind: each checked in the store right after
/// the kill and through wharfd after a restart (module docs).
pub(crate) fn kill_runs(
    target: &mut Restartable,
    stored: &dyn Stored,
    plan: &Plan<'_>,
    seed: u64,
) -> Tally {
    let mut rng = Rng::new(seed);
    let mut tally = Tally::default();
    for kind in Kind::ALL {
        for run in 0..plan.runs {
            let name = format!("{}-{}-{run}.bin", plan.label, kind.label());
            let data_seed = rng.next();
            let old = (kind != Kind::Stor).then(|| pattern(rng.range(1, plan.old_max), data_seed));
            let body = pattern(rng.range(1, plan.new_max), data_seed ^ 0x5555);
            let offset = match &old {
                Some(old) if kind == Kind::RestStor => rng.range(0, old.len()),
                _ => 0,
            };
            let new = match (&old, kind) {
                (Some(old), Kind::Appe) => [old.as_slice(), &body].concat(),
                (Some(old), Kind::RestStor) => [&old[..offset], body.as_slice()].concat(),
                _ => body.clone(),
            };
            let kill = if rng.chance(50) {
                let count = if rng.chance(30) {
                    body.len()
                } else {
                    rng.range(0, body.len())
                };
                // Mostly inside the commit; sometimes after the 226.
                let pause = if rng.chance(70) { 20 } else { 1500 };
                KillAt::Bytes(count, Duration::from_millis(rng.range(0, pause) as u64))
            } else {
                // About the paced send's length, and a little past it.
                let paced = body.len() / PACE_CHUNK + 1;
                KillAt::Delay(Duration::from_millis(rng.range(0, paced * 2 + 40) as u64))
            };
            let context = format!(
                "WHARF_FAULTS_SEED={seed} {} run {run}: {kind:?} {name}, {} new bytes at {offset}, kill {kill:?}",
                plan.label,
                body.len()
            );
            if let Some(old) = &old {
                let mut ftp = Ftp::login(target.server().addr(), plan.login.0, plan.login.1)
                    .unwrap_or_else(|e| panic!("{context}: login: {e}\n{}", target.logs()));
                ftp.upload(Kind::Stor, &name, 0, old);
            }
            let outcome = upload_and_kill(target, plan.login, kind, &name, offset, &body, kill);
            let in_store = stored.committed(&name);
            tally.left_behind.extend(stored.left_behind());
            let found = judge(
                &format!("{context}, in the store after the kill"),
                in_store.as_deref(),
                old.as_deref(),
                &new,
                &outcome,
            );
            target.restart();
            let mut ftp = Ftp::login(target.server().addr(), plan.login.0, plan.login.1)
                .unwrap_or_else(|e| panic!("{context}: login: {e}\n{}", target.logs()));
            let served = ftp
                .retrieve(&name)
                .unwrap_or_else(|e| panic!("{context}: RETR: {e}\n{}", target.logs()));
            let again = judge(
                &format!("{context}, through wharfd after a restart"),
                served.as_deref(),
                old.as_deref(),
                &new,
                &outcome,
            );
            // A commit request sent before the kill may still be applied
            // by the store afterwards: old, then new, in the window only.
            let late_commit = found == Found::Old && again == Found::Window;
            assert!(
                found == again || late_commit,
                "{context}: {found:?} after the kill, {again:?} after the restart"
            );
            match found {
                Found::Old => tally.old += 1,
                Found::New => tally.new += 1,
                Found::Window => tally.window += 1,
            }
            if !outcome.closed_before_kill {
                tally.cut.push(name);
            }
        }
    }
    tally
}
