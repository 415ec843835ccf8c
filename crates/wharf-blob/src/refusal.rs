//! What Azure's `403` means for the client: [`Refusal`], the credential or
//! one permission it lacks, said in a sentence the FTP reply carries.
//!
//! Azure authenticates first (a bad signature or an expired token:
//! `AuthenticationFailed`, or `AuthorizationFailure` from Azurite), then
//! authorizes the operation (`AuthorizationPermissionMismatch`,
//! `AuthorizationResourceTypeMismatch`, `AuthorizationServiceMismatch`).
//! The operation comes from the request (method and query), the
//! permission it needs from Azure's tables ("Create an account SAS",
//! "Create a service SAS"), and what the token holds from the token.

use std::time::SystemTime;

use http::Method;

use crate::sas::SasToken;

/// A storage operation, as far as a SAS decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// List the account's containers.
    ListContainers,
    /// Create a container.
    CreateContainer,
    /// Delete a container.
    DeleteContainer,
    /// Read a container's properties.
    ReadContainer,
    /// Change a container's public access (its ACL).
    SetContainerAccess,
    /// List a container's blobs.
    ListBlobs,
    /// Read a blob or its properties.
    ReadBlob,
    /// Write a blob, a block, or its metadata.
    WriteBlob,
    /// Delete a blob.
    DeleteBlob,
}

impl Operation {
    /// The operation of an Azure request: `restype=container` is about
    /// the container (`comp=acl` its access, `comp=list` its blobs), a
    /// `comp=list` on the account is the container list, anything else is
    /// about a blob.
    pub(crate) fn of_request(method: &Method, query: &str) -> Self {
        let has = |pair: &str| query.split('&').any(|p| p == pair);
        if has("restype=container") {
            if has("comp=acl") {
                Self::SetContainerAccess
            } else if has("comp=list") {
                Self::ListBlobs
            } else {
                match *method {
                    Method::PUT => Self::CreateContainer,
                    Method::DELETE => Self::DeleteContainer,
                    _ => Self::ReadContainer,
                }
            }
        } else if has("comp=list") {
            Self::ListContainers
        } else {
            Self::of_blob_method(method)
        }
    }

    /// The operation of a blob request by its method.
    pub(crate) fn of_blob_method(method: &Method) -> Self {
        match *method {
            Method::GET | Method::HEAD => Self::ReadBlob,
            Method::DELETE => Self::DeleteBlob,
            _ => Self::WriteBlob,
        }
    }

    /// What it does, after "needed to".
    pub(crate) fn doing(self) -> &'static str {
        match self {
            Self::ListContainers => "list containers",
            Self::CreateContainer => "create containers",
            Self::DeleteContainer => "delete containers",
            Self::ReadContainer => "read a container's properties",
            Self::SetContainerAccess => "change a container's public access",
            Self::ListBlobs => "list files",
            Self::ReadBlob => "read files",
            Self::WriteBlob => "write files",
            Self::DeleteBlob => "delete files",
        }
    }

    /// The permission letter and its name.
    fn permission(self) -> (char, &'static str) {
        match self {
            Self::ListContainers | Self::ListBlobs => ('l', "list"),
            Self::CreateContainer => ('c', "create"),
            Self::DeleteContainer | Self::DeleteBlob => ('d', "delete"),
            Self::ReadContainer | Self::ReadBlob => ('r', "read"),
            Self::SetContainerAccess | Self::WriteBlob => ('w', "write"),
        }
    }

    /// The account SAS resource type (`srt`) letter and its name.
    fn resource_type(self) -> (char, &'static str) {
        match self {
            Self::ListContainers => ('s', "service"),
            Self::CreateContainer
            | Self::DeleteContainer
            | Self::ReadContainer
            | Self::SetContainerAccess
            | Self::ListBlobs => ('c', "container"),
            Self::ReadBlob | Self::WriteBlob | Self::DeleteBlob => ('o', "object"),
        }
    }

    /// Whether only an account SAS (or the key) can do it, never a SAS for
    /// one container.
    fn needs_account(self) -> bool {
        matches!(
            self,
            Self::ListContainers
                | Self::CreateContainer
                | Self::DeleteContainer
                | Self::ReadContainer
                | Self::SetContainerAccess
        )
    }
}

/// Why the store refused a request: the credential, or a permission the
/// credential lacks. Its `Display` is the reason the FTP reply gives.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{reason}")]
pub struct Refusal {
    operation: Operation,
    code: Option<String>,
    reason: String,
    rejected: bool,
}

impl Refusal {
    /// The refusal of `operation` with Azure's error `code`, by a store
    /// that was given `token` (none: the account key, or a credential not
    /// at hand where the error was read, so only the code speaks).
    pub(crate) fn new(
        operation: Operation,
        code: Option<String>,
        token: Option<&SasToken>,
    ) -> Self {
        let rejected = rejects(code.as_deref());
        let reason = token
            .and_then(|token| sas_reason(operation, token))
            .unwrap_or_else(|| code_reason(operation, code.as_deref(), rejected));
        Self {
            operation,
            code,
            reason,
            rejected,
        }
    }

    /// The refusal of `operation` to an Entra ID identity's token, with
    /// Azure's error `code`: the token refused, or the role it lacks.
    pub(crate) fn for_identity(operation: Operation, code: Option<String>) -> Self {
        let rejected = rejects(code.as_deref());
        Self {
            reason: crate::identity::roles::reason(operation, code.as_deref(), rejected),
            operation,
            code,
            rejected,
        }
    }

    /// The refusal any identity's token gets for `operation`, known before
    /// asking (a container's public access takes Shared Key only).
    pub(crate) fn foreseen_for_identity(operation: Operation) -> Option<Self> {
        crate::identity::roles::foreseen(operation).map(|reason| Self {
            operation,
            code: None,
            reason,
            rejected: false,
        })
    }

    /// The refusal the store would give `operation` with `token`, known
    /// before asking: an expired token, a permission, resource type or
    /// scope it does not have. `None` when only the store can tell.
    pub(crate) fn foreseen(operation: Operation, token: &SasToken) -> Option<Self> {
        sas_reason(operation, token).map(|reason| Self {
            operation,
            code: None,
            rejected: token.expired_at(SystemTime::now()),
            reason,
        })
    }

    /// This refusal as the error of an operation on `path`: permission
    /// denied, with the reason for the client.
    pub(crate) fn at(self, path: &wharf_vfs::VPath) -> wharf_vfs::VfsError {
        wharf_vfs::VfsError::permission_denied(path)
            .with_reason(self.reason.clone())
            .with_source(self)
    }

    /// The operation refused.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Azure's error code, where it sent one (a `HEAD` has no body).
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Whether the credential itself was refused (a bad signature, an
    /// expired or revoked token), not only this operation.
    pub fn rejects_credential(&self) -> bool {
        self.rejected
    }

    /// Whether Azure error `code` answers an authorization question, so
    /// that a `403` carrying it is a [`Refusal`] (a `403` without a code,
    /// the answer to a `HEAD`, is one too).
    pub(crate) fn is_authorization_code(code: Option<&str>) -> bool {
        code.is_none_or(|code| {
            code.starts_with("Authorization")
                || code == "AuthenticationFailed"
                || code == "InvalidAuthenticationInfo"
        })
    }
}

/// Whether Azure's `code` refuses the credential itself.
fn rejects(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("AuthenticationFailed" | "AuthorizationFailure" | "InvalidAuthenticationInfo")
    )
}

/// The reason Azure's `code` gives, whatever the credential.
fn code_reason(operation: Operation, code: Option<&str>, rejected: bool) -> String {
    let doing = operation.doing();
    let (letter, name) = operation.permission();
    let (rt, rt_name) = operation.resource_type();
    match code {
        Some("AuthorizationPermissionMismatch") => {
            format!("the credential lacks {name} ({letter}) permission, needed to {doing}")
        }
        Some("AuthorizationResourceTypeMismatch") => format!(
            "the SAS token does not cover {rt_name} resources (resource type {rt}), needed to {doing}"
        ),
        Some("AuthorizationServiceMismatch") => {
            "the SAS token does not cover the blob service (ss=b)".to_string()
        }
        Some(code) if rejected => format!(
            "the store refused the credential ({code}): a wrong key or signature, or an expired or revoked token"
        ),
        Some(code) => format!("the store refused to {doing} ({code})"),
        None => format!(
            "the store refused to {doing} (403): the credential lacks {name} ({letter}) permission, or is not valid"
        ),
    }
}

/// What the token itself says about a refusal, where it says more than the
/// code: its expiry, a container token used for the account, a permission
/// or resource type it does not hold.
fn sas_reason(operation: Operation, token: &SasToken) -> Option<String> {
    let doing = operation.doing();
    let (letter, name) = operation.permission();
    if token.expired_at(SystemTime::now()) {
        return Some(format!(
            "the SAS token expired at {}",
            token.expiry().unwrap_or("its expiry")
        ));
    }
    if operation == Operation::SetContainerAccess {
        return Some(format!(
            "no SAS token may {doing}: that needs the account key"
        ));
    }
    if operation.needs_account() && !token.is_account_sas() {
        return Some(format!(
            "a SAS token for one container cannot {doing}: that needs an account SAS or the account key"
        ));
    }
    if token.is_account_sas() {
        let (rt, rt_name) = operation.resource_type();
        let types = token.get("srt").unwrap_or_default();
        if !types.contains(rt) {
            return Some(format!(
                "the SAS token does not cover {rt_name} resources (resource type {rt}), needed to {doing}; it has srt={types}"
            ));
        }
    }
    let granted = match operation {
        // A new blob may be written with create (c) alone.
        Operation::WriteBlob => token.grants('w') || token.grants('c'),
        _ => token.grants(letter),
    };
    // Without `sp` the permissions are in a stored access policy (`si`).
    if token.get("sp").is_some() && !granted {
        return Some(format!(
            "the SAS token lacks {name} ({letter}) permission, needed to {doing}; it grants sp={}",
            token.permissions()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str) -> SasToken {
        SasToken::parse(text).unwrap()
    }

    #[test]
    fn requests_are_operations() {
        let op = Operation::of_request;
        assert_eq!(
            op(&Method::PUT, "restype=container"),
            Operation::CreateContainer
        );
        assert_eq!(
            op(&Method::PUT, "restype=container&comp=acl"),
            Operation::SetContainerAccess
        );
        assert_eq!(
            op(&Method::GET, "restype=container&comp=list&prefix=a"),
            Operation::ListBlobs
        );
        assert_eq!(
            op(&Method::GET, "comp=list&maxresults=1"),
            Operation::ListContainers
        );
        assert_eq!(op(&Method::PUT, "comp=metadata"), Operation::WriteBlob);
        assert_eq!(op(&Method::HEAD, ""), Operation::ReadBlob);
        assert_eq!(op(&Method::DELETE, ""), Operation::DeleteBlob);
    }

    /// Recorded answers: Azure's code for each case, and what the client
    /// is told.
    #[test]
    fn reasons_name_the_missing_permission() {
        let read_list = token("sv=2022-11-02&sr=c&sp=rl&se=2999-01-01&sig=x");
        let why = |op, code: &str, token: &SasToken| {
            Refusal::new(op, Some(code.to_string()), Some(token)).to_string()
        };
        assert_eq!(
            why(
                Operation::WriteBlob,
                "AuthorizationPermissionMismatch",
                &read_list
            ),
            "the SAS token lacks write (w) permission, needed to write files; it grants sp=rl"
        );
        assert!(
            why(
                Operation::CreateContainer,
                "AuthorizationPermissionMismatch",
                &read_list
            )
            .contains("a SAS token for one container cannot create containers")
        );
        let account = token("sv=2022-11-02&ss=b&srt=co&sp=rwdlac&se=2999-01-01&sig=x");
        assert!(
            why(
                Operation::SetContainerAccess,
                "AuthorizationPermissionMismatch",
                &account
            )
            .contains("needs the account key")
        );
        assert!(
            why(
                Operation::ListContainers,
                "AuthorizationResourceTypeMismatch",
                &account
            )
            .contains("service resources (resource type s)")
        );
        let expired = token("sv=2022-11-02&sr=c&sp=rl&se=2001-01-01&sig=x");
        let refusal = Refusal::new(
            Operation::ReadBlob,
            Some("AuthorizationFailure".into()),
            Some(&expired),
        );
        assert!(refusal.rejects_credential());
        assert_eq!(refusal.to_string(), "the SAS token expired at 2001-01-01");
        let key = Refusal::new(Operation::ReadBlob, None, None);
        assert!(
            key.to_string()
                .starts_with("the store refused to read files (403)"),
            "{key}"
        );
        let unknown = Refusal::new(
            Operation::WriteBlob,
            Some("AuthorizationPermissionMismatch".into()),
            None,
        );
        assert_eq!(
            unknown.to_string(),
            "the credential lacks write (w) permission, needed to write files"
        );
    }

    #[test]
    fn only_authorization_codes_are_refusals() {
        assert!(Refusal::is_authorization_code(Some(
            "AuthorizationPermissionMismatch"
        )));
        assert!(Refusal::is_authorization_code(Some("AuthenticationFailed")));
        assert!(Refusal::is_authorization_code(None));
        assert!(!Refusal::is_authorization_code(Some(
            "CannotVerifyCopySource"
        )));
    }
}
