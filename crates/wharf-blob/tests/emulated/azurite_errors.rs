//! Error codes Azurite does send, and the reason each carries (the words
//! the FTP reply shows): a blob moved to the archive tier (`BlobArchived`
//! on download) and a blob leased by another client (`LeaseIdMissing` on
//! overwrite and delete). The tier and the lease are set with raw requests,
//! as another client would.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wharf_test_support::sas::{account_sas, in_an_hour};
use wharf_vfs::testing::write_file;
use wharf_vfs::{Vfs, VfsErrorKind, WriteMode};

use crate::support::{AZURITE_ACCOUNT, AZURITE_KEY, Emulator, Kind, path};

/// A `PUT` of `blob`'s `comp` sub-resource with `headers`, signed by an
/// account SAS: the status Azurite answers.
async fn put_comp(port: u16, blob: &str, comp: &str, headers: &[(&str, &str)]) -> u16 {
    let token = account_sas(AZURITE_ACCOUNT, AZURITE_KEY, "rwdlac", "sco", &in_an_hour());
    let mut request = format!(
        "PUT /{AZURITE_ACCOUNT}/{blob}?comp={comp}&{token} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nx-ms-version: 2022-11-02\r\nContent-Length: 0\r\n"
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archived_blobs_must_be_rehydrated() {
    let emulator = Emulator::shared(Kind::Azurite);
    let fs = emulator.container("errs-archive").await;
    write_file(&fs, &path("/cold.bin"), b"frozen").await;
    let status = put_comp(
        emulator.port,
        "errs-archive/cold.bin",
        "tier",
        &[("x-ms-access-tier", "Archive")],
    )
    .await;
    assert_eq!(status, 200, "set tier");
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
async fn leased_blobs_name_the_lease() {
    let emulator = Emulator::shared(Kind::Azurite);
    let fs = emulator.container("errs-lease").await;
    write_file(&fs, &path("/held.bin"), b"mine").await;
    let status = put_comp(
        emulator.port,
        "errs-lease/held.bin",
        "lease",
        &[
            ("x-ms-lease-action", "acquire"),
            ("x-ms-lease-duration", "-1"),
        ],
    )
    .await;
    assert_eq!(status, 201, "acquire lease");
    let leased = Some("the file is leased by another client");
    let err = fs.remove_file(&path("/held.bin")).await.unwrap_err();
    assert_eq!(err.kind(), VfsErrorKind::PermissionDenied, "{err:?}");
    assert_eq!(err.reason(), leased, "{err:?}");
    let mut upload = fs
        .create(&path("/held.bin"), WriteMode::Create)
        .await
        .unwrap();
    upload.write_all(b"theirs").await.unwrap();
    let err = upload.finish().await.unwrap_err();
    assert_eq!(err.kind(), VfsErrorKind::PermissionDenied, "{err:?}");
    assert_eq!(err.reason(), leased, "{err:?}");
}
