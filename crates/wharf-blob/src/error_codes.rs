//! What the store's error codes mean for an FTP client: one table from
//! Azure's and S3's `<Code>` to a [`VfsErrorKind`] and a sentence the reply
//! carries, so that "409 Conflict" on a container's ACL reads "public
//! access is disabled on this storage account", not "File exists".
//!
//! Both error paths use it: object_store's failures (the code read from
//! the response body in its message, [`code_in`]) and the raw REST calls
//! (`<Code>` or Azure's `x-ms-error-code` header). Codes the table does
//! not know keep the kind their HTTP status gives.
//!
//! The table is keyed by the code alone: Azure's and S3's codes do not
//! collide on any row, and neither error path knows the store at hand
//! (object_store names it only on some of its errors). Each row still
//! names the store that sends the code, for the docs and the tests.
//!
//! Azure's authorization codes (`AuthorizationPermissionMismatch`,
//! `AuthorizationFailure`, ...) are rows here for the docs, but a
//! [`Refusal`](crate::refusal::Refusal) answers them first: it knows the
//! operation and the SAS token, and so can name the missing permission.
//!
//! Throttling (`ServerBusy`, `SlowDown`) stays
//! [`Transient`](VfsErrorKind::Transient) after the retries: the client
//! may try again, and the reply says why it should wait.

use wharf_vfs::VfsErrorKind;

use Store::{Azure, Gcs, S3};
use VfsErrorKind::{PermissionDenied as Denied, Transient};

/// The store that sends a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Store {
    /// Azure Blob Storage.
    Azure,
    /// Amazon S3 and S3-compatible stores.
    S3,
    /// Google Cloud Storage's JSON API (its `reason`, camelCase, which
    /// no Azure or S3 code is spelled like).
    Gcs,
}

/// What one error code means for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meaning {
    /// The store that sends the code.
    pub(crate) store: Store,
    /// The code, as the store spells it.
    pub(crate) code: &'static str,
    /// The kind, which picks the FTP reply code.
    pub(crate) kind: VfsErrorKind,
    /// The reason the FTP reply gives after the kind.
    pub(crate) reason: &'static str,
}

/// One row of [`TABLE`].
const fn row(
    store: Store,
    code: &'static str,
    kind: VfsErrorKind,
    reason: &'static str,
) -> Meaning {
    Meaning {
        store,
        code,
        kind,
        reason,
    }
}

/// The table. Sources: Azure's "Blob Storage error codes" and "Common REST
/// API error codes", Amazon S3's "Error responses" (List of error codes),
/// GCS's "HTTP status and error codes for JSON" (the `reason` field; its
/// XML API sends S3's codes, such as `AccessDenied`).
pub(crate) const TABLE: &[Meaning] = &[
    row(
        Azure,
        "PublicAccessNotPermitted",
        Denied,
        "public access is disabled on this storage account, so no container can be made public",
    ),
    row(
        Azure,
        "BlobArchived",
        Denied,
        "the file is in the archive tier; it must be rehydrated to the hot or cool tier before it can be read",
    ),
    row(
        Azure,
        "BlobBeingRehydrated",
        Denied,
        "the file is being rehydrated from the archive tier; try again when that has finished",
    ),
    row(
        Azure,
        "AuthorizationPermissionMismatch",
        Denied,
        "the credential lacks a permission this operation needs",
    ),
    row(
        Azure,
        "AuthorizationFailure",
        Denied,
        "the credential is not authorized to perform this operation",
    ),
    row(
        Azure,
        "ContainerBeingDeleted",
        Transient,
        "the container is being deleted; try again later",
    ),
    row(Azure, "ServerBusy", Transient, "the storage is busy"),
    row(
        Azure,
        "OperationTimedOut",
        Transient,
        "the storage did not finish the operation in time",
    ),
    row(
        Azure,
        "LeaseIdMissing",
        Denied,
        "the file is leased by another client",
    ),
    row(
        Azure,
        "LeaseIdMismatchWithBlobOperation",
        Denied,
        "the file is leased by another client",
    ),
    row(
        Azure,
        "LeaseIdMismatchWithContainerOperation",
        Denied,
        "the container is leased by another client",
    ),
    row(
        Azure,
        "BlobImmutableDueToPolicy",
        Denied,
        "the file is under an immutability policy or legal hold and cannot be changed",
    ),
    row(S3, "SlowDown", Transient, "the storage asks to slow down"),
    row(S3, "ServiceUnavailable", Transient, "the storage is busy"),
    row(
        S3,
        "AccessDenied",
        Denied,
        "access denied by the bucket policy or the credential's permissions",
    ),
    row(
        S3,
        "InvalidObjectState",
        Denied,
        "the object is in an archive storage class; it must be restored before it can be read",
    ),
    row(
        S3,
        "ExpiredToken",
        Denied,
        "the S3 session credential has expired",
    ),
    row(
        S3,
        "TokenRefreshRequired",
        Denied,
        "the S3 session credential has expired",
    ),
    row(
        S3,
        "InvalidToken",
        Denied,
        "the S3 session token is malformed or not valid for this access key",
    ),
    row(
        S3,
        "InvalidAccessKeyId",
        Denied,
        "the S3 access key id is unknown to the store",
    ),
    row(
        S3,
        "SignatureDoesNotMatch",
        Denied,
        "the S3 secret access key does not match the access key id",
    ),
    row(
        Gcs,
        "forbidden",
        Denied,
        "the credential's IAM roles do not allow this operation on the bucket",
    ),
    row(
        Gcs,
        "insufficientPermissions",
        Denied,
        "the credential's IAM roles do not allow this operation on the bucket",
    ),
    row(
        Gcs,
        "authError",
        Denied,
        "the credential was refused (an expired or revoked token, or a deleted key)",
    ),
    row(
        Gcs,
        "retentionPolicyNotMet",
        Denied,
        "the object is held by the bucket's retention policy and cannot be changed or deleted yet",
    ),
    row(
        Gcs,
        "userProjectMissing",
        Denied,
        "the bucket is Requester Pays and this server names no project to bill",
    ),
    row(
        Gcs,
        "accountDisabled",
        Denied,
        "the project's billing account is disabled",
    ),
    row(
        Gcs,
        "rateLimitExceeded",
        Transient,
        "the storage asks to slow down",
    ),
    row(
        Gcs,
        "backendError",
        Transient,
        "the storage failed; try again later",
    ),
];

/// Azure's message for some codes, where a response reaches wharf-blob
/// without its code: object_store's batch delete keeps only each
/// sub-response's status and reason phrase, and Azure puts the message
/// there.
const MESSAGES: &[(&str, &str)] = &[
    (
        "There is currently a lease on the blob and no lease ID was specified in the request.",
        "LeaseIdMissing",
    ),
    (
        "The lease ID specified did not match the lease ID for the blob.",
        "LeaseIdMismatchWithBlobOperation",
    ),
    (
        "This operation is not permitted as the blob is immutable due to a policy.",
        "BlobImmutableDueToPolicy",
    ),
    (
        "This operation is not permitted on an archived blob.",
        "BlobArchived",
    ),
    (
        "The server is currently unable to receive requests. Please retry your request.",
        "ServerBusy",
    ),
];

/// The code whose Azure message `text` holds, when it holds no `<Code>`.
pub(crate) fn code_of_message(text: &str) -> Option<&'static str> {
    MESSAGES
        .iter()
        .find(|(message, _)| text.contains(message))
        .map(|(_, code)| *code)
}

/// What `code` means, if the table knows it.
pub(crate) fn meaning(code: &str) -> Option<&'static Meaning> {
    TABLE.iter().find(|row| row.code == code)
}

/// The first `<Code>` in a message that carries a store's XML error body,
/// as object_store's errors do ("... 409 Conflict: <?xml ...><Error>
/// <Code>BlobArchived</Code>...").
pub(crate) fn code_in(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once("<Code>")?;
    let (code, _) = rest.split_once("</Code>")?;
    Some(code.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        for (i, row) in TABLE.iter().enumerate() {
            assert!(
                TABLE[i + 1..].iter().all(|other| other.code != row.code),
                "{} twice",
                row.code
            );
        }
    }

    #[test]
    fn the_table_answers_the_issue_codes() {
        let kind = |code| meaning(code).map(|m| m.kind);
        assert_eq!(kind("PublicAccessNotPermitted"), Some(Denied));
        assert_eq!(kind("BlobArchived"), Some(Denied));
        assert_eq!(kind("ContainerBeingDeleted"), Some(Transient));
        assert_eq!(kind("ServerBusy"), Some(Transient));
        assert_eq!(kind("SlowDown"), Some(Transient));
        assert_eq!(kind("LeaseIdMissing"), Some(Denied));
        assert_eq!(kind("AccessDenied"), Some(Denied));
        assert_eq!(meaning("BlobAlreadyExists"), None);
        assert_eq!(meaning("AccessDenied").map(|m| m.store), Some(S3));
        // A refused S3 credential, whatever the reason, is a refusal.
        for code in [
            "ExpiredToken",
            "InvalidToken",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
        ] {
            assert_eq!(kind(code), Some(Denied), "{code}");
        }
        assert_eq!(kind("forbidden"), Some(Denied));
        assert_eq!(kind("rateLimitExceeded"), Some(Transient));
        assert_eq!(meaning("retentionPolicyNotMet").map(|m| m.store), Some(Gcs));
    }

    #[test]
    fn codes_are_read_from_messages() {
        let message = "Error performing GET REDACTED in 3ms - Server returned non-2xx status code: 409 Conflict: <?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>BlobArchived</Code><Message>This operation is not permitted on an archived blob.</Message></Error>";
        assert_eq!(code_in(message), Some("BlobArchived"));
        assert_eq!(code_in("no body"), None);
        assert_eq!(code_in("<Code>unclosed"), None);
        let batch = "Bulk delete request failed for key held.bin: There is currently a lease on the blob and no lease ID was specified in the request. (code: 412)";
        assert_eq!(code_of_message(batch), Some("LeaseIdMissing"));
        assert_eq!(code_of_message("The specified blob does not exist."), None);
        for (_, code) in MESSAGES {
            assert!(meaning(code).is_some(), "{code} has no row");
        }
    }
}
