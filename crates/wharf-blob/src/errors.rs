//! [`BlobError`] for setting up a store, and the mapping of store failures
//! to [`VfsError`] kinds.

use std::error::Error as StdError;

use http::StatusCode;
use object_store::client::{HttpError, HttpErrorKind};
use wharf_vfs::{VPath, VfsError, VfsErrorKind};

use crate::error_codes::{Meaning, code_in, code_of_message, meaning};
use crate::refusal::{Operation, Refusal};
use crate::rest::RestError;
use crate::retry::transient_status;

/// Why a [`BlobFs`](crate::BlobFs) could not be built or a login checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// The configuration cannot work (a malformed endpoint or key, a
    /// combination the store does not support).
    #[error("invalid blob store configuration: {0}")]
    Config(String),
    /// The store refused the credentials.
    #[error("the store refused the credentials")]
    BadCredentials,
    /// The credentials cannot log in, for a reason worth logging (never
    /// secret): an expired SAS token, a container SAS without its
    /// container. Clients hear what they hear for wrong credentials.
    #[error("the credentials cannot log in: {0}")]
    CredentialRefused(String),
    /// The store could not be reached, or failed, so the credentials could
    /// not be checked.
    #[error("the store is unreachable: {0}")]
    Unreachable(#[source] Box<dyn StdError + Send + Sync>),
    /// The client library failed to start.
    #[error("could not start the store client: {0}")]
    Client(#[source] object_store::Error),
}

/// The kind for an HTTP status the store answered.
fn status_kind(status: StatusCode) -> VfsErrorKind {
    match status {
        StatusCode::NOT_FOUND => VfsErrorKind::NotFound,
        StatusCode::CONFLICT | StatusCode::PRECONDITION_FAILED => VfsErrorKind::AlreadyExists,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => VfsErrorKind::PermissionDenied,
        StatusCode::RANGE_NOT_SATISFIABLE => VfsErrorKind::InvalidOffset,
        StatusCode::BAD_REQUEST => VfsErrorKind::InvalidName,
        status if transient_status(status) => VfsErrorKind::Transient,
        _ => VfsErrorKind::Other,
    }
}

/// Whether a transport error may go away by itself.
fn transient_http(err: &HttpError) -> bool {
    matches!(
        err.kind(),
        HttpErrorKind::Connect
            | HttpErrorKind::Request
            | HttpErrorKind::Timeout
            | HttpErrorKind::Interrupted
    )
}

/// The kind of a failure deep inside an object_store error: a status the
/// store sent after object_store's own retries, or a transport failure.
///
/// object_store keeps its `RetryError` private, so a status is read from
/// its message ("... status code: 503 ..."); transport errors are the
/// public [`HttpError`].
fn generic_kind(err: &(dyn StdError + 'static)) -> VfsErrorKind {
    let mut next = Some(err);
    while let Some(err) = next {
        if let Some(http) = err.downcast_ref::<HttpError>() {
            return if transient_http(http) {
                VfsErrorKind::Transient
            } else {
                VfsErrorKind::Other
            };
        }
        if let Some(status) = status_in(&err.to_string()) {
            return status_kind(status);
        }
        next = err.source();
    }
    VfsErrorKind::Other
}

/// The status in a message such as "non-2xx status code: 503 Service
/// Unavailable: ...".
fn status_in(message: &str) -> Option<StatusCode> {
    let (_, rest) = message.split_once("status code: ")?;
    StatusCode::from_bytes(rest.get(..3)?.as_bytes()).ok()
}

/// Azure's refusal inside an object_store error, read from its message
/// ("Error performing PUT ... 403 Forbidden: <?xml ...><Code>...</Code>"),
/// the only place object_store keeps the method and the body. The
/// token is not at hand here, so the code alone speaks.
fn refusal_in(err: &object_store::Error) -> Option<Refusal> {
    let message = err.to_string();
    let (_, rest) = message.split_once("Error performing ")?;
    let method = http::Method::from_bytes(rest.split(' ').next()?.as_bytes()).ok()?;
    let code = code_in(&message).map(str::to_string);
    Refusal::is_authorization_code(code.as_deref())
        .then(|| Refusal::new(Operation::of_blob_method(&method), code, None))
}

/// The meaning of the store's error code inside an object_store error,
/// read from its message or its sources' (object_store keeps the
/// response body only there): the body's `<Code>`, else Azure's message
/// for a code (a batch delete keeps only that).
fn meaning_in(err: &object_store::Error) -> Option<&'static Meaning> {
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(err) = next {
        let message = err.to_string();
        let code = code_in(&message).or_else(|| code_of_message(&message));
        if let Some(found) = code.and_then(meaning) {
            return Some(found);
        }
        next = err.source();
    }
    None
}

/// A [`VfsError`] about `path` that says what the store's code means.
fn explained(meaning: &Meaning, path: &VPath, source: impl Into<wharf_vfs::BoxError>) -> VfsError {
    VfsError::new(meaning.kind)
        .with_path(path)
        .with_reason(meaning.reason)
        .with_source(source)
}

/// An object_store failure as a [`VfsError`] about `path`: an Azure
/// refusal names the permission, a code in [`crate::error_codes`] gives its
/// kind and reason, anything else the kind of its status.
pub(crate) fn store_err(err: object_store::Error, path: &VPath) -> VfsError {
    use object_store::Error as E;
    if let E::PermissionDenied { .. } | E::Unauthenticated { .. } = &err
        && let Some(refusal) = refusal_in(&err)
    {
        return VfsError::permission_denied(path)
            .with_reason(refusal.to_string())
            .with_source(err);
    }
    if let Some(meaning) = meaning_in(&err) {
        return explained(meaning, path, err);
    }
    let kind = match &err {
        E::NotFound { .. } => VfsErrorKind::NotFound,
        E::AlreadyExists { .. } | E::Precondition { .. } => VfsErrorKind::AlreadyExists,
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => VfsErrorKind::PermissionDenied,
        E::NotSupported { .. } | E::NotImplemented { .. } => VfsErrorKind::Unsupported,
        E::InvalidPath { .. } => VfsErrorKind::InvalidName,
        E::Generic { source, .. } => generic_kind(source.as_ref()),
        _ => VfsErrorKind::Other,
    };
    VfsError::new(kind).with_path(path).with_source(err)
}

/// A REST failure as a [`VfsError`] about `path`, as [`store_err`] maps
/// object_store's.
pub(crate) fn rest_err(err: RestError, path: &VPath) -> VfsError {
    if let RestError::Refused(refusal) = err {
        return refusal.at(path);
    }
    if let RestError::Status {
        code: Some(code), ..
    } = &err
        && let Some(meaning) = meaning(code)
    {
        return explained(meaning, path, err);
    }
    let kind = match &err {
        RestError::Status { status, .. } => status_kind(*status),
        RestError::Transport(http) if transient_http(http) => VfsErrorKind::Transient,
        _ => VfsErrorKind::Other,
    };
    VfsError::new(kind).with_path(path).with_source(err)
}

/// Helpers to map results with a path.
pub(crate) trait ResultExt<T> {
    /// Maps the error to a [`VfsError`] about `path`.
    fn at(self, path: &VPath) -> Result<T, VfsError>;
}

impl<T> ResultExt<T> for Result<T, object_store::Error> {
    fn at(self, path: &VPath) -> Result<T, VfsError> {
        self.map_err(|err| store_err(err, path))
    }
}

impl<T> ResultExt<T> for Result<T, RestError> {
    fn at(self, path: &VPath) -> Result<T, VfsError> {
        self.map_err(|err| rest_err(err, path))
    }
}

#[cfg(test)]
mod tests {
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
}
