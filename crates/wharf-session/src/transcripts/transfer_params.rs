//! TYPE, MODE, STRU and REST (RFC 959 4.1.2, RFC 3659 section 5): what is
//! accepted, TYPE A's line ends both ways, and restart offsets for RETR,
//! STOR and APPE.

use tokio::io::AsyncWriteExt;

use crate::testkit::{Harness, Setup};

#[tokio::test]
async fn the_parameters_the_server_serves_and_no_others() {
    transcript!(;
        "USER a" => 331,
        "PASS s" => 230,
        "TYPE I" => 200,
        "TYPE A" => 200,
        "TYPE A N" => 200,
        "TYPE L 8" => 200,
        "type i" => 200,
        "TYPE A T" => 504,
        "TYPE E" => 504,
        "TYPE L 7" => 504,
        "TYPE X" => 501,
        "TYPE" => 501,
        "MODE S" => 200,
        "MODE B" => 200,
        "MODE S" => 200,
        "MODE C" => 504,
        "MODE X" => 501,
        "STRU F" => 200,
        "STRU R" => 504,
        "STRU P" => 504,
        "STRU X" => 501,
        "REST 0" => 350,
        "REST 18446744073709551615" => 350,
        "REST -1" => 501,
        "REST ten" => 501,
        "REST" => 501,
    );
}

#[tokio::test]
async fn type_a_sends_crlf_and_stores_lf() {
    let (harness, _client) = transcript!(fs = [("unix", "one\ntwo\n\nend"), ("dos", "a\r\nb\r\n")];
        "USER a" => 331,
        "PASS s" => 230,
        "TYPE A" => 200,
        "RETR unix" => [150, 226] >> "one\r\ntwo\r\n\r\nend",
        // Lines that already end in CRLF are not doubled.
        "RETR dos" => [150, 226] >> "a\r\nb\r\n",
        "STOR up" << "x\r\ny\r\n\r\nlone\rcr\r" => [150, 226],
        "TYPE I" => 200,
        "RETR unix" => [150, 226] >> "one\ntwo\n\nend",
        "STOR raw" << "x\r\ny" => [150, 226],
    );
    // A CR that no LF follows is data, also at the very end.
    assert_eq!(harness.file("up").await, b"x\ny\n\nlone\rcr\r");
    assert_eq!(harness.file("raw").await, b"x\r\ny");
}

#[tokio::test]
async fn type_a_joins_a_crlf_split_between_writes() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    assert_eq!(client.cmd("TYPE A").await.code().get(), 200);
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    client.send_raw(b"STOR split\r\n").await;
    assert_eq!(client.reply().await.code().get(), 150);
    let mut data = client.data_connection().await;
    for part in [&b"one\r"[..], b"\ntwo\r", b"\n"] {
        data.write_all(part).await.unwrap();
        data.flush().await.unwrap();
        tokio::task::yield_now().await;
    }
    data.shutdown().await.unwrap();
    assert_eq!(client.reply().await.code().get(), 226);
    assert_eq!(harness.file("split").await, b"one\ntwo\n");
}

#[tokio::test]
async fn rest_resumes_retr_stor_and_is_used_once() {
    let (harness, _client) = transcript!(fs = [("f", "0123456789"), ("part", "01234xxx")];
        "USER a" => 331,
        "PASS s" => 230,
        "REST 4" => 350,
        "RETR f" => [150, 226] >> "456789",
        // The offset was for that transfer only.
        "RETR f" => [150, 226] >> "0123456789",
        "REST 10" => 350,
        "RETR f" => [150, 226] >> "",
        // STOR at an offset keeps the bytes before it and replaces the rest.
        "REST 5" => 350,
        "STOR part" << "56789" => [150, 226],
        "REST 0" => 350,
        "STOR whole" << "new" => [150, 226],
    );
    assert_eq!(harness.file("part").await, b"0123456789");
    assert_eq!(harness.file("whole").await, b"new");
}

#[tokio::test]
async fn rest_beyond_the_end_is_refused() {
    let (harness, _client) = transcript!(fs = [("f", "0123456789")];
        "USER a" => 331,
        "PASS s" => 230,
        "REST 11" => 350,
        "RETR f" => 554,
        "REST 11" => 350,
        "STOR f" << "x" => 554,
        "REST 1" => 350,
        "STOR missing" << "x" => 550,
        // Each refusal used the offset up.
        "RETR f" => [150, 226] >> "0123456789",
    );
    assert_eq!(harness.file("f").await, b"0123456789");
    assert!(!harness.exists("missing").await);
}

#[tokio::test]
async fn appe_appends_whatever_rest_said() {
    let (harness, _client) = transcript!(fs = [("log", "one\n")];
        "USER a" => 331,
        "PASS s" => 230,
        "APPE log" << "two\n" => [150, 226],
        "REST 1" => 350,
        "APPE log" << "three\n" => [150, 226],
        // APPE creates a file that is not there.
        "APPE fresh" << "first" => [150, 226],
        // And REST was used up by the APPE.
        "RETR log" => [150, 226] >> "one\ntwo\nthree\n",
    );
    assert_eq!(harness.file("log").await, b"one\ntwo\nthree\n");
    assert_eq!(harness.file("fresh").await, b"first");
}

/// RFC 3659 section 5: in STREAM mode the REST marker counts the octets
/// already sent on the data connection, which in TYPE A are the file's
/// bytes with CRLF line ends. The client that got "a\r\n" of "a\nb\n"
/// resumes with REST 3 and must get "b\r\n"; an upload resumed at 3 after
/// "a\r\n" must leave "a\nb\n". The engine seeks to stored byte 3 instead,
/// which duplicates or loses line ends (or, as some servers do, it could
/// refuse REST in TYPE A).
#[tokio::test]
async fn rest_in_type_a_counts_the_octets_on_the_wire() {
    let (harness, _client) = transcript!(fs = [("down", "a\nb\n"), ("up", "a\nxx")];
        "USER a" => 331,
        "PASS s" => 230,
        "TYPE A" => 200,
        "REST 3" => 350,
        "RETR down" => [150, 226] >> "b\r\n",
        "REST 3" => 350,
        "STOR up" << "b\r\n" => [150, 226],
        // Mapping the offset reads the file before any reply: bounded.
        "REST 16777217" => 350,
        "STOR up" << "x" => 550,
        "TYPE I" => 200,
        "REST 3" => 350,
        "STOR up" << "B\n" => [150, 226],
    );
    assert_eq!(harness.file("up").await, b"a\nbB\n");
}
