//! Faults: what an upload killed half-way leaves in an object store, for
//! the Azure and S3 kill suites (`faults_kill_azure.rs`,
//! `faults_kill_s3.rs`): one kill made sure to leave staged data (blocks
//! not committed, a multipart upload not completed), and the checks that
//! wharfd neither lists nor serves such a name and that a new upload to it
//! commits only its own bytes.

use crate::faults_kill::{Ftp, Kind, Stored};
use crate::support;

use std::io::Write;
use std::time::{Duration, Instant};

use support::{Restartable, hash_password, pattern};

/// A users file with the one account of a kill suite.
pub(crate) fn users_file(login: (&str, &str)) -> String {
    format!(
        "[[user]]\nname = \"{}\"\npassword_hash = \"{}\"\n",
        login.0,
        hash_password(login.1)
    )
}

/// A `STOR` of `body` to `name` killed once the store holds part of it
/// (`staged` says so: a staged block, a multipart upload), after `sent`
/// bytes; the server is started again. For the checks on what such a
/// kill leaves, which random kill points reach only sometimes.
pub(crate) fn kill_once_staged(
    target: &mut Restartable,
    login: (&str, &str),
    name: &str,
    body: &[u8],
    sent: usize,
    staged: &dyn Fn() -> bool,
) {
    let mut ftp = Ftp::login(target.server().addr(), login.0, login.1)
        .unwrap_or_else(|e| panic!("login: {e}\n{}", target.logs()));
    let mut data = ftp
        .start(Kind::Stor, name, 0)
        .unwrap_or_else(|e| panic!("STOR {name}: {e}\n{}", target.logs()));
    data.write_all(&body[..sent])
        .unwrap_or_else(|e| panic!("send: {e}\n{}", target.logs()));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !staged() {
        assert!(
            Instant::now() < deadline,
            "nothing of {name} staged in the store\n{}",
            target.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    target.kill();
    drop(data);
    target.restart();
}

/// After the kills: `staged_only` (names the store holds only as staged
/// data, which must include `expected`) are neither in wharfd's listing
/// nor served, wharfd lists exactly `committed`, and a new `STOR` to the
/// first staged name commits its own bytes in `store`. `context` goes
/// into every failure message.
pub(crate) fn staged_names_stay_hidden(
    target: &Restartable,
    login: (&str, &str),
    store: &dyn Stored,
    (mut committed, staged_only): (Vec<String>, Vec<String>),
    expected: &str,
    context: &str,
) {
    assert!(
        staged_only.iter().any(|n| n == expected),
        "{context}: {staged_only:?}"
    );
    let mut ftp = Ftp::login(target.server().addr(), login.0, login.1).expect("login");
    let mut listed = ftp.names().expect("NLST");
    for name in &staged_only {
        assert!(
            !listed.contains(name),
            "{context}: {name} (staged only) is listed"
        );
        assert_eq!(
            ftp.retrieve(name).expect("RETR"),
            None,
            "{context}: {name} served"
        );
    }
    listed.sort();
    committed.sort();
    assert_eq!(
        listed, committed,
        "{context}: wharfd lists what is committed"
    );
    if let Some(name) = staged_only.first() {
        let fresh = pattern(100_000, 9);
        ftp.upload(Kind::Stor, name, 0, &fresh);
        assert!(store.committed(name) == Some(fresh), "{context}: {name}");
    }
}
