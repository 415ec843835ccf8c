//! The seam for a login's usage and quota.
//!
//! One vocabulary across the crate: **usage** is the bytes a login moves
//! (file data, listings and control traffic), counted per account and per
//! period; a **quota** is a limit on usage per period, which refuses or
//! stops transfers; a **rate limit** bounds bytes per second (a
//! [`Throttle`](crate::Throttle)). The **usage ledger**
//! ([`UsageLedger`](crate::usage::UsageLedger), feature `usage`) keeps every
//! account's usage in a store shared by a fleet; the **meter** is the step
//! every chunk of a transfer passes through to be counted, checked and
//! held to its rate limits.
//!
//! A [`QuotaHook`] is asked before each transfer, told of every chunk that
//! moves (and of control and listing traffic, which it counts but never
//! stops), and can stop a transfer. The usage ledger's accounts are hooks;
//! an [`Authenticator`](crate::Authenticator) may attach its own to a
//! [`Login`](crate::Login).

use std::time::{SystemTime, UNIX_EPOCH};

use wharf_proto::timestamp::Timestamp;

/// Which way file bytes move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Server to client (RETR).
    Download,
    /// Client to server (STOR, APPE, STOU).
    Upload,
}

/// A transfer was refused or stopped by a quota. The message goes to the
/// client (`451` for a download, `552` for an upload): name the quota and
/// when it resets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QuotaExceeded {
    /// What the client is told.
    pub message: String,
    /// How many bytes of the refused chunk still fit under the quota (and
    /// were counted): a download sends them before it stops, so it stops
    /// exactly at the limit.
    pub allowed: u64,
}

impl QuotaExceeded {
    /// A refusal with nothing allowed.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            allowed: 0,
        }
    }
}

/// What `SITE QUOTA` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaStatus {
    /// The account counted.
    pub account: String,
    /// "daily", "monthly".
    pub period: &'static str,
    /// Bytes counted this period, as far as this server knows.
    pub used: u64,
    /// The limit; `0` is unlimited.
    pub limit: u64,
    /// When the period ends.
    pub resets: SystemTime,
}

/// UsageLedger of a login's traffic. Called on the transfer's hot path, so
/// implementations should be quick (atomics or a short lock, not I/O).
pub trait QuotaHook: Send + Sync {
    /// Before a transfer starts: `Err` refuses it.
    fn check(&self, direction: Direction) -> Result<(), QuotaExceeded>;

    /// `bytes` more file bytes are about to move: `Err` stops the transfer
    /// after [`QuotaExceeded::allowed`] of them. An upload stopped this way
    /// is discarded.
    fn consume(&self, direction: Direction, bytes: u64) -> Result<(), QuotaExceeded>;

    /// Traffic that counts but is never stopped: control-connection bytes
    /// and directory listings.
    fn record(&self, bytes: u64) {
        let _ = bytes;
    }

    /// The state of the quota, for `SITE QUOTA`; `None` if there is nothing
    /// to show.
    fn status(&self) -> Option<QuotaStatus> {
        None
    }
}

/// `10485760 bytes (10.0 MiB)`.
pub(crate) fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{bytes} bytes ({value:.1} {})", UNITS[unit])
}

/// `time` as `2026-11-22 00:00:00 UTC`.
pub(crate) fn utc_text(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    match Timestamp::from_unix(secs, 0) {
        Some(t) => {
            let c = t.civil();
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
                c.year, c.month, c.day, c.hour, c.minute, c.second
            )
        }
        None => "an unknown time".to_owned(),
    }
}
