//! The JSON API's error reasons, bodies and preconditions.

use super::*;

#[test]
fn reasons_are_read_from_json_errors() {
    let body = br#"{"error":{"code":403,"message":"x@y does not have storage.objects.create access","errors":[{"message":"...","domain":"global","reason":"forbidden"}]}}"#;
    assert_eq!(json_reason(body).as_deref(), Some("forbidden"));
    assert_eq!(
        json_reason(b"<Error><Code>AccessDenied</Code></Error>"),
        None
    );
    assert_eq!(json_reason(br#"{"error":{"code":404}}"#), None);
}

/// A 403 as GCS sends it (recorded shape), through both error paths:
/// a JSON call of wharf-blob's, and one behind object_store's trait.
#[test]
fn gcs_refusals_say_why() {
    let body = br#"{"error":{"code":403,"message":"reader@p.iam.gserviceaccount.com does not have storage.objects.delete access to the Google Cloud Storage object.","errors":[{"message":"...","domain":"global","reason":"forbidden"}]}}"#;
    let err = || RestError::Status {
        status: StatusCode::FORBIDDEN,
        code: json_reason(body),
    };
    let path = wharf_vfs::VPath::parse("/a.txt").unwrap();
    let direct = crate::errors::rest_err(err(), &path);
    let behind = crate::errors::store_err(
        crate::gcs::store::os_err(err(), &object_store::path::Path::from("a.txt")),
        &path,
    );
    for vfs in [direct, behind] {
        assert_eq!(vfs.kind(), wharf_vfs::VfsErrorKind::PermissionDenied);
        assert!(
            vfs.reason().is_some_and(|r| r.contains("IAM roles")),
            "{:?}",
            vfs.reason()
        );
    }
    let slow = crate::errors::rest_err(
        RestError::Status {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: json_reason(
                br#"{"error":{"code":429,"errors":[{"reason":"rateLimitExceeded"}]}}"#,
            ),
        },
        &path,
    );
    assert_eq!(slow.kind(), wharf_vfs::VfsErrorKind::Transient);
}

#[test]
fn related_bodies_frame_the_bytes() {
    let meta = [("mtime".to_string(), "1700000000".to_string())];
    let (content_type, body) = related("a/b.txt", &meta, b"hello");
    let boundary = content_type.rsplit('=').next().unwrap();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(text.starts_with(&format!("--{boundary}\r\n")), "{text}");
    assert!(text.contains(r#""name":"a/b.txt""#), "{text}");
    assert!(text.contains(r#""mtime":"1700000000""#), "{text}");
    assert!(
        text.ends_with(&format!("\r\n\r\nhello\r\n--{boundary}--\r\n")),
        "{text}"
    );
}

#[test]
fn preconditions_are_query_parameters() {
    assert_eq!(Precondition::None.query(), "");
    assert_eq!(Precondition::Absent.query(), "&ifGenerationMatch=0");
    assert_eq!(
        Precondition::Generation("17".into()).query(),
        "&ifGenerationMatch=17"
    );
}
