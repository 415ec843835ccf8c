//! `wharfd check-config [FILE]`: a configuration checked as start-up
//! checks it, without binding, serving or creating anything.

use crate::support::{self, Finished};

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Runs `wharfd ARGS` and returns what it did.
fn wharfd(args: &[&str]) -> Finished {
    support::run(
        Command::new(env!("CARGO_BIN_EXE_wharfd"))
            .args(args)
            .env("NO_COLOR", "1"),
        Duration::from_secs(30),
    )
}

fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// A configuration that listens on a port the test holds (binding it
/// would fail), with a users file holding a hash, a self-signed
/// certificate and a root that does not exist: accepted in both forms,
/// and nothing is created.
#[test]
fn a_good_configuration_is_ok_and_nothing_is_bound_or_created() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let root = dir.path().join("not-yet");
    let users = dir.path().join("users.toml");
    let hash = support::hash_password("pw");
    std::fs::write(
        &users,
        format!("[[user]]\nname = \"bob\"\npassword_hash = \"{hash}\"\nwritable = true\n"),
    )
    .expect("write the users file");
    let config = dir.path().join("wharfd.toml");
    std::fs::write(
        &config,
        format!(
            "listen = [\"{}\"]\nroot = \"{}\"\nusers_file = \"{}\"\n[tls]\nself_signed = true\nrequired = \"login\"\n",
            held.local_addr().expect("address"),
            text(&root),
            text(&users),
        ),
    )
    .expect("write the config");

    for args in [
        vec!["check-config", text(&config)],
        vec!["--config", text(&config), "check-config"],
    ] {
        let finished = wharfd(&args);
        assert_eq!(
            finished.status.code(),
            Some(0),
            "{args:?}\n{}",
            finished.report()
        );
        let stdout = finished.stdout_text();
        assert!(stdout.contains("wharfd: configuration OK"), "{stdout}");
        assert!(!stdout.contains("listening on"), "{stdout}");
        assert!(
            stdout.contains(&format!("{} does not exist", root.display())),
            "{stdout}"
        );
        assert!(!root.exists(), "check-config created the root");
    }
}

/// Each broken configuration exits 2 with one `wharfd: error:` line that
/// names what is wrong, and never says OK.
#[test]
fn bad_configurations_exit_2_with_the_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let root = dir.path().join("root");
    std::fs::create_dir(&root).expect("root");
    let missing = dir.path().join("missing.pem");
    let root_line = format!("root = \"{}\"\n", text(&root));
    let cases = [
        (
            format!("{root_line}[limits]\nmax_sesions = 3\n"),
            "max_sesions",
        ),
        (
            format!(
                "{root_line}users_file = \"{}\"\n",
                text(&dir.path().join("nope.toml"))
            ),
            "nope.toml",
        ),
        (
            format!(
                "{root_line}[tls]\ncert = \"{}\"\nkey = \"{}\"\n",
                text(&missing),
                text(&missing)
            ),
            "tls.cert/tls.key",
        ),
        (
            format!("{root_line}storage = \"ftp://example\"\n"),
            "ftp://example",
        ),
        (
            format!("{root_line}run_as = \"no-such-user-wharf\"\n"),
            "no-such-user-wharf",
        ),
    ];
    for (i, (toml, names)) in cases.iter().enumerate() {
        let config = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&config, toml).expect("write the config");
        let finished = wharfd(&["check-config", text(&config)]);
        assert_eq!(
            finished.status.code(),
            Some(2),
            "{toml}\n{}",
            finished.report()
        );
        let stderr = finished.stderr_text();
        assert!(
            stderr.contains("wharfd: error:") && stderr.contains(names),
            "the error does not name {names:?}:\n{toml}\n{stderr}"
        );
        assert!(!finished.stdout_text().contains("configuration OK"));
    }

    let config = dir.path().join("bad0.toml");
    let finished = wharfd(&["--config", text(&config), "check-config", text(&config)]);
    assert_eq!(finished.status.code(), Some(2), "{}", finished.report());
    assert!(finished.stderr_text().contains("give one"));
}
