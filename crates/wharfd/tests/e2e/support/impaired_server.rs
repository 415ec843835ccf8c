//! wharfd behind an [`ImpairedLink`]: started in the link's server
//! namespace on local disk or on an Azurite of its own (Azurite runs in
//! the same namespace, since the host's loopback is out of reach there),
//! with its admin listener on the namespace's loopback for the session
//! count; and curl in the client namespace.

use super::azurite::{ACCOUNT, KEY};
use super::impaired_link::{ImpairedLink, SERVER_IP};
use super::{Finished, PASSWORD, Tls, USER, run};

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

/// Longest wharfd (or Azurite) may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The admin listener, on the server namespace's own loopback.
const ADMIN: &str = "127.0.0.1:9100";
/// Azurite's port on the server namespace's loopback.
const AZURITE_PORT: u16 = 10_000;
/// The directory (a container on Azurite) the tests' files live in.
pub(crate) const DIR: &str = "box";

/// Where the server keeps files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Store {
    LocalDisk,
    Azurite,
}

/// A wharfd in the link's server namespace; the link's lab stops it.
pub(crate) struct ImpairedServer {
    store: Store,
    root: PathBuf,
    log: PathBuf,
    server_ns: String,
    client_ns: String,
}

impl ImpairedServer {
    /// Starts wharfd (and Azurite for [`Store::Azurite`]) in the server
    /// namespace with `config` (TOML) and creates [`DIR`], through the
    /// link, which must be clean.
    pub(crate) fn start(link: &mut ImpairedLink, store: Store, config: &str) -> Self {
        let server_ns = link.server().to_owned();
        let client_ns = link.client().to_owned();
        let dir = link.lab().dir().to_owned();
        let root = dir.join("root");
        fs::create_dir_all(&root).expect("create the server root");
        let config_path = dir.join("wharfd.toml");
        fs::write(&config_path, config).expect("write the config file");
        let mut command = link.lab().command(&server_ns, env!("CARGO_BIN_EXE_wharfd"));
        command
            .arg("--config")
            .arg(&config_path)
            .args(["--listen", &format!("{SERVER_IP}:21"), "--root"])
            .arg(&root)
            .args(["--user", &format!("{USER}:{PASSWORD}")])
            .args(["--failed-login-delay-ms", "0", "--tls-self-signed"])
            .args(["--admin-listen", ADMIN])
            .env("NO_COLOR", "1");
        if store == Store::Azurite {
            start_azurite(link, &server_ns);
            let key = dir.join("storage.key");
            fs::write(&key, KEY).expect("write the storage key");
            command
                .args(["--storage", &format!("azure://{ACCOUNT}")])
                .arg("--storage-key-file")
                .arg(&key)
                .args([
                    "--azure-endpoint",
                    &format!("http://127.0.0.1:{AZURITE_PORT}/{{account}}"),
                ]);
        }
        let (out, log) = link.lab().spawn("wharfd", command);
        let server = Self {
            store,
            root,
            log,
            server_ns,
            client_ns,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while !fs::read_to_string(&out)
            .unwrap_or_default()
            .contains("listening on ftp://")
        {
            assert!(
                !link.lab().last_exited() && Instant::now() < deadline,
                "wharfd did not start\n{}",
                server.log_tail()
            );
            thread::sleep(Duration::from_millis(20));
        }
        let made = server.curl(Tls::Plain, &["-Q", &format!("MKD /{DIR}"), &server.url("")]);
        assert!(made.status.success(), "MKD /{DIR}\n{}", made.report());
        server
    }

    /// `ftp://10.77.0.2:21/DIR/name` (`name` empty: the root).
    pub(crate) fn url(&self, name: &str) -> String {
        if name.is_empty() {
            format!("ftp://{SERVER_IP}:21/")
        } else {
            format!("ftp://{SERVER_IP}:21/{DIR}/{name}")
        }
    }

    /// The last part of wharfd's log, for failure messages.
    pub(crate) fn log_tail(&self) -> String {
        let log = fs::read(&self.log).unwrap_or_default();
        String::from_utf8_lossy(&log[log.len().saturating_sub(12 * 1024)..]).into_owned()
    }

    /// `curl` in the client namespace with the test user, `tls`, a
    /// `max_time` bound and `args`, as a command to run or spawn.
    pub(crate) fn curl_command(&self, tls: Tls, max_time: Duration, args: &[&str]) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.client_ns, "curl", "--disable"])
            .args(["--silent", "--show-error", "--verbose", "--noproxy", "*"])
            // curl counts the connection phase from the start, login and
            // the data connection included: over 5 % loss and 200 ms a few
            // lost SYNs and replies take more than its usual 10 s.
            .args(["--insecure", "--connect-timeout", "60"])
            .args(["--max-time", &max_time.as_secs().to_string()])
            .args(["--user", &format!("{USER}:{PASSWORD}")]);
        if tls == Tls::Explicit {
            command.arg("--ssl-reqd");
        }
        command.args(args);
        command
    }

    /// Runs curl in the client namespace (at most 60 s).
    pub(crate) fn curl(&self, tls: Tls, args: &[&str]) -> Finished {
        let limit = Duration::from_secs(60);
        run(
            &mut self.curl_command(tls, limit, args),
            limit + Duration::from_secs(5),
        )
    }

    /// Puts `data` on the server as `DIR/name`: straight onto the disk, or
    /// through the (clean) link for Azurite.
    pub(crate) fn place(&self, name: &str, data: &[u8]) {
        match self.store {
            Store::LocalDisk => {
                fs::write(self.root.join(DIR).join(name), data).expect("write a server file");
            }
            Store::Azurite => {
                let local = self
                    .root
                    .parent()
                    .expect("a lab dir")
                    .join(format!("place-{name}"));
                fs::write(&local, data).expect("write a local file");
                let path = local.to_str().expect("UTF-8 paths");
                let up = self.curl(Tls::Plain, &["-T", path, &self.url(name)]);
                assert!(up.status.success(), "upload {name}\n{}", up.report());
            }
        }
    }

    /// What the server holds as `DIR/name` (None when nothing): from the
    /// disk, or downloaded through the (clean) link from Azurite.
    pub(crate) fn fetch(&self, name: &str) -> Option<Vec<u8>> {
        match self.store {
            Store::LocalDisk => fs::read(self.root.join(DIR).join(name)).ok(),
            Store::Azurite => {
                let local = self
                    .root
                    .parent()
                    .expect("a lab dir")
                    .join(format!("fetch-{name}"));
                let path = local.to_str().expect("UTF-8 paths");
                let got = self.curl(Tls::Plain, &["-o", path, &self.url(name)]);
                got.status
                    .success()
                    .then(|| fs::read(&local).unwrap_or_default())
            }
        }
    }

    /// The sum of every sample of wharfd's metric `name` (all label sets),
    /// read from its admin listener inside the server namespace.
    pub(crate) fn metric(&self, name: &str) -> f64 {
        self.metric_where(name, "")
    }

    /// The sum of the samples of metric `name` whose labels contain
    /// `labels` (e.g. `result="complete"`).
    pub(crate) fn metric_where(&self, name: &str, labels: &str) -> f64 {
        let scraped = run(
            Command::new("ip").args([
                "netns",
                "exec",
                &self.server_ns,
                "curl",
                "--silent",
                "--max-time",
                "5",
                &format!("http://{ADMIN}/metrics"),
            ]),
            Duration::from_secs(10),
        );
        assert!(scraped.status.success(), "scrape\n{}", scraped.report());
        scraped
            .stdout_text()
            .lines()
            .filter(|line| {
                line.strip_prefix(name).is_some_and(|rest| {
                    (rest.starts_with('{') || rest.starts_with(' '))
                        && rest
                            .split(' ')
                            .next()
                            .is_some_and(|set| set.contains(labels))
                })
            })
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Sessions the server holds: logged in or not.
    pub(crate) fn sessions(&self) -> f64 {
        self.metric("wharf_sessions_open")
    }
}

/// Starts Azurite in `ns` on [`AZURITE_PORT`] and waits until it answers.
fn start_azurite(link: &mut ImpairedLink, ns: &str) {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../.tools/azurite/node_modules/.bin/azurite-blob");
    assert!(
        bin.exists(),
        "{} is missing: run `scripts/emulators install`",
        bin.display()
    );
    let workdir = link.lab().dir().join("azurite");
    fs::create_dir_all(&workdir).expect("create Azurite's directory");
    let mut command = link.lab().command(ns, bin.to_str().expect("UTF-8 paths"));
    command
        .args(["--inMemoryPersistence", "--blobHost", "127.0.0.1"])
        .args(["--blobPort", &AZURITE_PORT.to_string()])
        .args(["--disableTelemetry", "--skipApiVersionCheck", "--silent"])
        .current_dir(&workdir);
    link.lab().spawn("azurite", command);
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        // Any HTTP answer (curl exits 0 without --fail) means it listens.
        let probe = run(
            Command::new("ip").args([
                "netns",
                "exec",
                ns,
                "curl",
                "--silent",
                "--output",
                "/dev/null",
                "--max-time",
                "2",
                &format!("http://127.0.0.1:{AZURITE_PORT}/"),
            ]),
            Duration::from_secs(5),
        );
        if probe.status.success() {
            return;
        }
        assert!(
            !link.lab().last_exited() && Instant::now() < deadline,
            "Azurite did not start in {ns}"
        );
        thread::sleep(Duration::from_millis(100));
    }
}
