//! The mapping of store failures, checked with errors as object_store and
//! the REST client report them: Azure's and S3's recorded responses.

use super::*;

/// A recorded object_store error: a PUT refused for want of write
/// permission (Azurite 3.37's body).
#[test]
fn reads_refusals_from_messages() {
    let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.</Message></Error>";
    let err = object_store::Error::PermissionDenied {
        path: "f.bin".into(),
        source: format!(
            "Error performing PUT REDACTED in 2ms - Server returned non-2xx status code: 403 Forbidden: {body}"
        )
        .into(),
    };
    let path = VPath::parse("/f.bin").unwrap();
    let err = store_err(err, &path);
    assert_eq!(err.kind(), VfsErrorKind::PermissionDenied);
    assert_eq!(
        err.reason(),
        Some("the credential lacks write (w) permission, needed to write files")
    );
    // Any other 403 keeps its plain kind.
    let other = object_store::Error::PermissionDenied {
        path: "f.bin".into(),
        source: "Error performing GET REDACTED - <Code>CannotVerifyCopySource</Code>".into(),
    };
    assert_eq!(store_err(other, &path).reason(), None);
}

/// A response as the store sends it: status, headers, XML body.
fn recorded(status: u16, headers: &[(&str, &str)], body: &str) -> crate::rest::Response {
    let mut map = http::HeaderMap::new();
    for (name, value) in headers {
        map.insert(
            http::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    crate::rest::Response {
        status: StatusCode::from_u16(status).unwrap(),
        headers: map,
        body: bytes::Bytes::from(body.to_string()),
        refusal: None,
    }
}

/// Azure's error body for `code` (Blob service REST API, "Status and
/// error codes").
fn azure_body(code: &str, message: &str) -> String {
    format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}\nRequestId:5f7b3c1e-e01e-0035-3c2d-4a3b6f000000\nTime:2026-12-06T09:12:01.4417315Z</Message></Error>"
    )
}

/// S3's error body for `code` (S3 API reference, "Error responses").
fn s3_body(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId></Error>"
    )
}

/// The error a recorded REST response becomes.
fn rest_failure(response: crate::rest::Response) -> VfsError {
    let path = VPath::parse("/box/f.bin").unwrap();
    match response.ok() {
        Ok(_) => panic!("an error status passed"),
        Err(err) => rest_err(err, &path),
    }
}

fn azure_headers(code: &str) -> [(&str, &str); 4] {
    [
        ("content-type", "application/xml"),
        ("x-ms-request-id", "5f7b3c1e-e01e-0035-3c2d-4a3b6f000000"),
        ("x-ms-version", "2025-01-05"),
        ("x-ms-error-code", code),
    ]
}

#[test]
fn recorded_rest_errors_say_why() {
    // SITE CHMOD: Set Container ACL on an account that forbids public
    // access.
    let err = rest_failure(recorded(
        409,
        &azure_headers("PublicAccessNotPermitted"),
        &azure_body(
            "PublicAccessNotPermitted",
            "Public access is not permitted on this storage account.",
        ),
    ));
    assert_eq!(err.kind(), VfsErrorKind::PermissionDenied);
    assert!(
        err.reason()
            .unwrap()
            .starts_with("public access is disabled on this storage account"),
        "{err:?}"
    );
    // A HEAD answer has no body: the header carries the code.
    let err = rest_failure(recorded(409, &azure_headers("ContainerBeingDeleted"), ""));
    assert_eq!(err.kind(), VfsErrorKind::Transient);
    assert_eq!(
        err.reason(),
        Some("the container is being deleted; try again later")
    );
    let err = rest_failure(recorded(
        412,
        &azure_headers("LeaseIdMissing"),
        &azure_body(
            "LeaseIdMissing",
            "There is currently a lease on the blob and no lease ID was specified in the request.",
        ),
    ));
    assert_eq!(err.kind(), VfsErrorKind::PermissionDenied);
    assert_eq!(err.reason(), Some("the file is leased by another client"));
    // S3 sends the code in the body only.
    let err = rest_failure(recorded(
        403,
        &[("content-type", "application/xml")],
        &s3_body("AccessDenied", "Access Denied"),
    ));
    assert_eq!(err.kind(), VfsErrorKind::PermissionDenied);
    assert!(err.reason().unwrap().contains("bucket policy"), "{err:?}");
    // A code the table does not know keeps its status's kind.
    let err = rest_failure(recorded(409, &azure_headers("ContainerAlreadyExists"), ""));
    assert_eq!(err.kind(), VfsErrorKind::AlreadyExists);
    assert_eq!(err.reason(), None);
}

#[test]
fn recorded_object_store_errors_say_why() {
    let path = VPath::parse("/cold.bin").unwrap();
    // RETR of an archived blob: object_store turns the 409 into
    // AlreadyExists.
    let archived = object_store::Error::AlreadyExists {
        path: "cold.bin".into(),
        source: format!(
            "Error performing GET REDACTED in 4ms - Server returned non-2xx status code: 409 Conflict: {}",
            azure_body("BlobArchived", "This operation is not permitted on an archived blob.")
        )
        .into(),
    };
    let err = store_err(archived, &path);
    assert_eq!(err.kind(), VfsErrorKind::PermissionDenied);
    assert!(
        err.reason().unwrap().contains("must be rehydrated"),
        "{err:?}"
    );
    // Throttling after object_store's retries.
    let busy = |store: &'static str, body: String| {
        object_store::Error::Generic {
        store,
        source: format!(
            "Error performing PUT REDACTED in 1.5s, after 3 retries, max_retries: 3, retry_timeout: 180s  - Server returned non-2xx status code: 503 Service Unavailable: {body}"
        )
        .into(),
    }
    };
    let err = store_err(
        busy(
            "MicrosoftAzure",
            azure_body(
                "ServerBusy",
                "The server is currently unable to receive requests. Please retry your request.",
            ),
        ),
        &path,
    );
    assert_eq!(err.kind(), VfsErrorKind::Transient);
    assert_eq!(err.reason(), Some("the storage is busy"));
    let err = store_err(
        busy(
            "S3",
            s3_body("SlowDown", "Please reduce your request rate."),
        ),
        &path,
    );
    assert_eq!(err.kind(), VfsErrorKind::Transient);
    assert_eq!(err.reason(), Some("the storage asks to slow down"));
    // S3's AccessDenied is no Azure refusal, but the table knows it.
    let denied = object_store::Error::PermissionDenied {
        path: "cold.bin".into(),
        source: format!(
            "Error performing GET REDACTED in 2ms - Server returned non-2xx status code: 403 Forbidden: {}",
            s3_body("AccessDenied", "Access Denied")
        )
        .into(),
    };
    let err = store_err(denied, &path);
    assert_eq!(err.kind(), VfsErrorKind::PermissionDenied);
    assert!(
        err.reason().unwrap().starts_with("access denied"),
        "{err:?}"
    );
    // A lease, on an upload: object_store's Precondition.
    let leased = object_store::Error::Precondition {
        path: "cold.bin".into(),
        source: format!(
            "Error performing PUT REDACTED in 2ms - Server returned non-2xx status code: 412 Precondition Failed: {}",
            azure_body("LeaseIdMissing", "There is currently a lease on the blob and no lease ID was specified in the request.")
        )
        .into(),
    };
    assert_eq!(
        store_err(leased, &path).reason(),
        Some("the file is leased by another client")
    );
}

#[test]
fn reads_statuses_from_messages() {
    let message = "Server returned non-2xx status code: 503 Service Unavailable: busy";
    assert_eq!(status_in(message), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(
        status_kind(StatusCode::SERVICE_UNAVAILABLE),
        VfsErrorKind::Transient
    );
    assert_eq!(status_in("nothing here"), None);
}
