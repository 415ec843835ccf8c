//! What an Entra ID identity's refusal means: its token was not accepted,
//! or its RBAC role lacks the operation (Azure's built-in roles: Storage
//! Blob Data Reader reads and lists, Contributor also writes and deletes
//! blobs and containers, Owner also sets POSIX ACLs).

use crate::refusal::Operation;

/// The built-in role that grants `operation`, where one does.
fn role(operation: Operation) -> Option<&'static str> {
    match operation {
        Operation::ListContainers
        | Operation::ReadContainer
        | Operation::ListBlobs
        | Operation::ReadBlob => Some("Storage Blob Data Reader"),
        Operation::CreateContainer
        | Operation::DeleteContainer
        | Operation::WriteBlob
        | Operation::DeleteBlob => Some("Storage Blob Data Contributor"),
        // Set Container ACL takes Shared Key only.
        Operation::SetContainerAccess => None,
    }
}

/// The reason an identity was refused `operation` with Azure's `code`;
/// `rejected` when the code refuses the token itself.
pub(crate) fn reason(operation: Operation, code: Option<&str>, rejected: bool) -> String {
    let doing = operation.doing();
    if let Some(known) = foreseen(operation) {
        return known;
    }
    let code = code.unwrap_or("403");
    match role(operation) {
        _ if rejected => format!(
            "the store refused the identity's access token ({code}): it expired, was revoked, \
             or is for another tenant or audience"
        ),
        Some(role) => format!(
            "the identity's role does not allow it to {doing} ({code}): it needs {role} or \
             a role with the same data actions on this account or container"
        ),
        None => format!("the store refused to {doing} ({code})"),
    }
}

/// What no identity's token may do, known before asking.
pub(crate) fn foreseen(operation: Operation) -> Option<String> {
    (operation == Operation::SetContainerAccess).then(|| {
        format!(
            "an Entra ID token cannot {}: Azure takes only the account key (Shared Key) for that",
            operation.doing()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded codes Azure answers a token with, and what the client hears.
    #[test]
    fn reasons_name_the_role_or_the_token() {
        assert_eq!(
            reason(
                Operation::WriteBlob,
                Some("AuthorizationPermissionMismatch"),
                false
            ),
            "the identity's role does not allow it to write files \
             (AuthorizationPermissionMismatch): it needs Storage Blob Data Contributor or a \
             role with the same data actions on this account or container"
        );
        assert!(
            reason(Operation::ListBlobs, None, false).contains("Storage Blob Data Reader"),
            "a HEAD's 403 has no code"
        );
        let expired = reason(Operation::ReadBlob, Some("AuthenticationFailed"), true);
        assert!(expired.contains("expired, was revoked"), "{expired}");
        assert!(expired.contains("AuthenticationFailed"), "{expired}");
        assert!(
            reason(
                Operation::SetContainerAccess,
                Some("AuthorizationFailure"),
                true
            )
            .contains("only the account key")
        );
        assert!(foreseen(Operation::ReadBlob).is_none());
    }
}
