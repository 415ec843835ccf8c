//! How a transfer ended, in types: the session turns them into replies
//! (`session/reply_map.rs`); nothing here knows a reply code.

use std::io;

use wharf_vfs::VfsError;

use super::listing::ListLimit;
use super::plan::DataIo;
use super::watchdog::DataTimeout;
use crate::quota::{Direction, QuotaExceeded};

/// How a transfer failed.
#[derive(Debug)]
pub(crate) enum TransferError {
    /// The data connection never opened.
    Connect(io::Error),
    /// It broke during the transfer.
    Broken(io::Error),
    /// No byte moved for the stall timeout.
    Stalled,
    /// The connection moved fewer bytes than the rate floor asks.
    TooSlow(DataTimeout),
    /// The storage failed.
    Storage(VfsError),
    /// A storage step took longer than the stall timeout.
    StorageStalled(std::time::Duration),
    /// The login's quota stopped it.
    Quota(QuotaExceeded, Direction),
    /// A recursive listing ran into its depth or entry bound.
    ListLimit(ListLimit),
}

impl TransferError {
    /// A failed read or write on the data connection: broken, or given up
    /// by the watchdog.
    pub(crate) fn data(error: io::Error) -> Self {
        match DataTimeout::of(&error) {
            Some(DataTimeout::Stalled(_)) => Self::Stalled,
            Some(slow @ DataTimeout::TooSlow { .. }) => Self::TooSlow(slow),
            None => Self::Broken(error),
        }
    }
}

impl From<DataTimeout> for TransferError {
    fn from(timeout: DataTimeout) -> Self {
        Self::data(io::Error::new(io::ErrorKind::TimedOut, timeout))
    }
}

/// How a transfer ended, and in MODE B the data connection to keep for the
/// next one.
pub(crate) struct Finished {
    pub(crate) result: Result<u64, TransferError>,
    pub(crate) keep: Option<Box<dyn DataIo>>,
}
