//! S3 credentials that fail: refused by the store (recorded responses, as
//! moto cannot expire a session) or never obtained from their source.

use super::*;
use crate::s3_auth::CredentialUnavailable;

/// S3's answer to a request signed with an expired session credential
/// (a 400, not a 403).
const EXPIRED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><Token-0>FQoGZXIvYXdzEBYaD</Token-0><RequestId>8F9C2B4A</RequestId><HostId>h0st</HostId></Error>";

fn path() -> VPath {
    VPath::parse("/box/f.bin").unwrap()
}

#[test]
fn an_expired_session_is_a_refusal_with_a_reason_on_both_paths() {
    let rest = RestError::Status {
        status: StatusCode::BAD_REQUEST,
        code: crate::xml::parse(EXPIRED.as_bytes())
            .unwrap()
            .text_at(&["Code"])
            .map(str::to_string),
    };
    let err = rest_err(rest, &path());
    assert_eq!(err.kind(), VfsErrorKind::PermissionDenied);
    assert_eq!(err.reason(), Some("the S3 session credential has expired"));

    let store = object_store::Error::Generic {
        store: "S3",
        source: format!(
            "Error performing GET REDACTED in 3ms - Server returned non-2xx status code: 400 Bad Request: {EXPIRED}"
        )
        .into(),
    };
    let err = store_err(store, &path());
    assert_eq!(err.kind(), VfsErrorKind::PermissionDenied);
    assert_eq!(err.reason(), Some("the S3 session credential has expired"));
}

#[test]
fn a_credential_never_obtained_names_its_source() {
    let unavailable = || object_store::Error::Unauthenticated {
        path: String::new(),
        source: Box::new(CredentialUnavailable {
            source_name: "STS AssumeRole",
            message: "STS could not be reached: connection refused".to_string(),
        }),
    };
    for err in [
        store_err(unavailable(), &path()),
        rest_err(RestError::Credential(unavailable()), &path()),
    ] {
        assert_eq!(err.kind(), VfsErrorKind::PermissionDenied);
        let reason = err.reason().unwrap_or_default();
        assert!(
            reason.contains("STS AssumeRole") && reason.contains("could not be reached"),
            "{reason}"
        );
    }
    // Any other unauthenticated error keeps its plain kind, no reason.
    let other = object_store::Error::Unauthenticated {
        path: String::new(),
        source: "no".into(),
    };
    assert_eq!(store_err(other, &path()).reason(), None);
}
