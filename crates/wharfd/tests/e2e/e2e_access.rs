//! Issue 20's access lists and fail2ban, against the real `wharfd` with
//! clients bound to different loopback source addresses (Linux routes all
//! of `127.0.0.0/8` to loopback):
//!
//! - the server's list (`[access]` in the file, `--allow-from` on the
//!   command line) refuses at connect with `421`, and closes an implicit
//!   FTPS connection without a word;
//! - a user's list (`allow`/`deny` in the users file) refuses the login
//!   with the reply a wrong password gets;
//! - an allowed client works, data connections included (curl);
//! - `fail2ban-regex` with `contrib/fail2ban/filter.d/wharfd.conf` finds
//!   exactly the failed logins a scripted session caused, with their
//!   addresses, in the plain log and in `--log-json`;
//! - `fail2ban-client --test` accepts the example jail beside Debian's
//!   configuration.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{Raw, Server, USER, assert_success, curl, read_until_closed, require_tool, run};

/// The filter and the example jail, in the repository.
const CONTRIB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../contrib/fail2ban");

/// `bob` may log in from `127.0.0.0/16` except `127.0.0.7`.
const USERS: &str = "[[user]]\nname = \"bob\"\npassword = \"pw\"\n\
                     allow = [\"127.0.0.0/16\"]\ndeny = [\"127.0.0.7/32\"]\n";

/// The lines of `log` that hold every one of `parts`.
fn lines_with<'a>(log: &'a str, parts: &[&str]) -> Vec<&'a str> {
    log.lines()
        .filter(|line| parts.iter().all(|part| line.contains(part)))
        .collect()
}

#[tokio::test]
async fn the_server_and_user_lists_pick_clients_by_source_address() {
    let mut server = Server::builder()
        .tls()
        .implicit()
        .config("[access]\ndeny = [\"127.0.0.6/32\"]\n")
        .args(&[
            "--allow-from",
            "127.0.0.0/16",
            "--users",
            "{base}/users.toml",
        ])
        .file("users.toml", USERS)
        .start();
    let addr = server.addr();

    // Refused at connect: in the deny list, and outside the allow list.
    for from in ["127.0.0.6", "127.1.0.6"] {
        let (mut raw, greeting) = Raw::connect(addr, from).await;
        assert!(
            greeting.starts_with("421 ") && greeting.contains("not accepted"),
            "from {from}: {greeting:?}"
        );
        assert_eq!(raw.line().await, "", "from {from}: closed after the 421");
    }
    // An implicit-FTPS client cannot read a clear 421: closed at once.
    let said = read_until_closed(server.implicit_addr(), "127.0.0.6").await;
    assert!(said.is_empty(), "{said:?}");

    // bob from 127.0.0.7: the right password gets what a wrong one gets;
    // alice may log in from there.
    let (mut raw, greeting) = Raw::connect(addr, "127.0.0.7").await;
    assert!(greeting.starts_with("220"), "{greeting:?}");
    let wrong = raw.login_as("bob", "not-it").await;
    let refused = raw.login_as("bob", "pw").await;
    assert!(wrong.starts_with("530"), "{wrong:?}");
    assert_eq!(
        refused, wrong,
        "a refused login tells nothing of the password"
    );
    raw.login().await;

    // bob from 127.0.0.5: allowed, and the data connections (from the same
    // address, as the passive peer check wants) work.
    let url = format!("{}/up.txt", server.url());
    let local = server.outside().join("up.txt");
    std::fs::write(&local, b"from 127.0.0.5\n").expect("write the upload");
    let local = local.to_str().expect("UTF-8 path").to_owned();
    let bob = ["--user", "bob:pw", "--interface", "127.0.0.5"];
    let stored = curl(&[&bob[..], &["-T", &local, &url][..]].concat());
    assert_success(&stored, &server);
    let fetched = curl(&[&bob[..], &[url.as_str()][..]].concat());
    assert_success(&fetched, &server);
    assert_eq!(fetched.stdout, b"from 127.0.0.5\n");
    // bob from 127.0.0.7 with curl: refused, like a wrong password.
    let refused = curl(&["--user", "bob:pw", "--interface", "127.0.0.7", &url]);
    assert!(!refused.status.success(), "{}", refused.report());
    assert!(refused.stderr_text().contains("< 530 Login incorrect."));

    // Each refusal logged with the address and the rule.
    let log = server.stop_and_log();
    let connect = "connection refused by the access list";
    for (client, rule) in [
        ("127.0.0.6", "rule=deny 127.0.0.6/32"),
        ("127.1.0.6", "rule=allow (no network matched)"),
    ] {
        let client = format!("client={client}");
        let found = lines_with(&log, &["wharf::access", connect, &client, rule]);
        assert!(
            !found.is_empty(),
            "no `{connect}` line for {client}:\n{log}"
        );
    }
    let login = "login refused by the access list";
    let found = lines_with(&log, &[login, "user=\"bob\"", "client=127.0.0.7"]);
    assert_eq!(found.len(), 2, "one per refused login:\n{log}");
    assert!(found.iter().all(|l| l.contains("rule=deny 127.0.0.7/32")));
    // Only the wrong password is an authentication failure.
    let failures = lines_with(&log, &["authentication failed"]);
    assert_eq!(failures.len(), 1, "{failures:#?}");
}

/// A scripted session's worth of log: logins and commands that work,
/// refusals by the access lists, and exactly these failed logins: three
/// from 127.0.0.3 (one of them by a user name made to look like a failure
/// of 10.9.9.9) and one from 127.0.0.4.
async fn scripted_traffic(server: &Server) {
    let addr = server.addr();
    let (mut good, _) = Raw::connect(addr, "127.0.0.2").await;
    good.login().await;
    for command in ["PWD", "SYST", "NOOP"] {
        assert!(!good.cmd(command).await.starts_with('5'), "{command}");
    }

    let (mut guesser, _) = Raw::connect(addr, "127.0.0.3").await;
    for (name, password) in [
        (USER, "guess-1"),
        ("nobody", "guess-2"),
        ("x\" failures=1 client=10.9.9.9", "guess-3"),
    ] {
        let reply = guesser.login_as(name, password).await;
        assert!(
            reply.starts_with("530") || reply.starts_with("421"),
            "{reply:?}"
        );
    }
    let (mut other, _) = Raw::connect(addr, "127.0.0.4").await;
    assert!(other.login_as(USER, "typo").await.starts_with("530"));
    assert!(other.login_as("bob", "pw").await.starts_with("230"));

    // Refusals by the access lists are no failed logins.
    let (_, greeting) = Raw::connect(addr, "127.0.0.8").await;
    assert!(greeting.starts_with("421"), "{greeting:?}");
    let (mut denied, _) = Raw::connect(addr, "127.0.0.7").await;
    assert!(denied.login_as("bob", "pw").await.starts_with("530"));
    good.login().await;
    assert!(good.cmd("QUIT").await.starts_with("221"));
}

/// The failed logins `fail2ban-regex` finds in `log` with wharfd's filter:
/// its `Failregex: N total` count and the address of every match.
fn fail2ban_matches(log: &str, dir: &Path) -> (usize, Vec<String>) {
    require_tool("fail2ban-regex", "fail2ban");
    let file = dir.join("wharfd.log");
    std::fs::write(&file, log).expect("write the log");
    let filter = format!("{CONTRIB}/filter.d/wharfd.conf");
    let regex = |extra: &[&str]| {
        let finished = run(
            Command::new("fail2ban-regex")
                .args(extra)
                .arg(&file)
                .arg(&filter),
            Duration::from_secs(60),
        );
        assert!(finished.status.success(), "{}", finished.report());
        finished
    };
    let summary = regex(&[]).stdout_text();
    let total = summary
        .lines()
        .find_map(|line| line.strip_prefix("Failregex: "))
        .and_then(|rest| rest.strip_suffix(" total"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `Failregex: N total` line:\n{summary}"));
    let mut addresses: Vec<String> = regex(&["--out", "ip"])
        .stdout_text()
        .lines()
        .map(|line| line.trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect();
    addresses.sort();
    (total, addresses)
}

fn fail2ban_counts_exactly_the_failed_logins(json: bool) {
    let mut builder = Server::builder()
        .config("[access]\ndeny = [\"127.0.0.8/32\"]\n")
        .args(&["--users", "{base}/users.toml"])
        .file("users.toml", USERS);
    if json {
        builder = builder.arg("--log-json");
    }
    let mut server = builder.start();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(scripted_traffic(&server));
    let log = server.stop_and_log();
    let (total, addresses) = fail2ban_matches(&log, server.outside());
    let expected = ["127.0.0.3", "127.0.0.3", "127.0.0.3", "127.0.0.4"];
    assert_eq!(
        (total, addresses),
        (4, expected.map(String::from).to_vec()),
        "fail2ban-regex on this log:\n{log}"
    );
}

#[test]
fn fail2ban_counts_exactly_the_failed_logins_in_the_plain_log() {
    fail2ban_counts_exactly_the_failed_logins(false);
}

#[test]
fn fail2ban_counts_exactly_the_failed_logins_in_the_json_log() {
    fail2ban_counts_exactly_the_failed_logins(true);
}

/// Copies `from` into `to`, recursively (regular files and folders).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a folder");
    for entry in std::fs::read_dir(from).expect("list a folder") {
        let entry = entry.expect("a folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

#[test]
fn the_example_jail_passes_fail2ban_client_test() {
    require_tool("fail2ban-client", "fail2ban");
    // Debian's configuration, with our filter and jail as the only jail.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let config = dir.path().join("fail2ban");
    copy_tree(Path::new("/etc/fail2ban"), &config);
    let _ = std::fs::remove_dir_all(config.join("jail.d"));
    for file in ["filter.d/wharfd.conf", "jail.d/wharfd.local"] {
        std::fs::create_dir_all(config.join(file).parent().expect("a folder"))
            .expect("create a folder");
        std::fs::copy(format!("{CONTRIB}/{file}"), config.join(file)).expect("copy a file");
    }
    let client = |flag: &str| {
        let finished = run(
            Command::new("fail2ban-client")
                .arg("-c")
                .arg(&config)
                .arg(flag),
            Duration::from_secs(60),
        );
        assert!(finished.status.success(), "{}", finished.report());
        finished.stdout_text() + &finished.stderr_text()
    };
    assert!(client("-t").contains("configuration test is successful"));
    // The jail is on, with the filter's patterns.
    let commands = client("-d");
    assert!(commands.contains("['start', 'wharfd']"), "{commands}");
    assert!(
        commands.contains("'addfailregex'") && commands.contains("wharf::auth"),
        "{commands}"
    );
}
