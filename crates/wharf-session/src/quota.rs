//! The seam for traffic quotas and accounting: a [`QuotaHook`] on a
//! [`Login`](crate::Login) is asked before each transfer and told of every
//! chunk that moves, and can stop the transfer.

/// Which way file bytes move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Server to client (RETR).
    Download,
    /// Client to server (STOR, APPE, STOU).
    Upload,
}

/// A transfer was refused or stopped by a quota; the message goes to the
/// client in a `552` reply (name the quota and when it resets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QuotaExceeded(pub String);

/// Accounting of a login's transfers. Called on the transfer's hot path, so
/// implementations should be quick (atomics, not I/O).
pub trait QuotaHook: Send + Sync {
    /// Before a transfer starts: `Err` refuses it with `552`.
    fn check(&self, direction: Direction) -> Result<(), QuotaExceeded>;

    /// `bytes` more have moved: `Err` stops the transfer with `552`. An
    /// upload stopped this way is discarded.
    fn consume(&self, direction: Direction, bytes: u64) -> Result<(), QuotaExceeded>;
}
