//! The token path against a local stand-in for Entra ID and the blob
//! service (one plain-HTTP server): the tokens it issues sign object_store's
//! and the REST calls, and its refusal reaches the caller as a reason.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wharf_vfs::{VPath, Vfs, VfsErrorKind, next_entry};

use crate::{AzureAuth, BlobConfig, BlobFs, EntraIdentity, Store, View};

/// What the stand-in saw: each request's line and `Authorization`.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// Serves token requests (`/{tenant}/oauth2/v2.0/token`) with `token`, or
/// `400 invalid_client` when `token` is `None`, and answers every other
/// request with an empty container list.
async fn stand_in(token: Option<&'static str>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.unwrap() == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let header = |name: &str| {
                    head.lines().find_map(|line| {
                        let (key, value) = line.split_once(':')?;
                        key.eq_ignore_ascii_case(name)
                            .then(|| value.trim().to_string())
                    })
                };
                let length: usize = header("content-length").map_or(0, |l| l.parse().unwrap());
                let mut body = vec![0; length];
                stream.read_exact(&mut body).await.unwrap();
                let line = head.lines().next().unwrap_or_default().to_string();
                log.lock()
                    .unwrap()
                    .push((line.clone(), header("authorization")));
                let (status, body) = if line.contains("/oauth2/v2.0/token") {
                    match token {
                        Some(token) => (
                            "200 OK",
                            format!("{{\"access_token\":\"{token}\",\"expires_in\":3600}}"),
                        ),
                        None => (
                            "400 Bad Request",
                            "{\"error\":\"invalid_client\"}".to_string(),
                        ),
                    }
                } else {
                    (
                        "200 OK",
                        "<?xml version=\"1.0\"?><EnumerationResults><Containers/></EnumerationResults>"
                            .to_string(),
                    )
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    (base, seen)
}

fn fs(base: &str) -> BlobFs {
    let identity = EntraIdentity::ClientSecret {
        tenant_id: "tenant-1".into(),
        client_id: "app-1".into(),
        client_secret: "the-client-secret-value".into(),
        authority_host: Some(base.to_owned()),
    };
    let config = BlobConfig::new(
        Store::azure_with(format!("{base}/acct"), "acct", AzureAuth::Entra(identity)),
        View::Account,
    )
    .with_retries(0, std::time::Duration::from_millis(1));
    BlobFs::new(config).unwrap()
}

#[tokio::test]
async fn the_identitys_token_signs_the_rest_calls() {
    let (base, seen) = stand_in(Some("header.payload.sig")).await;
    let fs = fs(&base);
    let mut entries = fs.list(&VPath::root()).await.unwrap();
    assert!(next_entry(&mut entries).await.is_none());
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen[0].0.starts_with("POST /tenant-1/oauth2/v2.0/token"),
        "{seen:?}"
    );
    let listing = seen.iter().find(|(line, _)| line.contains("comp=list"));
    let (_, auth) = listing.unwrap_or_else(|| panic!("no listing: {seen:?}"));
    assert_eq!(auth.as_deref(), Some("Bearer header.payload.sig"));
    // The secret and the token never show.
    let shown = format!("{fs:?} {:?}", fs.account.rest.signer);
    assert!(!shown.contains("the-client-secret-value"), "{shown}");
    assert!(!shown.contains("header.payload.sig"), "{shown}");
}

#[tokio::test]
async fn a_refused_token_request_is_a_reason_not_a_hang() {
    let (base, seen) = stand_in(None).await;
    let fs = fs(&base);
    let failed = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        match fs.list(&VPath::root()).await {
            Err(err) => err,
            Ok(mut entries) => next_entry(&mut entries).await.unwrap().unwrap_err(),
        }
    })
    .await
    .unwrap();
    assert_eq!(failed.kind(), VfsErrorKind::PermissionDenied, "{failed:?}");
    assert_eq!(
        failed.reason(),
        Some(
            "the server's Azure identity could not get an access token: the token service answered 400 Bad Request"
        )
    );
    // No request reached the store unsigned.
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter().all(|(line, _)| line.contains("/oauth2/")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_container_public_access_change_is_refused_before_asking() {
    let (base, seen) = stand_in(Some("t.t.t")).await;
    let fs = fs(&base);
    let err = fs
        .set_permissions(&VPath::parse(b"/box").unwrap(), 0o755)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), VfsErrorKind::PermissionDenied);
    assert!(
        err.reason().unwrap().contains("only the account key"),
        "{err:?}"
    );
    assert!(seen.lock().unwrap().is_empty());
}
