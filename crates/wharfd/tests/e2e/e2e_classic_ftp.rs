//! The classic Unix `ftp` client (GNU inetutils) as Windows `ftp.exe`
//! batch scripts use theirs: a script on stdin that turns `prompt` off,
//! then `mput` and `mget` with globs, `ls`, `nlist` and `dir`, once in
//! active mode (PORT, the client's default) and once in passive mode
//! (PASV). The client expands `mput`'s glob itself and `mget`'s through
//! `NLST <glob>`; `ls` and `dir` send LIST, `nlist` NLST. Every file is
//! checked byte for byte on both sides.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::support;

use support::{ClassicFtpRun, Server, pattern, read_file, run_classic_ftp, write_file};

/// What the client holds before the session: `mput *.bin` takes the two
/// `.bin` files, `mput more/*.bin` the one below `more/`. Bytes include CR
/// and LF, which only a binary transfer keeps.
const LOCAL: [(&str, usize); 5] = [
    ("up1.bin", 70_000),
    ("up2.bin", 1),
    ("notes.txt", 100),
    ("skip.log", 10),
    ("more/deep.bin", 5000),
];

/// What the server holds under `/get` before the session: `mget *.dat`
/// takes three, `mget ?.txt` one.
const REMOTE: [(&str, usize); 6] = [
    ("a.dat", 200_000),
    ("b.dat", 0),
    ("with space.dat", 33),
    ("c.txt", 12),
    ("cc.txt", 12),
    ("d.log", 7),
];

/// The script after login: `prompt` (off, as batch scripts turn it),
/// binary, then uploads, listings and downloads, the mode's own line first.
fn script(mode: &str) -> String {
    [
        "prompt",
        "binary",
        mode,
        "mkdir up",
        "cd up",
        "mkdir more",
        "mput *.bin",
        "mput more/*.bin",
        "nlist . nlist.txt",
        "dir . dir.txt",
        "cd /get",
        "ls *.dat ls.txt",
        "lcd got",
        "mget *.dat",
        "mget ?.txt",
    ]
    .join("\n")
}

/// Sets up both sides, runs the script with `mode` (`""` keeps the
/// client's active default, `passive` toggles it), and checks every
/// file and listing; returns the run for mode-specific checks.
fn session(server: &Server, local: &Path, mode: &str) -> ClassicFtpRun {
    for (i, (name, size)) in LOCAL.iter().enumerate() {
        write_file(local, name, &pattern(*size, 60 + i as u64));
    }
    fs::create_dir(local.join("got")).expect("mkdir got");
    for (i, (name, size)) in REMOTE.iter().enumerate() {
        write_file(
            &server.root().join("get"),
            name,
            &pattern(*size, 70 + i as u64),
        );
    }

    let run = run_classic_ftp(server, local, "-n -v -d", &script(mode));
    let report = || run.report(server);
    // The version goes with the test's output.
    #[allow(clippy::print_stdout)]
    {
        println!("client: {}", run.version);
    }
    assert!(run.finished.status.success(), "{}", report());
    let out = run.output();
    assert!(out.contains("Interactive mode off."), "{}", report());
    // No reply refused anything (a 4xx or 5xx line that is not the
    // client's byte count), and `mget` never said NLST gave no names.
    let refusals: Vec<&str> = out
        .lines()
        .filter(|line| {
            let code = line.get(..4).unwrap_or("");
            code.starts_with(['4', '5'])
                && code[..3].bytes().all(|b| b.is_ascii_digit())
                && code.ends_with([' ', '-'])
        })
        .chain(out.lines().filter(|line| line.contains("No such file")))
        .collect();
    assert!(refusals.is_empty(), "{refusals:?}\n{}", report());

    // Uploads: exactly the globbed files, byte for byte.
    let up = server.root().join("up");
    for (name, _) in LOCAL.iter().filter(|(name, _)| name.ends_with(".bin")) {
        same_bytes(
            &format!("stored {name}"),
            &local.join(name),
            &up.join(name),
            &report,
        );
    }
    let stored: BTreeSet<String> = fs::read_dir(&up)
        .expect("list up")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        stored,
        BTreeSet::from(["more", "up1.bin", "up2.bin"].map(String::from)),
        "{}",
        report()
    );

    // Downloads: exactly the matching files, byte for byte.
    let got = local.join("got");
    for name in ["a.dat", "b.dat", "with space.dat", "c.txt"] {
        same_bytes(
            &format!("downloaded {name}"),
            &server.root().join("get").join(name),
            &got.join(name),
            &report,
        );
    }
    let fetched: BTreeSet<String> = fs::read_dir(&got)
        .expect("list got")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        fetched,
        BTreeSet::from(["a.dat", "b.dat", "c.txt", "with space.dat"].map(String::from)),
        "{}",
        report()
    );

    // Listings: NLST gives the names, LIST the `ls -l` lines with sizes.
    let nlist = fs::read_to_string(local.join("nlist.txt")).unwrap_or_default();
    let names: BTreeSet<&str> = nlist.lines().collect();
    assert_eq!(
        names,
        BTreeSet::from(["more", "up1.bin", "up2.bin"]),
        "nlist:\n{nlist}\n{}",
        report()
    );
    let dir = fs::read_to_string(local.join("dir.txt")).unwrap_or_default();
    assert_eq!(
        long_listing(&dir),
        BTreeSet::from([
            ("more".to_owned(), 'd', None),
            ("up1.bin".to_owned(), '-', Some(70_000)),
            ("up2.bin".to_owned(), '-', Some(1)),
        ]),
        "dir:\n{dir}\n{}",
        report()
    );
    let ls = fs::read_to_string(local.join("ls.txt")).unwrap_or_default();
    assert_eq!(
        long_listing(&ls),
        BTreeSet::from([
            ("a.dat".to_owned(), '-', Some(200_000)),
            ("b.dat".to_owned(), '-', Some(0)),
            ("with space.dat".to_owned(), '-', Some(33)),
        ]),
        "ls *.dat:\n{ls}\n{}",
        report()
    );
    run
}

/// Asserts the files at `expected` and `actual` hold the same bytes; the
/// message has the session's `report` (a missing file reads as empty).
#[track_caller]
fn same_bytes(what: &str, expected: &Path, actual: &Path, report: &dyn Fn() -> String) {
    let (want, got) = (read_file(expected), fs::read(actual));
    let got = got.unwrap_or_else(|e| panic!("{what}: {e}\n{}", report()));
    assert!(
        want == got,
        "{what}: {} bytes expected, {} found\n{}",
        want.len(),
        got.len(),
        report()
    );
}

/// Each `ls -l` line of a LIST as (name, type letter, size of a file).
/// The name is everything after the time field (the eighth), so it may
/// hold spaces.
fn long_listing(text: &str) -> BTreeSet<(String, char, Option<u64>)> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert!(fields.len() >= 9, "not an `ls -l` line: {line:?}");
            let kind = fields[0].chars().next().unwrap_or('?');
            // The name starts after the eighth field, where it occurs
            // after the time.
            let time = fields[7];
            let at = line.find(&format!(" {time} ")).expect("the time field") + time.len() + 2;
            let size = (kind == '-').then(|| fields[4].parse().expect("a size"));
            (line[at..].to_owned(), kind, size)
        })
        .collect()
}

/// Active mode (PORT), the client's default: no passive command at all.
#[test]
fn classic_ftp_mput_mget_ls_dir_active() {
    let server = Server::start();
    let local = tempfile::tempdir().expect("tempdir");
    let run = session(&server, local.path(), "");
    assert!(
        run.sent("PORT") && !run.sent("PASV") && !run.sent("EPSV"),
        "not active mode\n{}",
        run.report(&server)
    );
}

/// Passive mode (`passive` toggles it on, as in the BSD client; Windows
/// `ftp.exe` has no passive mode and batch scripts there run active).
#[test]
fn classic_ftp_mput_mget_ls_dir_passive() {
    let server = Server::start();
    let local = tempfile::tempdir().expect("tempdir");
    let run = session(&server, local.path(), "passive");
    assert!(
        run.sent("PASV") && !run.sent("PORT") && !run.sent("EPRT"),
        "not passive mode\n{}",
        run.report(&server)
    );
}
