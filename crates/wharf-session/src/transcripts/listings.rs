//! LIST, NLST and MLSD over the data connection; MLST and `STAT <path>`
//! over the control connection (RFC 959 4.1.3, RFC 3659 section 7).

use std::time::{Duration, SystemTime};

use wharf_vfs::Vfs;
use wharf_vfs::testing::path;

use crate::testkit::{Client, Harness, Setup, text};

/// A root with a file of a known time, a subdirectory, a name with a
/// space and a hidden file; the client is logged in as `login`.
async fn fixture(login: &str) -> (Harness, Client) {
    let mut setup = Setup::default();
    setup.dirs(["sub"]);
    setup.fs([
        ("report.txt", "12345"),
        ("sub/inner.bin", "inner"),
        ("with space.txt", "sp"),
        (".hidden", "h"),
    ]);
    let harness = Harness::start(setup).await;
    // 2022-03-04 05:06:07 UTC.
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_646_370_367);
    harness
        .fs
        .set_mtime(&path("report.txt"), when)
        .await
        .unwrap();
    let mut client = harness.connect().await;
    client.login(login).await;
    (harness, client)
}

/// The lines of a listing.
fn lines(data: &[u8]) -> Vec<String> {
    let listing = String::from_utf8(data.to_vec()).unwrap();
    assert!(
        listing.is_empty() || listing.ends_with("\r\n"),
        "{listing:?}"
    );
    listing
        .split_terminator("\r\n")
        .map(str::to_owned)
        .collect()
}

/// The facts and the name of an MLSx line.
fn facts(line: &str) -> (Vec<(String, String)>, String) {
    let (facts, name) = line.split_once(' ').unwrap();
    let facts = facts
        .split_terminator(';')
        .map(|f| {
            let (k, v) = f.split_once('=').unwrap();
            (k.to_ascii_lowercase(), v.to_owned())
        })
        .collect();
    (facts, name.to_owned())
}

fn fact<'a>(facts: &'a [(String, String)], name: &str) -> Option<&'a str> {
    facts
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn nlst_lists_names() {
    let (_harness, mut client) = fixture("a").await;
    let listing = client.exchange("NLST", None).await;
    assert_eq!(listing.codes(), [150, 226]);
    assert_eq!(
        lines(&listing.data),
        ["report.txt", "sub", "with space.txt"]
    );
    let all = client.exchange("NLST -a", None).await;
    assert_eq!(
        lines(&all.data),
        [".hidden", "report.txt", "sub", "with space.txt"]
    );
    assert_eq!(
        lines(&client.exchange("NLST sub", None).await.data),
        ["inner.bin"]
    );
    let one = client.exchange("NLST report.txt", None).await;
    assert_eq!(lines(&one.data), ["report.txt"]);
    let long = client.exchange("NLST -l", None).await;
    assert!(lines(&long.data)[0].starts_with('-'), "{:?}", long.data);
    assert_eq!(client.exchange("NLST missing", None).await.codes(), [550]);
    // ncftp's `ls -1`: one name per line, which NLST already is.
    let one_per_line = client.exchange("NLST -1", None).await;
    assert_eq!(one_per_line.codes(), [150, 226]);
    assert_eq!(lines(&one_per_line.data), lines(&listing.data));
    let list = client.exchange("LIST -1 sub", None).await;
    assert_eq!(list.codes(), [150, 226]);
    assert!(
        lines(&list.data)[0].ends_with(" inner.bin"),
        "{:?}",
        list.data
    );
}

#[tokio::test]
async fn list_gives_ls_l_lines_and_reads_options() {
    let (_harness, mut client) = fixture("a").await;
    let listing = client.exchange("LIST -la", None).await;
    assert_eq!(listing.codes(), [150, 226]);
    let mut by_name = std::collections::BTreeMap::new();
    for line in lines(&listing.data) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert!(fields.len() >= 9, "not ls -l: {line}");
        by_name.insert(
            fields[8..].join(" "),
            (fields[0].to_owned(), fields[4].to_owned()),
        );
    }
    let names: Vec<&String> = by_name.keys().collect();
    assert_eq!(names, [".hidden", "report.txt", "sub", "with space.txt"]);
    assert!(
        by_name["report.txt"].0.starts_with("-rw-r--r--"),
        "{by_name:?}"
    );
    assert_eq!(by_name["report.txt"].1, "5");
    assert_eq!(by_name["with space.txt"].1, "2");
    assert!(by_name["sub"].0.starts_with("drwxr-xr-x"), "{by_name:?}");
    // Without -a, no dot files; `-l` is an option, not a path.
    let plain = lines(&client.exchange("LIST -l", None).await.data);
    assert_eq!(plain.len(), 3, "{plain:?}");
    let sub = lines(&client.exchange("LIST sub", None).await.data);
    assert_eq!(sub.len(), 1);
    assert!(sub[0].ends_with(" inner.bin"), "{sub:?}");
    let file = lines(&client.exchange("LIST report.txt", None).await.data);
    assert!(file[0].ends_with(" Mar  4  2022 report.txt"), "{file:?}");
    assert_eq!(client.exchange("LIST missing", None).await.codes(), [550]);
}

#[tokio::test]
async fn mlsd_gives_the_facts_of_each_entry() {
    let (_harness, mut client) = fixture("a").await;
    let listing = client.exchange("MLSD", None).await;
    assert_eq!(listing.codes(), [150, 226]);
    let entries: Vec<_> = lines(&listing.data).iter().map(|l| facts(l)).collect();
    let names: Vec<&str> = entries.iter().map(|(_, n)| n.as_str()).collect();
    // RFC 3659 7.2: every entry, dot files included, each once.
    assert_eq!(names, [".hidden", "report.txt", "sub", "with space.txt"]);
    let report = &entries[1].0;
    assert_eq!(fact(report, "type"), Some("file"));
    assert_eq!(fact(report, "size"), Some("5"));
    assert_eq!(fact(report, "modify"), Some("20220304050607"));
    let perm = fact(report, "perm").unwrap();
    assert!(perm.contains('r') && perm.contains('w'), "{perm}");
    let sub = &entries[2].0;
    assert_eq!(fact(sub, "type"), Some("dir"));
    let perm = fact(sub, "perm").unwrap();
    assert!(perm.contains('e') && perm.contains('l'), "{perm}");
    assert_eq!(fact(&entries[3].0, "size"), Some("2"));
    // MLSD lists directories only (RFC 3659 7.2.1).
    assert_eq!(
        client.exchange("MLSD report.txt", None).await.codes(),
        [501]
    );
    assert_eq!(client.exchange("MLSD missing", None).await.codes(), [550]);
    let inner = client.exchange("MLSD sub", None).await;
    assert_eq!(facts(&lines(&inner.data)[0]).1, "inner.bin");
}

#[tokio::test]
async fn a_read_only_login_gets_perm_facts_without_writes() {
    let (_harness, mut client) = fixture("r").await;
    let listing = client.exchange("MLSD", None).await;
    for line in lines(&listing.data) {
        let (facts, name) = facts(&line);
        let perm = fact(&facts, "perm").unwrap();
        assert!(
            !perm.chars().any(|c| "acdfmpw".contains(c)),
            "{name}: perm={perm}"
        );
    }
    let mlst = text(&client.cmd("MLST report.txt").await);
    let (entry, _) = facts(mlst.lines().nth(1).unwrap().trim_start());
    assert_eq!(fact(&entry, "perm"), Some("r"));
}

#[tokio::test]
async fn mlst_describes_one_entry_on_the_control_connection() {
    let (_harness, mut client) = fixture("a").await;
    let reply = client.cmd("MLST report.txt").await;
    assert_eq!(reply.code().get(), 250);
    let shown = text(&reply);
    let reply_lines: Vec<&str> = shown.lines().collect();
    assert_eq!(reply_lines.len(), 3, "{shown}");
    // RFC 3659 7.2: the entry's line starts with a space.
    let line = reply_lines[1].strip_prefix(' ').expect("a leading space");
    let (facts, name) = facts(line);
    assert_eq!(name, "/report.txt");
    assert_eq!(fact(&facts, "type"), Some("file"));
    assert_eq!(fact(&facts, "size"), Some("5"));
    assert_eq!(fact(&facts, "modify"), Some("20220304050607"));
    assert_eq!(client.cmd("MLST missing").await.code().get(), 550);
    let dir = text(&client.cmd("MLST sub").await);
    assert!(dir.contains(" type=dir;"), "{dir}");
}

#[tokio::test]
async fn stat_with_a_path_lists_on_the_control_connection() {
    let (harness, mut client) = fixture("a").await;
    let reply = client.cmd("STAT report.txt").await;
    assert_eq!(reply.code().get(), 213);
    let shown = text(&reply);
    assert!(shown.starts_with("Status of /report.txt:"), "{shown}");
    assert!(shown.contains(" report.txt\n"), "{shown}");
    let root = client.cmd("STAT /").await;
    assert_eq!(root.code().get(), 213);
    let shown = text(&root);
    for name in [".hidden", "report.txt", "sub", "with space.txt"] {
        assert!(
            shown.contains(&format!(" {name}\n")),
            "STAT / lacks {name}: {shown}"
        );
    }
    assert!(shown.ends_with("End of status"), "{shown}");
    assert_eq!(client.cmd("STAT missing").await.code().get(), 550);
    // No data connection was used.
    assert!(harness.ports.connects.lock().unwrap().is_empty());
}

#[tokio::test]
async fn listings_work_in_mode_b_and_type_a() {
    let (_harness, mut client) = fixture("a").await;
    assert_eq!(client.cmd("TYPE A").await.code().get(), 200);
    assert_eq!(client.cmd("MODE B").await.code().get(), 200);
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    let first = client.exchange("NLST", None).await;
    assert_eq!(lines(&first.data), ["report.txt", "sub", "with space.txt"]);
    let second = client.exchange("MLSD sub", None).await;
    assert_eq!(second.codes(), [150, 226]);
    assert_eq!(facts(&lines(&second.data)[0]).1, "inner.bin");
}
