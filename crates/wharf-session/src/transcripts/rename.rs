//! RNFR and RNTO: a rename is two commands, and RNTO must come right
//! after RNFR (RFC 959 4.1.3).

#[tokio::test]
async fn files_and_directories_are_renamed_and_moved() {
    let (harness, _client) = transcript!(
        fs = [("a", "AAA"), ("tree/inner/deep", "deep")],
        dirs = ["tree", "tree/inner", "target"];
        "USER a" => 331,
        "PASS s" => 230,
        "RNFR a" => 350,
        "RNTO b" => 250,
        "RNFR b" => 350,
        "RNTO target/c" => 250,
        // A directory goes with everything in it.
        "RNFR tree" => 350,
        "RNTO forest" => 250,
        "RNFR missing" => 550,
        "RNTO whatever" => 503,
    );
    assert!(!harness.exists("a").await && !harness.exists("b").await);
    assert_eq!(harness.file("target/c").await, b"AAA");
    assert_eq!(harness.file("forest/inner/deep").await, b"deep");
    assert!(!harness.exists("tree").await);
}

#[tokio::test]
async fn rnto_must_follow_rnfr_at_once() {
    let (harness, _client) = transcript!(fs = [("c", "CCC")];
        "USER a" => 331,
        "PASS s" => 230,
        "RNTO d" => 503,
        "RNFR c" => 350,
        "NOOP" => 200,
        "RNTO d" => 503,
        // A refused command in between forgets the RNFR too.
        "RNFR c" => 350,
        "SIZE missing" => 550,
        "RNTO d" => 503,
        // So does a second RNFR: the later one counts.
        "RNFR missing" => 550,
        "RNTO d" => 503,
        "RNFR c" => 350,
        "RNTO d" => 250,
        // One RNTO per RNFR.
        "RNTO e" => 503,
    );
    assert!(!harness.exists("c").await && !harness.exists("e").await);
    assert_eq!(harness.file("d").await, b"CCC");
}

#[tokio::test]
async fn impossible_renames_are_refused_and_change_nothing() {
    let (harness, _client) = transcript!(
        fs = [("f", "file"), ("d/inner", "x"), ("full/x", "x")],
        dirs = ["d", "full", "empty"];
        "USER a" => 331,
        "PASS s" => 230,
        // A file onto a directory, a directory onto a file.
        "RNFR f" => 350,
        "RNTO d" => 550,
        "RNFR d" => 350,
        "RNTO f" => 550,
        // A directory into itself.
        "RNFR d" => 350,
        "RNTO d/sub" => 553,
        // Onto a directory that is not empty.
        "RNFR d" => 350,
        "RNTO full" => 550,
        // Into a directory that does not exist.
        "RNFR f" => 350,
        "RNTO nowhere/f" => 550,
        // The root is never renamed, nor replaced.
        "RNFR /" => 550,
        "RNFR f" => 350,
        "RNTO /" => 550,
        // Onto an empty directory, a directory replaces it.
        "RNFR d" => 350,
        "RNTO empty" => 250,
    );
    assert_eq!(harness.file("f").await, b"file");
    assert_eq!(harness.file("empty/inner").await, b"x");
    assert_eq!(harness.file("full/x").await, b"x");
}

#[tokio::test]
async fn a_read_only_login_cannot_rename() {
    let (harness, _client) = transcript!(fs = [("f", "file")];
        "USER r" => 331,
        "PASS s" => 230,
        "RNFR f" => 550,
        "RNTO g" => 503,
    );
    assert_eq!(harness.file("f").await, b"file");
}
