//! Checksums: HASH with OPTS HASH and RANG (draft-bryan-ftpext-hash-02),
//! the X commands, their limits and quotas; with HELP <verb>, SITE UTIME
//! and the verbs known but not implemented.
//!
//! Expected hashes are the published test vectors: "abc" for SHA-1,
//! SHA-256, SHA-512 (FIPS 180) and MD5 (RFC 1321), "123456789" for CRC-32.

use std::sync::Arc;

use crate::Direction;
use crate::testkit::{ByteQuota, Client, Harness, Setup};

const SHA256_ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const SHA1_ABC: &str = "a9993e364706816aba3e25717850c26c9cd0d89d";
const MD5_ABC: &str = "900150983cd24fb0d6963f7d28e17f72";
const SHA512_ABC: &str = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                          2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
const CRC32_DIGITS: &str = "cbf43926";

async fn fixture(change: impl FnOnce(&mut Setup)) -> (Harness, Client) {
    let mut setup = Setup::default();
    setup.dirs(["dir"]);
    setup.fs([
        ("abc", "abc"),
        ("digits", "123456789"),
        ("framed", "xxabcxx"),
        ("track 1", "abc"),
        ("empty", ""),
    ]);
    change(&mut setup);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    (harness, client)
}

/// The reply's code and its text.
async fn ask(client: &mut Client, line: &str) -> (u16, String) {
    let reply = client.cmd(line).await;
    (reply.code().get(), crate::testkit::text(&reply))
}

#[tokio::test]
async fn hash_uses_the_selected_algorithm_and_feat_marks_it() {
    let (_harness, mut client) = fixture(|_| {}).await;
    let (code, feat) = ask(&mut client, "FEAT").await;
    assert_eq!(code, 211);
    assert!(
        feat.contains(" HASH SHA-256*;SHA-512;SHA-1;MD5;CRC32\n"),
        "{feat}"
    );
    assert!(!feat.contains("RANG"), "RANG only serves HASH: {feat}");
    assert_eq!(
        ask(&mut client, "HASH abc").await,
        (213, format!("SHA-256 0-2 {SHA256_ABC} abc"))
    );
    assert_eq!(ask(&mut client, "OPTS HASH").await, (200, "SHA-256".into()));
    for (name, shown, line) in [
        ("sha-1", "SHA-1", format!("SHA-1 0-2 {SHA1_ABC} abc")),
        ("MD5", "MD5", format!("MD5 0-2 {MD5_ABC} abc")),
        (
            "SHA-512",
            "SHA-512",
            format!("SHA-512 0-2 {SHA512_ABC} abc"),
        ),
    ] {
        assert_eq!(
            ask(&mut client, &format!("OPTS HASH {name}")).await,
            (200, shown.into())
        );
        assert_eq!(ask(&mut client, "HASH abc").await, (213, line));
    }
    assert_eq!(ask(&mut client, "OPTS HASH CRC32").await.0, 200);
    assert_eq!(
        ask(&mut client, "HASH digits").await,
        (213, format!("CRC32 0-8 {CRC32_DIGITS} digits"))
    );
    let (_, feat) = ask(&mut client, "FEAT").await;
    assert!(
        feat.contains(" HASH SHA-256;SHA-512;SHA-1;MD5;CRC32*\n"),
        "{feat}"
    );
    // An unknown name changes nothing.
    assert_eq!(ask(&mut client, "OPTS HASH CRC-37").await.0, 501);
    assert_eq!(ask(&mut client, "OPTS HASH").await, (200, "CRC32".into()));
    // REIN starts over with the default.
    assert_eq!(ask(&mut client, "REIN").await.0, 220);
    client.login("a").await;
    assert_eq!(ask(&mut client, "OPTS HASH").await, (200, "SHA-256".into()));
}

#[tokio::test]
async fn rang_sets_the_range_of_the_next_hash_only() {
    let (_harness, mut client) = fixture(|_| {}).await;
    assert_eq!(ask(&mut client, "RANG 2 4").await.0, 350);
    assert_eq!(
        ask(&mut client, "HASH framed").await,
        (213, format!("SHA-256 2-4 {SHA256_ABC} framed"))
    );
    // Used once: the next HASH covers the whole file again.
    let (code, whole) = ask(&mut client, "HASH framed").await;
    assert_eq!(code, 213);
    assert!(whole.starts_with("SHA-256 0-6 "), "{whole}");
    assert_ne!(whole, format!("SHA-256 0-6 {SHA256_ABC} framed"));
    // A range past the end is cut to the file.
    assert_eq!(ask(&mut client, "RANG 0 1000").await.0, 350);
    assert_eq!(
        ask(&mut client, "HASH abc").await,
        (213, format!("SHA-256 0-2 {SHA256_ABC} abc"))
    );
    assert_eq!(ask(&mut client, "RANG 50 60").await.0, 350);
    assert_eq!(ask(&mut client, "HASH abc").await.0, 501);
    assert_eq!(ask(&mut client, "RANG 1 0").await.0, 350);
    assert_eq!(ask(&mut client, "RANG 5 3").await.0, 501);
    assert_eq!(ask(&mut client, "RANG 5").await.0, 501);
}

#[tokio::test]
async fn a_transfer_never_takes_a_rang_range_for_its_own() {
    let (_harness, mut client) = fixture(|_| {}).await;
    assert_eq!(ask(&mut client, "RANG 0 1").await.0, 350);
    assert_eq!(client.exchange("RETR abc", None).await.codes(), [503]);
    // The range is dropped: the transfer goes through when sent again.
    let again = client.exchange("RETR abc", None).await;
    assert_eq!(again.codes(), [150, 226]);
    assert_eq!(again.data, b"abc");
    assert_eq!(ask(&mut client, "RANG 0 1").await.0, 350);
    assert_eq!(client.exchange("STOR new", Some(b"x")).await.codes(), [503]);
}

#[tokio::test]
async fn x_commands_hash_files_and_ranges() {
    let (_harness, mut client) = fixture(|_| {}).await;
    assert_eq!(
        ask(&mut client, "XCRC digits").await,
        (250, CRC32_DIGITS.into())
    );
    assert_eq!(ask(&mut client, "XMD5 abc").await, (250, MD5_ABC.into()));
    assert_eq!(ask(&mut client, "XSHA1 abc").await, (250, SHA1_ABC.into()));
    assert_eq!(
        ask(&mut client, "xsha256 abc").await,
        (250, SHA256_ABC.into())
    );
    assert_eq!(
        ask(&mut client, "XSHA512 abc").await,
        (250, SHA512_ABC.into())
    );
    // Start and end offsets, the end one past the last byte, quoted or not.
    assert_eq!(
        ask(&mut client, "XSHA256 \"framed\" 2 5").await,
        (250, SHA256_ABC.into())
    );
    assert_eq!(
        ask(&mut client, "XSHA256 framed 2 5").await,
        (250, SHA256_ABC.into())
    );
    assert_eq!(
        ask(&mut client, "XSHA256 /framed 4").await.1,
        ask(&mut client, "XSHA256 \"/framed\" 4 7").await.1
    );
    // A file whose name ends in a number is read literally first.
    assert_eq!(
        ask(&mut client, "XSHA256 track 1").await,
        (250, SHA256_ABC.into())
    );
    // The empty file has the hash of nothing.
    assert_eq!(
        ask(&mut client, "XCRC empty").await,
        (250, "00000000".into())
    );
    assert_eq!(ask(&mut client, "XCRC \"framed\" 5 2").await.0, 501);
    assert_eq!(ask(&mut client, "XCRC \"framed").await.0, 501);
}

#[tokio::test]
async fn refusals_name_their_reason() {
    let (_harness, mut client) = fixture(|setup| {
        setup.options(|o| o.max_hash_size = 5);
    })
    .await;
    assert_eq!(ask(&mut client, "HASH missing").await.0, 550);
    assert_eq!(ask(&mut client, "XMD5 missing 1 2").await.0, 550);
    assert_eq!(ask(&mut client, "HASH dir").await.0, 553);
    let (code, text) = ask(&mut client, "HASH digits").await;
    assert_eq!(code, 556, "{text}");
    assert!(text.contains("limit of 5"), "{text}");
    // Within the limit through a range.
    assert_eq!(ask(&mut client, "XCRC digits 0 5").await.0, 250);
    let mut fresh = _harness.connect().await;
    assert_eq!(ask(&mut fresh, "HASH abc").await.0, 530);
}

#[tokio::test]
async fn hashing_counts_as_downloading_toward_the_quota() {
    let quota = Arc::new(ByteQuota::new(5, u64::MAX));
    let (_harness, mut client) = fixture(|setup| setup.quota(quota.clone())).await;
    assert_eq!(ask(&mut client, "XSHA1 abc").await.0, 250);
    assert_eq!(quota.used(Direction::Download), 3);
    // Two bytes left: the hash stops there, as a download would.
    assert_eq!(ask(&mut client, "HASH digits").await.0, 451);
    assert_eq!(quota.used(Direction::Download), 5);
    assert_eq!(ask(&mut client, "HASH abc").await.0, 451);
}

#[tokio::test]
async fn help_gives_each_verbs_syntax() {
    let (_harness, mut client) = fixture(|_| {}).await;
    let (code, list) = ask(&mut client, "HELP").await;
    assert_eq!(code, 214);
    for verb in ["RETR", "HASH", "XSHA256", "MLSD", "EPSV"] {
        assert!(list.contains(verb), "{verb}: {list}");
    }
    assert_eq!(
        ask(&mut client, "HELP retr").await,
        (214, "Syntax: RETR <SP> <pathname>".into())
    );
    assert_eq!(ask(&mut client, "HELP MFMT").await.0, 214);
    assert_eq!(ask(&mut client, "HELP LPRT").await.0, 502);
}

#[tokio::test]
async fn site_utime_sets_the_modification_time_in_both_forms() {
    let (_harness, mut client) = fixture(|_| {}).await;
    assert_eq!(ask(&mut client, "SITE UTIME 202001020304 abc").await.0, 200);
    assert_eq!(
        ask(&mut client, "MDTM abc").await,
        (213, "20200102030400".into())
    );
    let five = "SITE UTIME track 1 20100101000000 20210203040506 20100101000000 UTC";
    assert_eq!(ask(&mut client, five).await.0, 200);
    assert_eq!(
        ask(&mut client, "MDTM track 1").await,
        (213, "20210203040506".into())
    );
    assert_eq!(ask(&mut client, "SITE UTIME 2021 abc").await.0, 501);
    assert_eq!(
        ask(&mut client, "SITE UTIME 20200102030405 missing")
            .await
            .0,
        550
    );
    let (code, help) = ask(&mut client, "SITE HELP").await;
    assert_eq!(code, 214);
    assert!(help.contains("UTIME"), "{help}");
}

#[tokio::test]
async fn verbs_known_but_not_implemented_get_502() {
    transcript!(;
        "USER a" => 331,
        "PASS s" => 230,
        "MD5 abc" => 502,
        "XSHA abc" => 502,
        "AVBL" => 502,
        "LPSV" => 502,
        "SMNT /" => 502,
        "NOSUCH" => 500,
    );
}
