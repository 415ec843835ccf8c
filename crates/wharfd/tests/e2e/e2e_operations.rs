//! What an operator reads off a running wharfd: the Prometheus metrics on
//! the admin listener (checked by the real `promtool` and by the amounts
//! a scripted session must add), `/healthz` and `/readyz`, the xferlog
//! transfer log (its field layout, `man 5 xferlog`) and the JSON-lines
//! audit log, and their reopening on SIGUSR1 and SIGHUP for logrotate.

use crate::support;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Finished, Server, assert_success, curl, pattern, require_tool, run, write_file};

/// A server with the admin listener and both logs in its directory.
fn server() -> Server {
    Server::builder()
        .args(&["--admin-listen", "127.0.0.1:0"])
        .args(&[
            "--xferlog",
            "{base}/xferlog",
            "--audit-log",
            "{base}/audit.jsonl",
        ])
        .start()
}

fn http_get(url: &str) -> Finished {
    require_tool("curl", "curl");
    run(
        Command::new("curl")
            .arg("--disable")
            .args([
                "--silent",
                "--show-error",
                "--noproxy",
                "*",
                "--max-time",
                "10",
            ])
            .args(["--write-out", "\n%{http_code}"])
            .arg(url),
        Duration::from_secs(15),
    )
}

/// The body and the status code of a GET.
pub(crate) fn get(server: &Server, path: &str) -> (String, u16) {
    let finished = http_get(&format!("{}{path}", server.admin_url()));
    let text = finished.stdout_text();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", ""));
    let code = code
        .parse()
        .unwrap_or_else(|_| panic!("no status from curl\n{}", finished.report()));
    (body.to_owned(), code)
}

/// Every sample of the text format, by its name and labels as written.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

fn scrape(server: &Server) -> BTreeMap<String, f64> {
    let (body, code) = get(server, "/metrics");
    assert_eq!(code, 200, "{body}");
    samples(&body)
}

/// How much `series` grew between two scrapes (absent counts as 0).
fn grew(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>, series: &str) -> f64 {
    after.get(series).copied().unwrap_or(0.0) - before.get(series).copied().unwrap_or(0.0)
}

fn promtool_check(text: &str) {
    require_tool("promtool", "prometheus");
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start promtool");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(text.as_bytes())
        .expect("feed promtool");
    let output = child.wait_with_output().expect("promtool ends");
    assert!(
        output.status.success(),
        "promtool check metrics failed:\n{}{}\n--- metrics ---\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Waits until `path` holds at least `lines` lines.
fn lines_of(path: &std::path::Path, lines: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let got: Vec<String> = text.lines().map(str::to_owned).collect();
        if got.len() >= lines || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The scripted session: a failed login, an upload of 1000 bytes, its
/// download, a listing.
fn scripted_session(server: &Server) {
    let url = server.url();
    let wrong = run(
        Command::new("curl")
            .arg("--disable")
            .args(["--silent", "--noproxy", "*", "--max-time", "10"])
            .args(["--user", "alice:wrong", &format!("{url}/")]),
        Duration::from_secs(15),
    );
    assert!(!wrong.status.success(), "a wrong password logged in");
    let local = write_file(server.outside(), "up.bin", &pattern(1000, 7));
    let up = curl(&[
        "-T",
        local.to_str().expect("utf-8"),
        &format!("{url}/up.bin"),
    ]);
    assert_success(&up, server);
    let down = curl(&[&format!("{url}/up.bin")]);
    assert_success(&down, server);
    assert_eq!(down.stdout.len(), 1000);
    let list = curl(&[&format!("{url}/")]);
    assert_success(&list, server);
}

#[test]
fn metrics_pass_promtool_and_count_a_scripted_session() {
    let server = server();
    let (health, code) = get(&server, "/healthz");
    assert_eq!((health.as_str(), code), ("ok\n", 200));
    let (ready, code) = get(&server, "/readyz");
    assert_eq!((ready.as_str(), code), ("ready\n", 200));
    assert_eq!(get(&server, "/nothing").1, 404);

    let before = scrape(&server);
    scripted_session(&server);
    let (text, _) = get(&server, "/metrics");
    promtool_check(&text);
    let after = samples(&text);

    let listener = format!("listener=\"{}\"", server.addr());
    let grown = |series: &str| grew(&before, &after, series);
    assert_eq!(
        grown("wharf_logins_total{result=\"accepted\"}"),
        3.0,
        "{text}"
    );
    assert_eq!(
        grown("wharf_logins_total{result=\"rejected\"}"),
        1.0,
        "{text}"
    );
    assert_eq!(
        grown(&format!(
            "wharf_sessions_opened_total{{{listener},tls=\"explicit\"}}"
        )),
        4.0,
        "{text}"
    );
    assert_eq!(
        grown("wharf_transfers_total{verb=\"STOR\",result=\"complete\"}"),
        1.0
    );
    assert_eq!(
        grown("wharf_transfers_total{verb=\"RETR\",result=\"complete\"}"),
        1.0
    );
    assert_eq!(
        grown("wharf_transfers_total{verb=\"LIST\",result=\"complete\"}"),
        1.0
    );
    assert_eq!(
        grown("wharf_transfer_bytes_total{direction=\"received\"}"),
        1000.0
    );
    // The download, and the listing's one line.
    assert!(grown("wharf_transfer_bytes_total{direction=\"sent\"}") > 1000.0);
    assert_eq!(
        grown("wharf_commands_total{verb=\"STOR\",class=\"1xx\"}"),
        1.0
    );
    assert_eq!(
        grown("wharf_commands_total{verb=\"PASS\",class=\"5xx\"}"),
        1.0
    );
    assert_eq!(
        grown("wharf_commands_total{verb=\"PASS\",class=\"2xx\"}"),
        3.0
    );
    assert_eq!(
        grown("wharf_transfer_duration_seconds_count{kind=\"upload\"}"),
        1.0
    );
    let storage = |operation: &str| {
        grown(&format!(
            "wharf_storage_operations_total{{backend=\"local\",operation=\"{operation}\"}}"
        ))
    };
    assert_eq!(storage("create"), 1.0, "{text}");
    assert_eq!(storage("finish_upload"), 1.0, "{text}");
    assert!(storage("open_read") >= 1.0, "{text}");
    assert!(storage("list") >= 1.0, "{text}");
    // Every session ended: none open, none waiting to log in.
    let open = format!("wharf_sessions_open{{{listener},tls=\"explicit\"}}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut now = after;
    while now.get(&open).copied() != Some(0.0) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        now = scrape(&server);
    }
    assert_eq!(now.get(&open).copied(), Some(0.0));
    assert_eq!(now.get("wharf_sessions_not_logged_in").copied(), Some(0.0));
    assert_eq!(now.get("wharf_bans_active").copied(), Some(0.0));
    assert!(
        now.keys()
            .any(|k| k.starts_with("wharf_build_info{version=")),
        "no build info"
    );
}

/// `man 5 xferlog`: the time (5 words), then 13 fields.
#[test]
fn xferlog_and_audit_log_record_the_session_and_reopen_on_signals() {
    let server = server();
    scripted_session(&server);
    let xferlog = server.outside().join("xferlog");
    let lines = lines_of(&xferlog, 2);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let fields: Vec<Vec<&str>> = lines
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    for (line, (direction, name)) in fields.iter().zip([("i", "/up.bin"), ("o", "/up.bin")]) {
        assert_eq!(line.len(), 18, "{line:?}");
        // Sun Dec  6 05:18:15 2026
        assert_eq!(line[0].len(), 3, "{line:?}");
        assert!(line[3].split(':').count() == 3, "{line:?}");
        assert!(line[4].parse::<u32>().is_ok_and(|y| y >= 2024), "{line:?}");
        assert!(line[5].parse::<u64>().is_ok_and(|s| s >= 1), "{line:?}");
        assert_eq!(
            &line[6..],
            &[
                "127.0.0.1",
                "1000",
                name,
                "b",
                "_",
                direction,
                "r",
                "alice",
                "ftp",
                "0",
                "*",
                "c"
            ],
            "{line:?}"
        );
    }

    let audit = server.outside().join("audit.jsonl");
    let events: Vec<Value> = lines_of(&audit, 1)
        .iter()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect();
    let of =
        |event: &str| -> Vec<&Value> { events.iter().filter(|e| e["event"] == event).collect() };
    assert_eq!(of("session_open").len(), 4);
    let logins: Vec<&str> = of("login")
        .iter()
        .filter_map(|e| e["result"].as_str())
        .collect();
    assert_eq!(logins, ["rejected", "accepted", "accepted", "accepted"]);
    let passwords: Vec<&Value> = of("command")
        .into_iter()
        .filter(|e| e["verb"] == "PASS")
        .collect();
    assert_eq!(passwords.len(), 4);
    assert!(
        passwords.iter().all(|e| e["argument"] == "***"),
        "{passwords:?}"
    );
    let stor = of("transfer")
        .into_iter()
        .find(|e| e["verb"] == "STOR")
        .expect("a STOR transfer event");
    assert_eq!(stor["bytes"], 1000);
    assert_eq!(stor["path"], "/up.bin");
    assert_eq!(stor["status"], "complete");
    assert_eq!(stor["reply"], 226);
    assert_eq!(stor["user"], "alice");
    assert_eq!(stor["client"], "127.0.0.1");

    // logrotate moves the files, then signals: the next lines go to new ones.
    for signal in ["USR1", "HUP"] {
        let rotated = server.outside().join(format!("xferlog.{signal}"));
        std::fs::rename(&xferlog, &rotated).expect("rotate");
        server.signal(signal);
        // The reopen is asynchronous: download until a new file holds a line.
        let deadline = Instant::now() + Duration::from_secs(10);
        let fresh = loop {
            let down = curl(&[&format!("{}/up.bin", server.url())]);
            assert_success(&down, &server);
            let fresh = std::fs::read_to_string(&xferlog).unwrap_or_default();
            if !fresh.is_empty() {
                break fresh;
            }
            assert!(
                Instant::now() < deadline,
                "nothing in a new xferlog after SIG{signal}"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let fresh: Vec<&str> = fresh.lines().collect();
        assert!(fresh.iter().all(|l| l.contains(" o r alice ")), "{fresh:?}");
    }
}
