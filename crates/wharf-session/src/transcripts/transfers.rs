//! RETR, STOR, APPE, STOU and REST, over every kind of data connection.

#[tokio::test]
async fn retrieve_and_store_over_epsv() {
    let (harness, _) = transcript!(fs = [("f", "hello")];
        "USER a" => 331,
        "PASS s" => 230,
        "EPSV" => 229,
        "RETR f" => [150, 226] >> "hello",
        "EPSV" => 229,
        "STOR g" << "new" => [150, 226],
    );
    assert_eq!(harness.file("g").await, b"new");
}
