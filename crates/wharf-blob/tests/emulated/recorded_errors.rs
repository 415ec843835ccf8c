//! Error codes no emulator sends (Azurite never archives a blob, nor
//! forbids public access), played back by a loopback server that answers
//! with Azure's recorded responses: status, headers and XML body as the
//! Blob service documents them. The whole path runs, from the HTTP answer
//! through object_store or the REST client to the `VfsError`'s kind and
//! the reason the FTP reply carries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::support::{AZURITE_ACCOUNT, AZURITE_KEY, path};
use wharf_blob::{BlobConfig, BlobFs, Store, View};
use wharf_vfs::{Vfs, VfsError, VfsErrorKind, next_entry};

/// Azure's error response with `code`, as the service sends it.
fn azure_error(status: &str, code: &str, message: &str) -> String {
    let body = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}\nRequestId:0e3b6c2a-701e-0062-0b1d-4ab5a8000000\nTime:2026-12-06T09:30:00.0000000Z</Message></Error>"
    );
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nServer: Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0\r\nx-ms-request-id: 0e3b6c2a-701e-0062-0b1d-4ab5a8000000\r\nx-ms-version: 2025-01-05\r\nx-ms-error-code: {code}\r\nDate: Sun, 06 Dec 2026 09:30:00 GMT\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The answer to a `HEAD` of an existing container or blob.
fn found(blob: bool) -> String {
    let blob_headers = if blob {
        "Content-Length: 5\r\nContent-Type: application/octet-stream\r\nx-ms-blob-type: BlockBlob\r\nx-ms-access-tier: Archive\r\n"
    } else {
        "Content-Length: 0\r\n"
    };
    format!(
        "HTTP/1.1 200 OK\r\n{blob_headers}Last-Modified: Sun, 06 Dec 2026 08:00:00 GMT\r\nETag: \"0x8DD15A4C2B1E9F0\"\r\nx-ms-version: 2025-01-05\r\nDate: Sun, 06 Dec 2026 09:30:00 GMT\r\nConnection: close\r\n\r\n"
    )
}

/// A server answering each request with `answer(method, target)`; stops
/// when dropped.
struct Recorded {
    port: u16,
    task: JoinHandle<()>,
}

impl Drop for Recorded {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Recorded {
    async fn start(answer: fn(&str, &str) -> String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match client.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&head);
                    let mut line = text.lines().next().unwrap_or("").split(' ');
                    let (method, target) = (line.next().unwrap_or(""), line.next().unwrap_or(""));
                    let _ = client.write_all(answer(method, target).as_bytes()).await;
                    let _ = client.shutdown().await;
                });
            }
        });
        Self { port, task }
    }

    fn fs(&self, view: View) -> BlobFs {
        let store = Store::azure(
            format!("http://127.0.0.1:{}/{AZURITE_ACCOUNT}", self.port),
            AZURITE_ACCOUNT,
            AZURITE_KEY,
        );
        BlobFs::new(BlobConfig::new(store, view)).unwrap()
    }

    /// A store with `retries` quick retries: `s3` or Azure.
    fn retrying(&self, s3: bool, retries: usize) -> BlobFs {
        let store = if s3 {
            Store::s3(
                format!("http://127.0.0.1:{}", self.port),
                "us-east-1",
                "testing",
                "testing",
            )
        } else {
            Store::azure(
                format!("http://127.0.0.1:{}/{AZURITE_ACCOUNT}", self.port),
                AZURITE_ACCOUNT,
                AZURITE_KEY,
            )
        };
        let config = BlobConfig::new(store, View::Container("box".into()))
            .with_retries(retries, Duration::from_millis(5));
        BlobFs::new(config).unwrap()
    }
}

/// The error listing `/` ends with, whether `list` or its stream fails.
async fn listing_error(fs: &BlobFs) -> VfsError {
    let mut stream = match fs.list(&path("/")).await {
        Ok(stream) => stream,
        Err(err) => return err,
    };
    while let Some(entry) = next_entry(&mut stream).await {
        if let Err(err) = entry {
            return err;
        }
    }
    panic!("the listing succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_access_disabled_on_the_account() {
    let server = Recorded::start(|method, target| {
        if method == "PUT" && target.contains("comp=acl") {
            azure_error(
                "409 Public access is not permitted on this storage account.",
                "PublicAccessNotPermitted",
                "Public access is not permitted on this storage account.",
            )
        } else {
            found(false)
        }
    })
    .await;
    let fs = server.fs(View::Account);
    let err = fs.set_permissions(&path("/box"), 0o755).await.unwrap_err();
    assert_eq!(err.kind(), VfsErrorKind::PermissionDenied, "{err:?}");
    assert_eq!(
        err.reason(),
        Some(
            "public access is disabled on this storage account, so no container can be made public"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archived_blobs_must_be_rehydrated() {
    let server = Recorded::start(|method, _| match method {
        "HEAD" => found(true),
        _ => azure_error(
            "409 This operation is not permitted on an archived blob.",
            "BlobArchived",
            "This operation is not permitted on an archived blob.",
        ),
    })
    .await;
    let fs = server.fs(View::Container("box".into()));
    let err = match fs.open_read(&path("/cold.bin"), 0).await {
        Ok(_) => panic!("an archived blob was opened"),
        Err(err) => err,
    };
    assert_eq!(err.kind(), VfsErrorKind::PermissionDenied, "{err:?}");
    assert!(
        err.reason()
            .is_some_and(|r| r.contains("must be rehydrated")),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_being_deleted_is_not_one_that_exists() {
    let server = Recorded::start(|_, _| {
        azure_error(
            "409 The specified container is being deleted. Try operation later.",
            "ContainerBeingDeleted",
            "The specified container is being deleted. Try operation later.",
        )
    })
    .await;
    let fs = server.fs(View::Account);
    let err = fs.mkdir(&path("/box")).await.unwrap_err();
    assert_eq!(err.kind(), VfsErrorKind::Transient, "{err:?}");
    assert_eq!(
        err.reason(),
        Some("the container is being deleted; try again later")
    );
}

static AZURE_ASKED: AtomicUsize = AtomicUsize::new(0);
static S3_ASKED: AtomicUsize = AtomicUsize::new(0);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_then_says_why() {
    let azure = Recorded::start(|_, _| {
        AZURE_ASKED.fetch_add(1, Ordering::SeqCst);
        azure_error(
            "503 The server is currently unable to receive requests. Please retry your request.",
            "ServerBusy",
            "The server is currently unable to receive requests. Please retry your request.",
        )
    })
    .await;
    let err = listing_error(&azure.retrying(false, 2)).await;
    assert_eq!(err.kind(), VfsErrorKind::Transient, "{err:?}");
    assert_eq!(err.reason(), Some("the storage is busy"));
    assert!(AZURE_ASKED.load(Ordering::SeqCst) >= 3, "not retried");
    // S3's answer (API reference, "Error responses"): the code in the body.
    let s3 = Recorded::start(|_, _| {
        S3_ASKED.fetch_add(1, Ordering::SeqCst);
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId></Error>";
        format!(
            "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nx-amz-request-id: 4442587FB7D0A2F9\r\nServer: AmazonS3\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    })
    .await;
    let err = listing_error(&s3.retrying(true, 2)).await;
    assert_eq!(err.kind(), VfsErrorKind::Transient, "{err:?}");
    assert_eq!(err.reason(), Some("the storage asks to slow down"));
    assert!(S3_ASKED.load(Ordering::SeqCst) >= 3, "not retried");
}
