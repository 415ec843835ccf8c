//! Issue 17, "Login defence", passthrough: the FTP password of
//! `--azure-passthrough` is a storage account's master key.
//!
//! - wharfd refuses to start unless logins need TLS, or the operator names
//!   the risk (`--allow-account-keys-in-clear`);
//! - `--azure-accounts` limits which accounts may log in, and any other is
//!   refused even with its right key (against Azurite).
//!
//! The gate in front of the store checks is tested next to it
//! (`src/passthrough.rs`): a flood of logins opens a bounded number of
//! connections.

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::azurite::{ACCOUNT, Azurite, KEY};
use support::{Server, require_tool, run};

const CURL_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs wharfd with `args` (and a fresh root, port 0) until it exits; it
/// must not start. Returns its stderr.
fn refused_start(args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("test set-up");
    let finished = run(
        Command::new(env!("CARGO_BIN_EXE_wharfd"))
            .args(["--listen", "127.0.0.1:0", "--root"])
            .arg(dir.path().join("root"))
            .args(args),
        Duration::from_secs(20),
    );
    assert!(
        !finished.status.success(),
        "wharfd started with {args:?}\n{}",
        finished.report()
    );
    finished.stderr_text()
}

#[test]
fn passthrough_without_tls_for_logins_does_not_start() {
    // No store is needed: the refusal comes before any request.
    let endpoint = "http://127.0.0.1:9/{account}";
    for extra in [
        &[][..],
        &["--tls-self-signed"][..],
        &["--tls-self-signed", "--tls-required", "data"][..],
    ] {
        let mut args = vec!["--azure-passthrough", "--azure-endpoint", endpoint];
        args.extend_from_slice(extra);
        let stderr = refused_start(&args);
        assert!(
            stderr.contains("--tls-required login")
                && stderr.contains("--allow-account-keys-in-clear"),
            "the error does not name both fixes:\n{stderr}"
        );
    }
    // The same from a config file.
    let dir = tempfile::tempdir().expect("test set-up");
    let config = dir.path().join("wharfd.toml");
    std::fs::write(
        &config,
        format!("[azure]\npassthrough = true\nendpoint = \"{endpoint}\"\n"),
    )
    .expect("test set-up");
    let stderr = refused_start(&["--config", config.to_str().expect("utf-8")]);
    assert!(stderr.contains("allow_account_keys_in_clear"), "{stderr}");

    // A throwaway certificate protects nothing: clients cannot verify it.
    let stderr = refused_start(&[
        "--azure-passthrough",
        "--azure-endpoint",
        endpoint,
        "--tls-self-signed",
        "--tls-required",
        "login",
    ]);
    assert!(
        stderr.contains("--tls-self-signed") && stderr.contains("--tls-cert"),
        "{stderr}"
    );

    // Either fix lets it start: the server's own certificate, or the risk
    // accepted by name.
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("test set-up");
    std::fs::write(dir.path().join("cert.pem"), generated.cert.pem()).expect("test set-up");
    std::fs::write(
        dir.path().join("key.pem"),
        generated.signing_key.serialize_pem(),
    )
    .expect("test set-up");
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    let tls = Server::builder()
        .args(&[
            "--tls-cert",
            cert.to_str().expect("utf-8"),
            "--tls-key",
            key.to_str().expect("utf-8"),
            "--tls-required",
            "login",
            "--azure-passthrough",
            "--azure-endpoint",
            endpoint,
        ])
        .start();
    drop(tls);
    let named = Server::builder()
        .config(&format!(
            "[azure]\npassthrough = true\nendpoint = \"{endpoint}\"\nallow_account_keys_in_clear = true\n"
        ))
        .start();
    drop(named);
}

/// curl as the Azurite account with its right key, listing `/`: its exit
/// code (67 is a refused login).
fn login_code(server: &Server) -> Option<i32> {
    require_tool("curl", "curl");
    let finished = run(
        Command::new("curl").args([
            "-sS",
            "-u",
            &format!("{ACCOUNT}:{KEY}"),
            &format!("{}/", server.url()),
        ]),
        CURL_TIMEOUT,
    );
    finished.status.code()
}

fn bridge(azurite: &Azurite, extra: &[&str]) -> Server {
    Server::builder()
        .args(&[
            "--azure-passthrough",
            "--azure-endpoint",
            &azurite.endpoint(),
            "--allow-account-keys-in-clear",
        ])
        .args(extra)
        .start()
}

#[test]
fn only_the_listed_accounts_may_log_in() {
    let azurite = Azurite::start();
    let listed = bridge(
        &azurite,
        &["--azure-accounts", &format!("other1,{ACCOUNT}")],
    );
    assert_eq!(login_code(&listed), Some(0), "{}", listed.log_tail());
    assert!(
        !listed
            .log_text()
            .contains("every storage account may log in"),
        "warned with a list"
    );

    // The right key, but the account is not on the list: 530.
    let others = bridge(&azurite, &["--azure-accounts", "other1,other2"]);
    assert_eq!(login_code(&others), Some(67), "{}", others.log_tail());

    // No list: everyone, with a warning at start.
    let mut open = bridge(&azurite, &[]);
    assert_eq!(login_code(&open), Some(0));
    let log = open.stop_and_log();
    assert!(log.contains("every storage account may log in"), "{log}");

    // A name that cannot be an account is a configuration error.
    let stderr = refused_start(&[
        "--azure-passthrough",
        "--allow-account-keys-in-clear",
        "--azure-accounts",
        "Not/An-Account",
    ]);
    assert!(stderr.contains("--azure-accounts"), "{stderr}");
}
