//! `LIST -R` (the `ls -lR` layout, bounded in depth and entries) and
//! `LIST -d` (the directory itself).

use crate::testkit::{Client, Harness, Setup};

/// `top.txt`, `a/a1.txt`, `a/b/b1.txt`, `c/c1.txt` and a hidden `.hid/h`.
async fn fixture(change: impl FnOnce(&mut Setup)) -> (Harness, Client) {
    let mut setup = Setup::default();
    setup.dirs(["a", "a/b", "c", ".hid"]);
    setup.fs([
        ("top.txt", "t"),
        ("a/a1.txt", "1"),
        ("a/b/b1.txt", "2"),
        ("c/c1.txt", "3"),
        (".hid/h", "h"),
    ]);
    change(&mut setup);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    (harness, client)
}

/// The listing `line` got, as text, after checking 150 and 226.
async fn listing(client: &mut Client, line: &str) -> String {
    let got = client.exchange(line, None).await;
    assert_eq!(got.codes(), [150, 226], "{line}: {}", got.text());
    String::from_utf8(got.data).unwrap()
}

/// The name that ends each `ls -l` line; header and blank lines as they
/// are.
fn names(listing: &str) -> Vec<String> {
    listing
        .split_terminator("\r\n")
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() >= 9 {
                fields[8..].join(" ")
            } else {
                line.to_owned()
            }
        })
        .collect()
}

#[tokio::test]
async fn recursive_listings_have_the_ls_lr_layout() {
    let (_harness, mut client) = fixture(|_| {}).await;
    assert_eq!(
        listing(&mut client, "NLST -R").await,
        ".:\r\na\r\nc\r\ntop.txt\r\n\
         \r\n./a:\r\na1.txt\r\nb\r\n\
         \r\n./a/b:\r\nb1.txt\r\n\
         \r\n./c:\r\nc1.txt\r\n"
    );
    // The top header is the path as written; long lines under each.
    let long = listing(&mut client, "LIST -lR a").await;
    assert_eq!(names(&long), ["a:", "a1.txt", "b", "", "a/b:", "b1.txt"]);
    assert!(long.contains("\r\ndrwxr-xr-x"), "{long}");
    let rooted = listing(&mut client, "LIST -R /a/").await;
    assert_eq!(
        names(&rooted),
        ["/a/:", "a1.txt", "b", "", "/a/b:", "b1.txt"]
    );
    // Dot directories only with -a.
    let all = listing(&mut client, "NLST -aR c/..").await;
    assert!(all.contains("\r\nc/../.hid:\r\nh\r\n"), "{all}");
    // A file is its own listing.
    assert_eq!(
        names(&listing(&mut client, "LIST -R top.txt").await),
        ["top.txt"]
    );
}

#[tokio::test]
async fn a_recursive_wildcard_goes_into_the_directories_it_matches() {
    let (_harness, mut client) = fixture(|_| {}).await;
    assert_eq!(
        listing(&mut client, "NLST -R [ac]").await,
        "a\r\nc\r\n\r\na:\r\na1.txt\r\nb\r\n\r\na/b:\r\nb1.txt\r\n\r\nc:\r\nc1.txt\r\n"
    );
}

#[tokio::test]
async fn a_tree_deeper_than_the_limit_ends_in_451_naming_it() {
    let (_harness, mut client) = fixture(|s| s.options(|o| o.max_list_depth = 2)).await;
    listing(&mut client, "LIST -R").await;
    let (_harness, mut client) = fixture(|s| s.options(|o| o.max_list_depth = 1)).await;
    // From `a`, `a/b` is one level down; from the root, two.
    assert_eq!(
        names(&listing(&mut client, "LIST -R a").await),
        ["a:", "a1.txt", "b", "", "a/b:", "b1.txt"]
    );
    let cut = client.exchange("LIST -R", None).await;
    assert_eq!(cut.codes(), [150, 451]);
    let text = cut.text();
    assert!(
        text.contains("deeper than 1 levels") && text.contains("incomplete"),
        "{text}"
    );
    let (_harness, mut client) = fixture(|s| s.options(|o| o.max_list_depth = 0)).await;
    assert_eq!(
        names(&listing(&mut client, "LIST -R c").await),
        ["c:", "c1.txt"]
    );
    assert_eq!(
        client.exchange("NLST -R [ac]", None).await.codes(),
        [150, 451]
    );
    // Without -R there is no limit to reach.
    listing(&mut client, "LIST").await;
}

#[tokio::test]
async fn a_tree_of_more_entries_than_the_limit_ends_in_451_naming_it() {
    // Nine entries in all, the hidden directory and its file counted.
    let (_harness, mut client) = fixture(|s| s.options(|o| o.max_list_entries = 9)).await;
    listing(&mut client, "LIST -aR").await;
    let (_harness, mut client) = fixture(|s| s.options(|o| o.max_list_entries = 8)).await;
    let cut = client.exchange("LIST -aR", None).await;
    assert_eq!(cut.codes(), [150, 451]);
    assert!(cut.text().contains("more than 8 entries"), "{}", cut.text());
}

#[tokio::test]
async fn dash_d_lists_the_directory_itself() {
    let (_harness, mut client) = fixture(|_| {}).await;
    let one = names(&listing(&mut client, "LIST -d a").await);
    assert_eq!(one, ["a"]);
    let line = listing(&mut client, "LIST -ld a/b").await;
    assert!(
        line.starts_with("drwxr-xr-x") && line.ends_with(" a/b\r\n"),
        "{line}"
    );
    assert_eq!(names(&listing(&mut client, "LIST -d").await), ["."]);
    assert_eq!(listing(&mut client, "NLST -d c").await, "c\r\n");
    // -d wins over -R; a hidden directory named by the client is shown.
    assert_eq!(
        names(&listing(&mut client, "LIST -dR .hid").await),
        [".hid"]
    );
    assert_eq!(
        client.exchange("LIST -d missing", None).await.codes(),
        [550]
    );
}

#[tokio::test]
async fn recursive_listings_work_in_mode_b_and_type_a() {
    let (_harness, mut client) = fixture(|_| {}).await;
    let plain = listing(&mut client, "NLST -R a").await;
    assert_eq!(client.cmd("TYPE A").await.code().get(), 200);
    assert_eq!(client.cmd("MODE B").await.code().get(), 200);
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    assert_eq!(listing(&mut client, "NLST -R a").await, plain);
    // A listing cut by its limit ends with 451 in MODE B too, and the
    // session goes on.
    let (_harness, mut client) = fixture(|s| s.options(|o| o.max_list_depth = 0)).await;
    assert_eq!(client.cmd("MODE B").await.code().get(), 200);
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    assert_eq!(client.exchange("LIST -R", None).await.codes(), [150, 451]);
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    assert_eq!(listing(&mut client, "NLST c").await, "c1.txt\r\n");
}
