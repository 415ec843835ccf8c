//! Wildcards in the last component of LIST and NLST paths (`mget *.txt`):
//! which names match, how NLST writes them, what a pattern that matches
//! nothing gets, the scan limit, and names that hold a literal `*`.

use crate::testkit::{Client, Harness, Setup};

/// Files at the root and in `dir`, a dot file, a directory whose name
/// matches `*.txt`, and a file whose name holds a `*`.
async fn fixture(change: impl FnOnce(&mut Setup)) -> (Harness, Client) {
    let mut setup = Setup::default();
    setup.dirs(["dir", "notes.txt", "d1"]);
    setup.fs([
        ("a.txt", "a"),
        ("b.txt", "bb"),
        ("c.log", "c"),
        (".dot.txt", "."),
        ("star*.txt", "literal"),
        ("star1.txt", "one"),
        ("dir/x.txt", "x"),
        ("dir/y.txt", "y"),
        ("dir/z.log", "z"),
        ("d1/f.txt", "f"),
    ]);
    change(&mut setup);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.login("a").await;
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

/// NLST's lines for `arg`, after checking it got 150 and 226.
async fn nlst(client: &mut Client, arg: &str) -> Vec<String> {
    let listing = client.exchange(&format!("NLST {arg}"), None).await;
    assert_eq!(
        listing.codes(),
        [150, 226],
        "NLST {arg}: {}",
        listing.text()
    );
    lines(&listing.data)
}

#[tokio::test]
async fn nlst_lists_the_names_a_pattern_matches_sorted() {
    let (_harness, mut client) = fixture(|_| {}).await;
    // A directory that matches is one name, not opened; dot files stay
    // hidden; the name with a literal `*` matches `*.txt` like any other.
    assert_eq!(
        nlst(&mut client, "*.txt").await,
        ["a.txt", "b.txt", "notes.txt", "star*.txt", "star1.txt"]
    );
    assert_eq!(nlst(&mut client, "?.txt").await, ["a.txt", "b.txt"]);
    assert_eq!(nlst(&mut client, "[ab].*").await, ["a.txt", "b.txt"]);
    assert_eq!(nlst(&mut client, "[a-c].log").await, ["c.log"]);
    assert_eq!(nlst(&mut client, "[!ab]?log").await, ["c.log"]);
    assert_eq!(nlst(&mut client, "[^n-z]*.txt").await, ["a.txt", "b.txt"]);
}

#[tokio::test]
async fn nlst_writes_matches_with_the_directory_as_the_client_wrote_it() {
    let (_harness, mut client) = fixture(|_| {}).await;
    assert_eq!(
        nlst(&mut client, "dir/*.txt").await,
        ["dir/x.txt", "dir/y.txt"]
    );
    assert_eq!(nlst(&mut client, "/dir/?.log").await, ["/dir/z.log"]);
    assert_eq!(
        nlst(&mut client, "./dir/../*.log").await,
        ["./dir/../c.log"]
    );
    assert_eq!(client.cmd("CWD dir").await.code().get(), 250);
    assert_eq!(nlst(&mut client, "*").await, ["x.txt", "y.txt", "z.log"]);
    assert_eq!(
        nlst(&mut client, "../[cd]*").await,
        ["../c.log", "../d1", "../dir"]
    );
}

#[tokio::test]
async fn dot_files_match_with_dash_a_or_a_pattern_that_starts_with_a_dot() {
    let (_harness, mut client) = fixture(|_| {}).await;
    assert_eq!(nlst(&mut client, ".*").await, [".dot.txt"]);
    assert_eq!(
        nlst(&mut client, "-a *.txt").await,
        [
            ".dot.txt",
            "a.txt",
            "b.txt",
            "notes.txt",
            "star*.txt",
            "star1.txt"
        ]
    );
}

#[tokio::test]
async fn list_gives_long_lines_of_the_matches_with_bare_names() {
    let (_harness, mut client) = fixture(|_| {}).await;
    let listing = client.exchange("LIST dir/*.txt", None).await;
    assert_eq!(listing.codes(), [150, 226]);
    let found = lines(&listing.data);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("-rw-r--r--"), "{found:?}");
    assert!(found[0].ends_with(" x.txt"), "{found:?}");
    assert!(found[1].ends_with(" y.txt"), "{found:?}");
    let dirs = lines(&client.exchange("LIST notes.*", None).await.data);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    assert!(dirs[0].starts_with('d') && dirs[0].ends_with(" notes.txt"));
    // NLST -l is LIST's format.
    let long = lines(&client.exchange("NLST -l dir/?.log", None).await.data);
    assert!(
        long[0].starts_with('-') && long[0].ends_with(" z.log"),
        "{long:?}"
    );
}

#[tokio::test]
async fn a_pattern_that_matches_nothing_gets_550_from_list_and_nlst() {
    let (harness, mut client) = fixture(|_| {}).await;
    for line in ["NLST *.xyz", "LIST *.xyz", "NLST dir/[!xyz]*", "LIST -a q?"] {
        let reply = client.exchange(line, None).await;
        assert_eq!(reply.codes(), [550], "{line}");
        assert!(
            reply.text().contains("No files found"),
            "{line}: {}",
            reply.text()
        );
    }
    // A pattern under a directory that does not exist.
    assert_eq!(
        client.exchange("NLST nodir/*.txt", None).await.codes(),
        [550]
    );
    // No data connection was opened for any of them.
    assert!(harness.ports.connects.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_name_with_a_literal_star_is_reached_by_its_exact_path() {
    let (_harness, mut client) = fixture(|_| {}).await;
    // It exists as written: a name, not a pattern (`star1.txt` left out).
    assert_eq!(nlst(&mut client, "star*.txt").await, ["star*.txt"]);
    let long = lines(&client.exchange("LIST star*.txt", None).await.data);
    assert_eq!(long.len(), 1, "{long:?}");
    assert!(long[0].ends_with(" star*.txt"), "{long:?}");
    // Not as written: a pattern.
    assert_eq!(nlst(&mut client, "sta?1*").await, ["star1.txt"]);
}

#[tokio::test]
async fn only_the_last_component_is_a_pattern() {
    let (_harness, mut client) = fixture(|_| {}).await;
    // `d*` is the name of a directory that does not exist.
    let reply = client.exchange("NLST d*/f.txt", None).await;
    assert_eq!(reply.codes(), [550]);
    assert!(reply.text().contains("No such file"), "{}", reply.text());
    // A trailing slash leaves no last component to match.
    assert_eq!(client.exchange("NLST *.txt/", None).await.codes(), [550]);
    // MLSD takes no patterns (RFC 3659 7.2.1).
    assert_eq!(client.exchange("MLSD *", None).await.codes(), [550]);
}

#[tokio::test]
async fn a_directory_past_the_scan_limit_gets_550_naming_it() {
    // `dir` holds three entries: a limit of three is enough, two is not.
    let (_harness, mut client) = fixture(|s| s.options(|o| o.max_wildcard_scan = 3)).await;
    assert_eq!(nlst(&mut client, "dir/*.log").await, ["dir/z.log"]);
    let (_harness, mut client) = fixture(|s| s.options(|o| o.max_wildcard_scan = 2)).await;
    let reply = client.exchange("NLST dir/*.log", None).await;
    assert_eq!(reply.codes(), [550]);
    let text = reply.text();
    assert!(
        text.contains("more than 2 entries") && text.contains("wildcard limit"),
        "{text}"
    );
    // Without a pattern the limit does not apply.
    assert_eq!(client.exchange("NLST dir", None).await.codes(), [150, 226]);
}
