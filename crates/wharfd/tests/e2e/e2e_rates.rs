//! Bandwidth limits shared between sessions, end to end with curl: the
//! whole server's (`--server-download-rate`) and a user's (`upload_rate`
//! in the user's table; a virtual host's is wired the same way and checked
//! in the settings' tests). Bench-style checks with loose bounds: over a
//! couple of seconds the rate is within 15 % of the configured one.

use crate::support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::{Server, require_tool, run};

const MIB: f64 = 1024.0 * 1024.0;

/// Runs `transfers` (curl arguments each, for `user:password`) at once and
/// returns the seconds all of them took.
fn all_at_once(transfers: &[Vec<String>]) -> f64 {
    require_tool("curl", "curl");
    let started = Instant::now();
    std::thread::scope(|s| {
        let running: Vec<_> = transfers
            .iter()
            .map(|args| {
                s.spawn(move || {
                    let finished = run(
                        Command::new("curl")
                            .arg("--disable")
                            .args(["-sS", "--noproxy", "*", "-o", "/dev/null"])
                            .args(args),
                        Duration::from_secs(60),
                    );
                    assert!(finished.status.success(), "{}", finished.report());
                })
            })
            .collect();
        for transfer in running {
            transfer.join().expect("a transfer thread");
        }
    });
    started.elapsed().as_secs_f64()
}

#[track_caller]
fn assert_rate(bytes: f64, seconds: f64, expected: f64, what: &str) {
    let rate = bytes / seconds;
    assert!(
        (rate / expected - 1.0).abs() <= 0.15,
        "{what}: {rate:.0} B/s against {expected} B/s ({seconds:.2} s)"
    );
}

#[test]
fn the_server_rate_holds_all_users_together() {
    let server = Server::builder()
        .args(&["--server-download-rate", "1MiB/s", "--user", "bob:pw"])
        .start();
    std::fs::write(server.root().join("one.bin"), vec![5u8; 1024 * 1024]).expect("a file");
    let url = format!("{}/one.bin", server.url());
    let seconds = all_at_once(&[
        vec!["-u".into(), "alice:secret".into(), url.clone()],
        vec!["-u".into(), "bob:pw".into(), url],
    ]);
    assert_rate(
        2.0 * MIB,
        seconds,
        MIB,
        "two users under a 1 MiB/s server rate",
    );
}

#[test]
fn a_user_rate_holds_that_user_s_sessions_together() {
    let config = "[[user]]\nname = \"carol\"\npassword = \"pw\"\nupload_rate = \"1MiB/s\"\n\
                  [[user]]\nname = \"dave\"\npassword = \"pw\"\n";
    let server = Server::builder()
        .file("wharfd.toml", config)
        .args(&["--config", "{base}/wharfd.toml"])
        .start();
    let local = server.outside().join("up.bin");
    std::fs::write(&local, vec![6u8; 1024 * 1024]).expect("a file");
    let upload = |user: &str, name: &str| -> Vec<String> {
        vec![
            "-u".into(),
            format!("{user}:pw"),
            "-T".into(),
            local.to_str().expect("utf-8").into(),
            format!("{}/{name}", server.url()),
        ]
    };
    let seconds = all_at_once(&[upload("carol", "c1"), upload("carol", "c2")]);
    assert_rate(2.0 * MIB, seconds, MIB, "two sessions of a 1 MiB/s user");
    // Another user is not held to carol's rate.
    let seconds = all_at_once(&[upload("dave", "d1")]);
    assert!(seconds < 0.5, "dave took {seconds:.2} s");
}
