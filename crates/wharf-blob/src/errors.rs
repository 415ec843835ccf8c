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
use crate::s3_auth::CredentialUnavailable;
use crate::transport::transport_reason;

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
pub(crate) fn status_in(message: &str) -> Option<StatusCode> {
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
        // GCS's JSON calls stand behind object_store's trait as RestErrors.
        if let Some(RestError::Status {
            code: Some(code), ..
        }) = err.downcast_ref::<RestError>()
            && let Some(found) = meaning(code)
        {
            return Some(found);
        }
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

/// Why no S3 credential could be had, when that is what `err` says
/// (see [`crate::s3_auth`]): the client hears the source, and retrying
/// the operation would not help.
fn credential_unavailable(err: &(dyn StdError + 'static)) -> Option<String> {
    let mut next = Some(err);
    while let Some(err) = next {
        if let Some(unavailable) = err.downcast_ref::<CredentialUnavailable>() {
            return Some(unavailable.to_string());
        }
        next = err.source();
    }
    None
}

/// An object_store failure as a [`VfsError`] about `path`: an Azure
/// refusal names the permission, a code in [`crate::error_codes`] gives its
/// kind and reason, anything else the kind of its status.
pub(crate) fn store_err(err: object_store::Error, path: &VPath) -> VfsError {
    use object_store::Error as E;
    if let Some(reason) = credential_unavailable(&err) {
        return VfsError::permission_denied(path)
            .with_reason(reason)
            .with_source(err);
    }
    if crate::identity::provider::is_token_failure(&err) {
        return token_err(err, path);
    }
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
    with_transport_reason(VfsError::new(kind).with_path(path), &err).with_source(err)
}

/// `vfs` with the reason a transport failure inside `err` gives, if any.
fn with_transport_reason(vfs: VfsError, err: &(dyn StdError + 'static)) -> VfsError {
    match transport_reason(err) {
        Some(reason) => vfs.with_reason(reason),
        None => vfs,
    }
}

/// A REST failure as a [`VfsError`] about `path`, as [`store_err`] maps
/// object_store's.
pub(crate) fn rest_err(err: RestError, path: &VPath) -> VfsError {
    let err = match err {
        RestError::Refused(refusal) => return refusal.at(path),
        RestError::Credential(source) => {
            if let Some(reason) = credential_unavailable(&source) {
                return VfsError::permission_denied(path)
                    .with_reason(reason)
                    .with_source(source);
            }
            if crate::identity::provider::is_token_failure(&source) {
                return token_err(source, path);
            }
            RestError::Credential(source)
        }
        err => err,
    };
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
        RestError::Credential(_) => VfsErrorKind::PermissionDenied,
        _ => VfsErrorKind::Other,
    };
    with_transport_reason(VfsError::new(kind).with_path(path), &err).with_source(err)
}

/// An identity's failure to get a token as a [`VfsError`] about `path`:
/// `Transient` if the token service could not be reached (object_store
/// retried it), else permission denied; the reason says a token is
/// missing and what the token service answered, never the token.
fn token_err(err: object_store::Error, path: &VPath) -> VfsError {
    let status = {
        let mut next: Option<&(dyn StdError + 'static)> = Some(&err);
        let mut found = None;
        while let (Some(e), None) = (next, found) {
            found = status_in(&e.to_string());
            next = e.source();
        }
        found
    };
    let reason = match status {
        Some(status) => format!(
            "the server's Azure identity could not get an access token: the token service answered {status}"
        ),
        None => "the server's Azure identity could not get an access token".to_string(),
    };
    let kind = match generic_kind(&err) {
        VfsErrorKind::Transient if status.is_none() => VfsErrorKind::Transient,
        _ => VfsErrorKind::PermissionDenied,
    };
    VfsError::new(kind)
        .with_path(path)
        .with_reason(reason)
        .with_source(err)
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
mod tests;

#[cfg(test)]
mod credential_tests;
