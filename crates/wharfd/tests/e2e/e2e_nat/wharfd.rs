//! wharfd in a lab namespace: a config file of the topology's, a fresh
//! root, the test user, a self-signed certificate for FTPS, and the short
//! data-connect timeout that bounds every failure the tests expect.

use super::lab::Lab;
use crate::support::{PASSWORD, USER};

use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// wharfd's data-connect timeout in every topology (`[timeouts]
/// data_connect_secs`): a data connection that cannot open fails with 425
/// after this long, which the failure cases assert.
pub(super) const CONNECT_SECS: u64 = 3;

/// Longest wharfd may take to print its `listening` line.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// A wharfd started by [`start`]; the lab stops it.
pub(super) struct Wharfd {
    root: PathBuf,
    log: PathBuf,
}

impl Wharfd {
    /// The directory served as `/`.
    pub(super) fn root(&self) -> &Path {
        &self.root
    }

    /// The last lines of wharfd's log, for failure messages.
    pub(super) fn log_tail(&self) -> String {
        let log = fs::read(&self.log).unwrap_or_default();
        let text = String::from_utf8_lossy(&log[log.len().saturating_sub(8 * 1024)..]);
        text.into_owned()
    }
}

/// Starts wharfd in `ns` listening on `listen` (`10.25.1.2:21`) with
/// `config` (TOML: the topology's `[passive]` section) after a
/// `[timeouts]` section of [`CONNECT_SECS`], and waits for its
/// `listening` line.
pub(super) fn start(lab: &mut Lab, ns: &str, listen: &str, config: &str) -> Wharfd {
    let root = lab.dir().join("root");
    fs::create_dir_all(&root).expect("create the server root");
    let config_path = lab.dir().join("wharfd.toml");
    fs::write(
        &config_path,
        format!("[timeouts]\ndata_connect_secs = {CONNECT_SECS}\n\n{config}"),
    )
    .expect("write the config file");
    let mut command = lab.command(ns, env!("CARGO_BIN_EXE_wharfd"));
    command
        .arg("--config")
        .arg(&config_path)
        .args(["--listen", listen, "--root"])
        .arg(&root)
        .args(["--user", &format!("{USER}:{PASSWORD}")])
        .args(["--failed-login-delay-ms", "0", "--tls-self-signed"])
        .env("NO_COLOR", "1");
    let (out, log) = lab.spawn("wharfd", command);
    let server = Wharfd { root, log };
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let printed = fs::read_to_string(&out).unwrap_or_default();
        if printed.contains("listening on ftp://") {
            return server;
        }
        assert!(
            !lab.last_exited() && Instant::now() < deadline,
            "wharfd did not start in {ns} on {listen}\n--- stdout ---\n{printed}\n--- log ---\n{}",
            server.log_tail()
        );
        thread::sleep(Duration::from_millis(20));
    }
}
