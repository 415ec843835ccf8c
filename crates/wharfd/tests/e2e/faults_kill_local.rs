//! Faults: wharfd killed (SIGKILL) during uploads to the local disk, then
//! started again on the same root (the rule and the kill points:
//! `faults_kill.rs`).
//!
//! - `STOR`, `APPE` and `REST`+`STOR` at random kill points: the name
//!   holds the old content or, after a `226` (or in the commit window),
//!   the whole new content, right after the kill and after a restart.
//!   `APPE` and `REST`+`STOR` write a copy of the file and rename it over
//!   the name (wharf-fs `copied.rs`); written in place they would leave
//!   the old content plus part of the new one, which this test catches.
//! - The temporary files the kills left (seen right after each kill) are
//!   removed at the next start once they are a minute old (wharfd sweeps at
//!   start and a minute later; the test ages them instead of waiting),
//!   while a live upload's file, which
//!   its writer keeps `flock`ed, survives a sweep by another server on the
//!   same root whatever its age.
//! - Usage counts: after a kill the usage store lacks at most what one
//!   flush interval could carry at the upload rate limit.

use crate::faults_kill::{Ftp, Kind, Plan, Stored, kill_runs, seed};
use crate::support;
use crate::support::full;

use std::fs::{self, File, FileTimes};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use support::{Restartable, Server, ServerBuilder, pattern};

/// The user whose root is in the restartable state directory.
const LOGIN: (&str, &str) = ("kill", "pw");

/// The served root inside the state directory.
fn root_of(state: &Path) -> PathBuf {
    state.join("root")
}

/// A server whose user `kill` is rooted in `state/root`, with `extra`.
fn local_server(state: &Path, extra: &[&str]) -> ServerBuilder {
    let root = root_of(state);
    fs::create_dir_all(&root).expect("create the root");
    let users = format!(
        "[[user]]\nname = \"{}\"\npassword = \"{}\"\nroot = {:?}\n",
        LOGIN.0,
        LOGIN.1,
        root.to_str().expect("utf-8")
    );
    Server::builder()
        .file("users.toml", &users)
        .args(&["--users", "{base}/users.toml"])
        .args(extra)
}

/// The files of a root, read directly.
struct Disk(PathBuf);

impl Stored for Disk {
    fn committed(&self, name: &str) -> Option<Vec<u8>> {
        fs::read(self.0.join(name)).ok()
    }

    fn left_behind(&self) -> Vec<String> {
        temp_files(&self.0)
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect()
    }
}

/// The upload temporary files in `dir`.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .expect("read the root")
        .map(|entry| entry.expect("an entry").path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".wharf-upload-"))
        })
        .collect()
}

/// Sets a file's modification time `age` into the past.
fn backdate(path: &Path, age: Duration) {
    let when = SystemTime::now() - age;
    File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_times(FileTimes::new().set_modified(when)))
        .expect("backdate a file");
}

/// Waits (20 s at most) for `server` to log a line holding `text`; the
/// log so far.
fn wait_for_log(server: &Server, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = server.log_text();
        if log.contains(text) {
            return log;
        }
        assert!(
            Instant::now() < deadline,
            "no `{text}` in the log\n{}",
            server.log_tail()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// STOR, APPE and REST+STOR killed at random points (SHORT: 3 of each;
/// FULL: 20 of each, larger files). Client side: a `226` or a broken
/// connection. Afterwards: each name holds its old content exactly, or
/// the new content exactly after a 226 (or in the commit window), in the
/// root right after the kill and through the restarted wharfd. Then the
/// temporary files the kills left, once a minute old (aged by the test),
/// are gone after the next start, and nothing else is.
#[test]
fn sigkill_during_uploads_to_local_disk_commits_whole_files_only() {
    let mut target = Restartable::start(|state| local_server(state, &[]));
    let root = root_of(target.state());
    let seed = seed();
    let plan = Plan {
        label: "local",
        login: LOGIN,
        runs: if full() { 20 } else { 3 },
        old_max: if full() { 12 << 20 } else { 3 << 20 },
        new_max: if full() { 24 << 20 } else { 6 << 20 },
    };
    let tally = kill_runs(&mut target, &Disk(root.clone()), &plan, seed);
    let context = format!("WHARF_FAULTS_SEED={seed} {tally:?}");

    // What the kills left: a temporary file per upload cut mid-way, seen
    // right after its kill. Restarts more than a minute later (FULL) may
    // have swept some already; the rest go now, aged past the minute.
    assert!(
        tally.left_behind.len() >= tally.cut.len(),
        "{context}: {} temporary files for {} cut uploads\n{}",
        tally.left_behind.len(),
        tally.cut.len(),
        target.logs()
    );
    let temps = temp_files(&root);
    for temp in &temps {
        backdate(temp, Duration::from_secs(120));
    }
    target.restart();
    let log = wait_for_log(target.server(), "swept orphaned upload temporary files");
    assert!(
        log.contains(&format!("removed={} ", temps.len())),
        "{context}: not all {} swept\n{}",
        temps.len(),
        target.logs()
    );
    assert_eq!(temp_files(&root), Vec::<PathBuf>::new(), "{context}");
    // Nothing but temporary files went: every name still reads as judged.
    let mut ftp = Ftp::login(target.server().addr(), LOGIN.0, LOGIN.1).expect("login");
    let names = ftp.names().expect("NLST");
    for kind in ["stor", "appe", "rest"] {
        for run in 0..plan.runs {
            let name = format!("local-{kind}-{run}.bin");
            let listed = names.contains(&name);
            assert_eq!(
                listed,
                root.join(&name).exists(),
                "{context}: {name} listed {listed}"
            );
        }
    }
}

/// Two servers on one root, as a fleet shares a directory: an upload in
/// progress on one (stalled half-way, its temporary file aged two hours)
/// survives the start-up sweep of the other, which logs it as live; the
/// upload then ends with 226 and the exact bytes.
#[test]
fn a_start_never_sweeps_a_live_upload_of_another_server() {
    let target = Restartable::start(|state| local_server(state, &[]));
    let root = root_of(target.state());
    let body = pattern(3 << 20, 77);
    let mut ftp = Ftp::login(target.server().addr(), LOGIN.0, LOGIN.1).expect("login");
    let mut data = ftp.start(Kind::Appe, "live.bin", 0).expect("APPE");
    data.write_all(&body[..1 << 20]).expect("send a first part");
    data.flush().expect("flush");
    let deadline = Instant::now() + Duration::from_secs(10);
    let temp = loop {
        if let Some(temp) = temp_files(&root).pop() {
            break temp;
        }
        assert!(Instant::now() < deadline, "no temporary file");
        std::thread::sleep(Duration::from_millis(20));
    };
    backdate(&temp, Duration::from_secs(7200));
    let other = local_server(target.state(), &[]).start();
    let log = wait_for_log(&other, "swept orphaned upload temporary files");
    assert!(
        log.contains("removed=0 ") && log.contains("kept_live=1"),
        "{}",
        other.log_tail()
    );
    assert!(temp.exists(), "the live upload's file was swept");
    data.write_all(&body[1 << 20..]).expect("send the rest");
    drop(data);
    assert_eq!(ftp.reply().expect("the final reply").0, 226);
    assert!(fs::read(root.join("live.bin")).expect("live.bin") == body);
}
