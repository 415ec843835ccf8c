//! Wildcards and recursive listings with the classic Unix `ftp` client
//! (GNU inetutils), driven the way Windows `ftp.exe` batch scripts drive
//! theirs: a script on stdin, no prompts. `mget *.txt` sends `NLST *.txt`
//! and fetches each name it gets back, the case that used to fail with
//! `550 /*.txt: No such file or directory`.

use std::fs;

use crate::support;

use support::{Server, pattern, run_classic_ftp};

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
    // No prompts (`-i`), explicit login, replies shown, passive.
    let run = run_classic_ftp(
        &server,
        local.path(),
        "-i -n -v -p",
        "binary\nmget *.txt\nmget docs/*.md\ndir -R tree.txt",
    );
    let report = || run.report(&server);
    assert!(run.finished.status.success(), "{}", report());
    let out = run.output();
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
