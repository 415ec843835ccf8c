//! End-to-end tests that need a network namespace of their own, for a
//! kernel setting the host's loopback must not change.
//!
//! `unshare -n` gives the test a private loopback (brought up with `ip`)
//! where `net.ipv4.tcp_timestamps` can be 0, as for a Windows client;
//! `wharfd` and the Python suite function (`netns_*` in
//! `tests/ftplib/wharf_e2e`) both run inside it. That needs root (or
//! CAP_SYS_ADMIN), which CI has: as any other user the test fails unless
//! `WHARF_TEST_NO_ROOT=1` asks to skip it; as root a missing `unshare` or
//! `ip` fails it.

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::{PASSWORD, USER, require_tool, run, suite_functions, suite_path};

/// The namespace is private, so a fixed port is free.
const PORT: u16 = 2121;

/// Starts wharfd in the namespace, waits for its `listening` line, runs
/// one suite function against it, and prints the server log on failure.
const SCRIPT: &str = r#"
set -e
ip link set lo up
sysctl -qw net.ipv4.tcp_timestamps=0
"$WHARFD" --listen "127.0.0.1:$PORT" --root "$ROOT" --user "$LOGIN" \
    --failed-login-delay-ms 0 >"$LOG" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
tries=0
until grep -q "listening on ftp://" "$LOG"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 200 ]; then echo "wharfd did not start"; cat "$LOG"; exit 3; fi
    sleep 0.05
done
if ! python3 "$SUITE" "$FUNCTION" 127.0.0.1 "$PORT" "$ROOT"; then
    echo "--- wharfd log ---"; cat "$LOG"; exit 1
fi
"#;

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// Runs suite function `function` in a fresh network namespace.
// Saying a test was skipped on purpose is what stderr is for in a test.
#[allow(clippy::print_stderr)]
fn run_in_namespace(function: &str) {
    if !is_root() {
        assert!(
            std::env::var("WHARF_TEST_NO_ROOT").as_deref() == Ok("1"),
            "{function} needs root for `unshare -n` (CI runs as root); run as root, \
             or set WHARF_TEST_NO_ROOT=1 to skip it on purpose"
        );
        eprintln!("{function}: SKIPPED on purpose (WHARF_TEST_NO_ROOT=1): needs root");
        return;
    }
    require_tool("python3", "python3");
    require_tool("unshare", "util-linux");
    require_tool("ip", "iproute2");
    let base = tempfile::tempdir().expect("create a temporary directory");
    let root = base.path().join("root");
    std::fs::create_dir(&root).expect("create the server root");
    let finished = run(
        Command::new("unshare")
            .args(["-n", "sh", "-c", SCRIPT])
            .env("WHARFD", env!("CARGO_BIN_EXE_wharfd"))
            .env("PORT", PORT.to_string())
            .env("ROOT", &root)
            .env("LOGIN", format!("{USER}:{PASSWORD}"))
            .env("LOG", base.path().join("wharfd.log"))
            .env("SUITE", suite_path())
            .env("FUNCTION", function)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("NO_COLOR", "1"),
        Duration::from_secs(30),
    );
    assert!(
        finished.status.success(),
        "{function} in a network namespace failed\n{}",
        finished.report()
    );
}

/// Without TCP timestamps every default-port download after the first
/// finds the pair (L-1, U) in TIME_WAIT: each still succeeds from an
/// ephemeral port, the retries paid once per busy pair.
#[test]
fn netns_default_port_without_timestamps() {
    run_in_namespace("netns_default_port_without_timestamps");
}

/// Every `netns_*` suite function has its test here.
#[test]
fn every_netns_suite_function_is_declared() {
    let in_suite: Vec<String> = suite_functions()
        .into_iter()
        .filter(|name| name.starts_with("netns_"))
        .collect();
    assert_eq!(in_suite, ["netns_default_port_without_timestamps"]);
}
