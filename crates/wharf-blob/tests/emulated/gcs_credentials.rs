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

/// A 2048-bit RSA key made for this test with `openssl genpkey`; it
/// signs nothing but this test's tokens.
const TEST_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCsxF06L9rLGBmU\nTZXH2dT3R41gyLww/yhXqycYUb3yx98NWx3MNOBmU79hUOyIQKeQ8dYEQ0mMpiH4\n/AtoLc4hii0zdpIvZBPqfs8B1ucUrt1x9PJbVPmnGTF0r/b2ZhjjVTlkVF/F96zr\nuNLl7VJNawGn2+xWydOqLWjqLCpz3FOUmk7drMXSMRkMV4zyA2XAX3D0aRWX40XI\nXsznGLF2Lc5P62KS0142Cb9demjosxW1Yg5OlcSwSoyhuFItY8rYp8vgUvMxWyiZ\n7B8RYFATN+g08WYfHDETxFL9uTkzqlR5LTwPaPzrGWBTFnD4c7vJsqF+SPbGFWoL\n6aei8RVDAgMBAAECggEAG5MLvim9JgUmsADiEw+1afJFoljnkHppGfT7PGpvgrxb\n4WnVi6400qAzP3kHB4gqNnwiyHNk3cn2SiMQPwRwjfHb3QbjtiSm+RpcN9Lw9uAh\n//o0ZFdfsUfYGOOs6w7IkiAcFONSleo98zGAl6oVJL4beYskYYW8/sBYqmd6LxuL\ntMiTKy7TCdl8nTGtpQLy+3M26QVSoQ27bOuCXVCJbFYNhXKfp2S3Ce/7RVMSM0/u\nEIBCyaH7a+c/Twmwn+d4ZUpCeMtqVie0siHm0Edc5n5+jweG+t6adWZEyhhaHrs7\nJlJrQOHnl6WS75B8NEGj0FS8G+BAiKCOzJcX1MaowQKBgQDsTDx5sSk+37xLX4pH\nBYCt2TJt8QYWBwst3Pkt7Buay8dbif6cmKPd/jJEBdyrCRlXYZcPvdimY6gqsGz5\nwf+FWJQhxT33h0WiTZ4R/PZ5dJzqLAviKrg8Yk7C6W3SPDBjydtR7/YpwnqQWa+q\nkrQWQLoF7K8wYW+vozktoG5V6wKBgQC7LBFHU9HKSJexOCaVWaaliaFzfadvy5LF\nU+D9Cf5kX9DRD1gKjbT49TKxJ0u3QYsGd3flwEw3tNQ7N6hbBhD0OjYhRO+ChxW/\nnt29iMJn82YaMRTAGjzczms65nNvzMKhpOePY8CLEZYJUFkTOm7hTT2dN9IOOlRK\nx08oK9wwCQKBgHetBNP9Tg5x8kOaV8Ywm0NxRYE5GQP+/UJ1MB55/mEf5BAQi8tz\n40qDe6HH9kMJkLQY0RE/7YIX5wv33rl/75HxktSnuQKsmC/jb7Nckthgnzhapood\naMHsaEd/QgfARCHGEjYlel8cCEcjpTyWoG7EyXJGtVOjhZVG7aaWIkuRAoGAJNVi\nPRgoo9cvSufS5/cxjUgNZq3momB8bKq6DvHFhzk33bxYRhNm9stCA4zJILIcStR9\n2s/B8AB8935XejoyYe2Gs3teauBsjj4UQvVD1LMYd7UK8Vb4fTd98KRjOTAhaTAL\nhbNKs9NtJD4UmW0ZXusVYfgXNUeTSPf6AtzGwwkCgYB3oED5ZA8oHL/uuCzc6Xe7\noku9cgp6l9c5gsf+VM2DKVzeVYt0Drur5CdH+8Tp3qEUxSSEgDxaRFOHONKrJq90\nXUenYLxJuEIYv+bvD+7jbQym6Rtg20/MdHuRGCFnqXiy1wwjOst2i1adZ2ET2lco\nFEHMkjQnCbVLrWy9FSfV0Q==\n-----END PRIVATE KEY-----\n";

/// Its public half, PKCS#1 DER in base64 (`openssl rsa -RSAPublicKey_out`).
const TEST_PUBLIC_DER: &str = "MIIBCgKCAQEArMRdOi/ayxgZlE2Vx9nU90eNYMi8MP8oV6snGFG98sffDVsdzDTgZlO/YVDsiECnkPHWBENJjKYh+PwLaC3OIYotM3aSL2QT6n7PAdbnFK7dcfTyW1T5pxkxdK/29mYY41U5ZFRfxfes67jS5e1STWsBp9vsVsnTqi1o6iwqc9xTlJpO3azF0jEZDFeM8gNlwF9w9GkVl+NFyF7M5xixdi3OT+tiktNeNgm/XXpo6LMVtWIOTpXEsEqMobhSLWPK2KfL4FLzMVsomewfEWBQEzfoNPFmHxwxE8RS/bk5M6pUeS08D2j86xlgUxZw+HO7ybKhfkj2xhVqC+mnovEVQwIDAQAB";

const CLIENT_EMAIL: &str = "wharf-test@wharf-test.iam.gserviceaccount.com";
const KEY_ID: &str = "test-key-1";

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
    let key = serde_json::json!({
        "type": "service_account",
        "project_id": "wharf-test",
        "private_key_id": KEY_ID,
        "private_key": TEST_KEY_PEM,
        "client_email": CLIENT_EMAIL,
    });
    std::fs::write(&key_file, key.to_string()).unwrap();
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
