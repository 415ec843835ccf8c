//! The reason an FTP client is given when the store could not be talked
//! to at all: refused or unreachable, silent past the stall timeout, or
//! closing the connection unanswered. Without it such a failure reaches
//! the client as a bare "transient" (`451 ...: Storage busy`), which does
//! not say that the store, not the server, failed.

use std::error::Error as StdError;

use object_store::client::{HttpError, HttpErrorKind};

use crate::stall::Stalled;

/// What the store did, in words, with how many retries were spent when
/// object_store's message says ("... after 4 retries ...").
pub(crate) fn transport_reason(err: &(dyn StdError + 'static)) -> Option<String> {
    let mut retries = None;
    let mut next = Some(err);
    while let Some(err) = next {
        if retries.is_none() {
            retries = retries_in(&err.to_string());
        }
        if let Some(http) = err.downcast_ref::<HttpError>() {
            let what = describe(http);
            return Some(match retries {
                Some(n) => format!("{what}; gave up after {n} retries"),
                None => what,
            });
        }
        next = err.source();
    }
    None
}

/// The words for one transport failure.
fn describe(http: &HttpError) -> String {
    let cause = http
        .source()
        .map(|source| last_causes(&source.to_string()))
        .unwrap_or_default();
    let stalled = http
        .source()
        .and_then(|source| source.downcast_ref::<Stalled>());
    match (http.kind(), stalled) {
        (_, Some(stalled)) => stalled.to_string(),
        (HttpErrorKind::Connect, _) => format!("the store cannot be reached: {cause}"),
        (HttpErrorKind::Timeout, _) => format!("the store timed out: {cause}"),
        (HttpErrorKind::Request | HttpErrorKind::Interrupted, _) => {
            format!("the store closed the connection: {cause}")
        }
        _ => format!("the store failed: {cause}"),
    }
}

/// The last two parts of a chain joined with ": " ("tcp connect error:
/// Connection refused (os error 111)"): the specific end of it.
fn last_causes(chain: &str) -> String {
    let parts: Vec<&str> = chain.split(": ").collect();
    parts[parts.len().saturating_sub(2)..].join(": ")
}

/// N in "... after N retries ...".
fn retries_in(message: &str) -> Option<usize> {
    let (_, rest) = message.split_once(" after ")?;
    let (number, rest) = rest.split_once(' ')?;
    rest.starts_with("retries").then(|| number.parse().ok())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_cause_and_the_retries() {
        #[derive(Debug, thiserror::Error)]
        #[error("Error performing PUT in 1.5s, after 4 retries, max_retries: 4 - {0}")]
        struct Outer(#[source] HttpError);
        #[derive(Debug, thiserror::Error)]
        #[error(
            "error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)"
        )]
        struct Inner;
        let err = Outer(HttpError::new(HttpErrorKind::Connect, Inner));
        assert_eq!(
            transport_reason(&err).unwrap(),
            "the store cannot be reached: tcp connect error: Connection refused (os error 111); gave up after 4 retries"
        );
    }

    #[test]
    fn a_stall_says_how_long() {
        let err = HttpError::new(
            HttpErrorKind::Timeout,
            Stalled(std::time::Duration::from_secs(3)),
        );
        assert_eq!(
            transport_reason(&err).unwrap(),
            "the store sent and took nothing for 3 s (stall timeout)"
        );
        assert_eq!(retries_in("in 2s, after 12 retries, max"), Some(12));
        assert_eq!(retries_in("after all"), None);
    }
}
