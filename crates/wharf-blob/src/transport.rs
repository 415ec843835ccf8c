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
    let cause = http.source().map(cause_words).unwrap_or("no detail");
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

/// What went wrong, in fixed words a client may read: the kind of the
/// first I/O error in the chain ("connection refused", "connection
/// reset"), a TLS failure, or a connection the store closed. Never the
/// chain's own text, which can name the store's host (a certificate for
/// another name, a DNS failure) or its addresses; the whole chain stays in
/// the error's source, for the server's log.
fn cause_words(source: &(dyn StdError + 'static)) -> &'static str {
    let mut next = Some(source);
    let mut text = String::new();
    while let Some(err) = next {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(words) = io_words(io.kind())
        {
            return words;
        }
        text.push_str(&err.to_string());
        next = err.source();
    }
    // Not every layer keeps the I/O error as a source: its words then.
    let text = text.to_ascii_lowercase();
    if text.contains("connection refused") {
        "connection refused"
    } else if text.contains("connection reset") {
        "connection reset"
    } else if text.contains("timed out") {
        "timed out"
    } else if text.contains("unreachable") {
        "no route to the store"
    } else if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
        "the TLS handshake failed"
    } else if text.contains("dns") || text.contains("lookup") {
        "the store's name did not resolve"
    } else if text.contains("closed") || text.contains("incomplete") {
        "connection closed before the response was complete"
    } else {
        "no detail"
    }
}

/// Fixed words for the I/O errors a store connection meets.
fn io_words(kind: std::io::ErrorKind) -> Option<&'static str> {
    use std::io::ErrorKind as K;
    Some(match kind {
        K::ConnectionRefused => "connection refused",
        K::ConnectionReset => "connection reset",
        K::ConnectionAborted => "connection aborted",
        K::NotConnected | K::BrokenPipe => "connection broken",
        K::TimedOut => "timed out",
        K::UnexpectedEof => "connection closed before the response was complete",
        K::HostUnreachable | K::NetworkUnreachable => "no route to the store",
        K::AddrNotAvailable => "no local address to connect from",
        _ => return None,
    })
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
        #[error("error sending request: client error (Connect): tcp connect error")]
        struct Inner(#[source] std::io::Error);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let err = Outer(HttpError::new(HttpErrorKind::Connect, Inner(refused)));
        assert_eq!(
            transport_reason(&err).unwrap(),
            "the store cannot be reached: connection refused; gave up after 4 retries"
        );
    }

    /// A certificate for another name, a DNS failure: the text below names
    /// the store's host, the client's reason does not.
    #[test]
    fn a_reason_never_carries_the_store_s_own_words() {
        #[derive(Debug, thiserror::Error)]
        #[error("{0}")]
        struct Text(&'static str);
        for (chain, words) in [
            (
                "invalid peer certificate: certificate not valid for name \"store.internal.example\"",
                "the TLS handshake failed",
            ),
            (
                "dns error: failed to lookup address information: store.internal.example",
                "the store's name did not resolve",
            ),
            ("something else at 10.1.2.3:443", "no detail"),
            (
                "tcp connect error: Connection refused (os error 111) to 10.1.2.3",
                "connection refused",
            ),
        ] {
            let err = HttpError::new(HttpErrorKind::Connect, Text(chain));
            let reason = transport_reason(&err).unwrap();
            assert_eq!(reason, format!("the store cannot be reached: {words}"));
            assert!(
                !reason.contains("example") && !reason.contains("10.1"),
                "{reason}"
            );
        }
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
