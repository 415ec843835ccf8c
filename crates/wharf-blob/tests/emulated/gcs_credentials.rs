//! A GCS service account key signs every request: object_store's XML
//! listing and wharf-blob's own JSON calls carry the same bearer token, a
//! JWT that the key's RSA key signed (object_store's self-signed service
//! account token: no token endpoint is asked). fake-gcs-server accepts any
//! token, so a stub GCS here records what arrives and the test checks the
//! token's claims and its RS256 signature against the key's public half.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wharf_blob::{BlobConfig, BlobFs, GcsAuth, Store, View};
use wharf_vfs::testing::list_names;

use crate::support::path;
use wharf_test_support::gcs::{CLIENT_EMAIL, KEY_ID, TEST_PUBLIC_DER, service_account_json};

/// A stub GCS on loopback: records each request's target and
/// `Authorization`, answers bucket lists (JSON) and object lists (XML).
struct Stub {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// A request's target and its `Authorization` header.
type Seen = (String, Option<String>);

impl Stub {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let record = record.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 65_536 {
                        if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let target = head.split(' ').nth(1).unwrap_or_default().to_owned();
                    let auth = head.lines().find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("authorization")
                            .then(|| value.trim().to_owned())
                    });
                    record.lock().unwrap().push((target.clone(), auth));
                    let (kind, body) = if target.starts_with("/storage/v1/b?") {
                        (
                            "application/json",
                            r#"{"items":[{"name":"from-stub"}]}"#.to_owned(),
                        )
                    } else {
                        (
                            "application/xml",
                            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>from-stub</Name><Prefix></Prefix><KeyCount>0</KeyCount></ListBucketResult>".to_owned(),
                        )
                    };
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                });
            }
        });
        Self { port, seen }
    }
}

/// The claims of `token` after its RS256 signature checked out.
fn verified_claims(token: &str) -> (serde_json::Value, serde_json::Value) {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts: {token}");
    let public = base64::engine::general_purpose::STANDARD
        .decode(TEST_PUBLIC_DER)
        .unwrap();
    let key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        public,
    );
    let signed = format!("{}.{}", parts[0], parts[1]);
    key.verify(signed.as_bytes(), &b64.decode(parts[2]).unwrap())
        .expect("the token is signed by the key file's key");
    let json = |part: &str| serde_json::from_slice(&b64.decode(part).unwrap()).unwrap();
    (json(parts[0]), json(parts[1]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_key_signs_every_request() {
    let stub = Stub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key.json");
    std::fs::write(&key_file, service_account_json("wharf-test")).unwrap();
    let store = Store::gcs_at(
        format!("http://127.0.0.1:{}", stub.port),
        Some("wharf-test".into()),
        GcsAuth::KeyFile(key_file),
    );
    // wharf-blob's JSON call: the project's buckets.
    let account = BlobFs::new(BlobConfig::new(store.clone(), View::Account)).unwrap();
    assert_eq!(
        list_names(&account, &path("/")).await,
        vec![b"from-stub".to_vec()]
    );
    // object_store's XML call: a bucket's objects.
    let bucket = BlobFs::new(BlobConfig::new(store, View::Container("from-stub".into()))).unwrap();
    assert!(list_names(&bucket, &path("/")).await.is_empty());

    let seen = stub.seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|(t, _)| t.starts_with("/storage/v1/b?project=wharf-test")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            // object_store encodes the bucket name's `-` too.
            .any(|(t, _)| t.starts_with("/from%2Dstub?list-type=2")),
        "{seen:?}"
    );
    for (target, auth) in &seen {
        let auth = auth
            .as_deref()
            .unwrap_or_else(|| panic!("{target} came unsigned"));
        let token = auth.strip_prefix("Bearer ").expect("a bearer token");
        let (header, claims) = verified_claims(token);
        assert_eq!(header["kid"], KEY_ID, "{header}");
        assert_eq!(header["alg"], "RS256", "{header}");
        assert_eq!(claims["iss"], CLIENT_EMAIL, "{claims}");
    }
}
