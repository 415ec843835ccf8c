//! The `wharfd` command line itself: configuration errors are reported with
//! the key they are about, and nothing starts.

use crate::support;

use std::process::Command;
use std::time::Duration;

/// Runs wharfd with a config file holding `text`; returns (success, stderr).
fn run_with_config(text: &str) -> (bool, String) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("wharfd.toml");
    std::fs::write(&path, text).expect("write config");
    let finished = support::run(
        Command::new(env!("CARGO_BIN_EXE_wharfd"))
            .arg("--config")
            .arg(&path)
            .arg("--root")
            .arg(dir.path().join("root"))
            .arg("--listen")
            .arg("127.0.0.1:0"),
        Duration::from_secs(20),
    );
    (finished.status.success(), finished.stderr_text())
}

#[test]
fn config_errors_name_the_key_and_stop_the_server() {
    for (text, key) in [
        ("[passive]\nports = \"60000-50000\"\n", "passive.ports"),
        ("[limits]\nmax_sesions = 3\n", "max_sesions"),
        ("[[user]]\nname = \"x\"\n", "user[0] (x)"),
        (
            "[[passive.overrides]]\nnetwork = \"10.0.0.0/40\"\naddress = \"1.2.3.4\"\n",
            "passive.overrides[0].network",
        ),
        ("listen = \"not a list\"\n", "listen"),
    ] {
        let (ok, stderr) = run_with_config(text);
        assert!(!ok, "wharfd accepted a bad config:\n{text}");
        assert!(
            stderr.contains(key),
            "the error does not name {key:?}:\n{stderr}"
        );
        assert!(
            stderr.contains("wharfd.toml"),
            "the error does not name the file:\n{stderr}"
        );
    }
}

#[test]
fn hash_password_prints_an_argon2_hash() {
    let hash = support::hash_password("correct horse");
    assert!(
        hash.contains("m=") && hash.matches('$').count() == 5,
        "{hash}"
    );
}
