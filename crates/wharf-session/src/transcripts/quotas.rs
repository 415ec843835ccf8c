//! A login with a quota hook: transfers are refused once it is used up,
//! a download stops exactly at the limit (`451`), an upload over it is
//! discarded (`552`), and listings count nothing but are refused like
//! downloads once the quota is gone.

use std::sync::Arc;

use crate::Direction;
use crate::testkit::{ByteQuota, Harness, Setup};

/// A harness whose logins have `quota`, with `ten` of ten bytes.
async fn with(quota: &Arc<ByteQuota>) -> Harness {
    let mut setup = Setup::default();
    setup.fs([("ten", "0123456789")]);
    setup.quota(quota.clone());
    Harness::start(setup).await
}

#[tokio::test]
async fn a_download_stops_exactly_at_the_limit() {
    let quota = Arc::new(ByteQuota::new(4, u64::MAX));
    let harness = with(&quota).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    let cut = client.exchange("RETR ten", None).await;
    assert_eq!(cut.codes(), [150, 451]);
    assert_eq!(cut.data, b"0123");
    assert_eq!(quota.used(Direction::Download), 4);
    // Used up: the next download is refused before it starts.
    assert_eq!(client.exchange("RETR ten", None).await.codes(), [451]);
    // So is a listing, a download too.
    assert_eq!(client.exchange("LIST", None).await.codes(), [451]);
    assert_eq!(client.exchange("NLST", None).await.codes(), [451]);
    assert_eq!(client.exchange("MLSD", None).await.codes(), [451]);
    // Uploads have their own quota.
    assert_eq!(
        client.exchange("STOR up", Some(b"fine")).await.codes(),
        [150, 226]
    );
    // And commands on the control connection go on.
    assert_eq!(client.cmd("SIZE ten").await.code().get(), 213);
}

#[tokio::test]
async fn type_a_counts_the_bytes_on_the_wire() {
    let quota = Arc::new(ByteQuota::new(5, u64::MAX));
    let (_harness, _client) = transcript!(fs = [("lines", "a\nb\nc\n")], quota = quota.clone();
        "USER a" => 331,
        "PASS s" => 230,
        "TYPE A" => 200,
        // Five bytes of "a\r\nb\r\nc\r\n", though the file has six.
        "RETR lines" => [150, 451] >> "a\r\nb\r",
    );
    assert_eq!(quota.used(Direction::Download), 5);
}

#[tokio::test]
async fn an_upload_over_the_quota_is_discarded() {
    let quota = Arc::new(ByteQuota::new(u64::MAX, 8));
    let (harness, _client) = transcript!(fs = [("ten", "0123456789")], quota = quota.clone();
        "USER a" => 331,
        "PASS s" => 230,
        "STOR big" << "more than eight" => [150, 552],
        // Used up now: refused before any data moves.
        "APPE ten" << "0123456789" => 552,
    );
    // Nothing of it is kept, not even the part within the quota.
    assert!(!harness.exists("big").await);
    assert_eq!(harness.file("ten").await, b"0123456789");
    assert_eq!(quota.used(Direction::Upload), 8);
}

#[tokio::test]
async fn an_upload_within_the_quota_is_kept_and_counted() {
    let quota = Arc::new(ByteQuota::new(u64::MAX, 8));
    let harness = with(&quota).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    let stored = client.exchange("STOR small", Some(b"1234")).await;
    assert_eq!(stored.codes(), [150, 226]);
    assert_eq!(harness.file("small").await, b"1234");
    assert_eq!(quota.used(Direction::Upload), 4);
    // Listings and control traffic are recorded, never charged.
    let listing = client.exchange("NLST", None).await;
    assert_eq!(listing.codes(), [150, 226]);
    assert!(quota.recorded() > listing.data.len() as u64);
    assert_eq!(quota.used(Direction::Download), 0);
}

#[tokio::test]
async fn stou_and_appe_are_refused_once_the_upload_quota_is_used_up() {
    let quota = Arc::new(ByteQuota::new(u64::MAX, 0));
    let (harness, _client) = transcript!(fs = [("ten", "0123456789")], quota = quota.clone();
        "USER a" => 331,
        "PASS s" => 230,
        "STOR f" << "x" => 552,
        "APPE ten" << "x" => 552,
        "STOU" << "x" => 552,
        "RETR ten" => [150, 226] >> "0123456789",
    );
    assert!(!harness.exists("f").await);
}
