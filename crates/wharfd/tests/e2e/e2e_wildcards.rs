//! Wildcards and recursive listings with the classic Unix `ftp` client
//! (GNU inetutils), driven the way Windows `ftp.exe` batch scripts drive
//! theirs: a script on stdin, no prompts. `mget *.txt` sends `NLST *.txt`
//! and fetches each name it gets back, the case that used to fail with
//! `550 /*.txt: No such file or directory`.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support;

use support::{Finished, PASSWORD, Server, USER, pattern};

/// The client; the package that has it is `inetutils-ftp`.
const FTP: &str = "inetutils-ftp";

/// Runs `script` (one client command a line) with `inetutils-ftp -i -n -v
/// -p` (no prompts, explicit login, replies shown, passive) in `local`,
/// and returns what it printed, with the client's version for reports.
fn run_ftp(server: &Server, local: &Path, script: &str) -> (Finished, String) {
    support::require_tool(FTP, "inetutils-ftp");
    let version = Command::new(FTP)
        .arg("--version")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default();
    let script_path = local.join("script.ftp");
    fs::write(
        &script_path,
        format!("user {USER} {PASSWORD}\nbinary\n{script}\nquit\n"),
    )
    .expect("write the script");
    // `run` gives no stdin, so a shell hands the client its script.
    let finished = support::run(
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "exec {FTP} -i -n -v -p 127.0.0.1 {} < \"$0\"",
                server.port()
            ))
            .arg(&script_path)
            .current_dir(local),
        Duration::from_secs(60),
    );
    (finished, version)
}

/// `mget *.txt` fetches exactly the `.txt` files, byte for byte; `mget
/// docs/*.md` fetches through a directory part; `dir -R` (LIST -R) gets
/// the `ls -lR` layout.
#[test]
fn classic_ftp_mget_with_wildcards_and_dir_dash_r() {
    let server = Server::start();
    let root = server.root();
    fs::create_dir_all(root.join("docs/deep")).expect("mkdir");
    let files = [
        ("a.txt", 1000),
        ("b.txt", 70_000),
        ("c.log", 10),
        ("docs/guide.md", 300),
        ("docs/deep/more.md", 20),
    ];
    for (name, size) in files {
        fs::write(root.join(name), pattern(size, 7)).expect("write");
    }
    let local = tempfile::tempdir().expect("tempdir");
    // The client saves each file under the name NLST gave (`docs/guide.md`)
    // and creates no directories.
    fs::create_dir(local.path().join("docs")).expect("mkdir");
    let (run, version) = run_ftp(
        &server,
        local.path(),
        "mget *.txt\nmget docs/*.md\ndir -R tree.txt",
    );
    let report = || {
        format!(
            "client: {version}\n{}\n--- wharfd log (tail) ---\n{}",
            run.report(),
            server.log_tail()
        )
    };
    assert!(run.status.success(), "{}", report());
    let out = run.stdout_text() + &run.stderr_text();
    // The client prints a refused NLST's text without its code.
    assert!(
        !out.contains("No such file") && !out.contains("No files found"),
        "a refusal\n{}",
        report()
    );
    for (name, size) in [("a.txt", 1000), ("b.txt", 70_000)] {
        let got = fs::read(local.path().join(name)).unwrap_or_default();
        assert!(got == pattern(size, 7), "{name} differs\n{}", report());
    }
    assert!(!local.path().join("c.log").exists(), "{}", report());
    let guide = fs::read(local.path().join("docs/guide.md")).unwrap_or_default();
    assert!(guide == pattern(300, 7), "docs/guide.md\n{}", report());
    let tree = fs::read_to_string(local.path().join("tree.txt")).unwrap_or_default();
    let lines: Vec<&str> = tree.lines().collect();
    let headers: Vec<&&str> = lines.iter().filter(|l| l.ends_with(':')).collect();
    assert_eq!(
        headers,
        [&".:", &"./docs:", &"./docs/deep:"],
        "{tree}\n{}",
        report()
    );
    assert!(
        lines.iter().any(|l| l.ends_with(" more.md")),
        "{tree}\n{}",
        report()
    );
}
