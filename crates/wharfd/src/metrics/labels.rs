//! The label sets of wharfd's metrics. Every value comes from a closed set
//! (verbs, results, listeners the server binds): no user names or paths,
//! so the number of series stays bounded whatever clients do.

use prometheus_client::encoding::EncodeLabelSet;

/// A control listener, and whether it is implicit FTPS.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Listener {
    /// The address the client reached, `IP:PORT`.
    pub(super) listener: String,
    /// Sessions opened: `implicit` (implicit FTPS) or `explicit` (plain,
    /// perhaps `AUTH TLS` later). Sessions closed: `tls` or `clear`, as the
    /// control connection was at the end.
    pub(super) tls: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Reason {
    pub(super) reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Outcome {
    pub(super) result: &'static str,
}

/// A command's verb and its reply's class (`2xx`, `5xx`, ...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Command {
    pub(super) verb: &'static str,
    pub(super) class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Transfer {
    pub(super) verb: &'static str,
    pub(super) result: &'static str,
}

/// `download`, `upload` or `listing`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Kind {
    pub(super) kind: &'static str,
}

/// `received` (uploads) or `sent` (downloads and listings).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Direction {
    pub(super) direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Handshake {
    /// `control` or `data`.
    pub(super) channel: &'static str,
    pub(super) result: &'static str,
}

/// Which way a transfer a quota refused would have gone.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct QuotaRefusal {
    pub(super) direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Build {
    pub(super) version: &'static str,
}

/// The class of a reply code: `1xx` to `5xx`.
pub(super) fn class(code: u16) -> &'static str {
    match code / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}
