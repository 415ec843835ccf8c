//! The session fuzzer as a bounded proptest, so `cargo test` runs it, and
//! known sessions that reach each promise it checks.

use proptest::prelude::*;

use super::{run_script, run_session};

fn lines(script: &[&str]) -> Vec<Vec<u8>> {
    script.iter().map(|l| l.as_bytes().to_vec()).collect()
}

#[test]
fn a_session_of_every_family_keeps_every_promise() {
    let script = lines(&[
        "USER a",
        "PASS s",
        "MKD x",
        "CWD x",
        "PASV",
        "STOR f",
        "TYPE A",
        "EPSV",
        "RETR f",
        "REST 3",
        "APPE f",
        "RNFR f",
        "RNTO /d/g",
        "SIZE /d/g",
        "MLSD /d",
        "CDUP",
        "DELE /d/g",
        "RMD x",
        "PORT 192,0,2,10,195,80",
        "LIST",
        "AUTH TLS",
        "PBSZ 0",
        "PROT P",
        "CCC",
        "MODE B",
        "STOR b",
        "",
        "\u{ff}\u{fe}garbage",
        "REIN",
        "QUIT",
    ]);
    assert_eq!(run_session(&script), Ok(()));
}

#[test]
fn a_rename_to_itself_and_a_folder_into_itself() {
    let script = lines(&[
        "USER a",
        "PASS s",
        "RNFR a",
        "RNTO a",
        "RNFR d",
        "RNTO d/x",
        "RNFR d",
        "RNTO /d/../d2",
        "CWD d2",
        "PWD",
    ]);
    assert_eq!(run_session(&script), Ok(()));
}

#[test]
fn the_session_closes_after_the_last_failed_login_allowed() {
    // The fuzzer's first find was its own: it sent PWD after the 421.
    let script = lines(&[
        "USER nobody",
        "PASS s",
        "USER nobody",
        "PASS s",
        "USER nobody",
        "PASS wrong",
        "PWD",
    ]);
    assert_eq!(run_session(&script), Ok(()));
}

#[test]
fn names_are_checked_as_the_engine_reads_them_after_telnet_commands() {
    // The long run's find (fuzz/README.md): `APPE IAC 0xBE CC&TQ 0x1E` stores
    // `0xBE CC&TQ 0x1E` (an IAC before a byte that is no Telnet command is
    // dropped), and the check looked for the name with the IAC in it.
    let input = [
        67, 68, 85, 65, 80, 80, 69, 32, 255, 190, 67, 67, 38, 84, 81, 30,
    ];
    assert_eq!(run_script(&input), Ok(()));
    let script = vec![b"APPE \xff\xffx".to_vec(), b"SIZE \xffx".to_vec()];
    assert_eq!(run_session(&script), Ok(()), "IAC IAC is one 0xFF byte");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Arbitrary scripts (mostly well-formed commands on a few names, with
    /// raw lines between) keep every promise `session.rs` lists.
    #[test]
    fn arbitrary_sessions_keep_every_promise(data in proptest::collection::vec(any::<u8>(), 0..160)) {
        prop_assert_eq!(run_script(&data), Ok(()));
    }
}
