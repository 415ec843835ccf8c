//! The pumps: one loop per direction that moves a file's bytes between
//! storage and the data connection through the transfer's stages
//! (`data/pipeline/`).
//!
//! Everything a transfer step must respect lives here once, not once per
//! TYPE and MODE: the meter (usage, quotas, rate limits, STAT progress), the
//! bound on storage waits, and the excuse that keeps the server's own
//! waits out of the client's minimum rate. The connection's stall bound
//! and rate floor are in the [`Watched`] stream the pumps read and write.
//!
//! The meter sits between the two kinds of stage: it counts the file as
//! the transfer's TYPE puts it on the wire (TYPE A's CRLFs included) but
//! not MODE B's block headers, in both directions. With no stages (binary
//! MODE S, the common case) bytes go straight from the reader's buffer to
//! the socket, or from the socket's read buffer to the upload, uncopied.

mod download;
#[cfg(test)]
mod tests;
mod upload;

use std::io;

use super::outcome::TransferError;
use super::pipeline::{Chain, Stage, StageError};
use super::plan::DataIo;
use super::watchdog::Watched;

pub(crate) use download::download;
pub(crate) use upload::upload;

/// The data connection of a transfer.
pub(crate) type Stream = Watched<Box<dyn DataIo>>;

/// The stages of one direction, on either side of the meter. Each side
/// is one stage: adding a second chains it after the first.
#[derive(Default)]
pub(crate) struct Stages {
    /// Between the source and the meter: TYPE A's conversion on a
    /// download, the MODE B decoder on an upload.
    to_meter: Option<Box<dyn Stage>>,
    /// Between the meter and the destination: the MODE B encoder on a
    /// download, TYPE A's conversion on an upload.
    from_meter: Option<Box<dyn Stage>>,
}

impl Stages {
    /// Adds `stage` between the source and the meter.
    pub(crate) fn before_meter(mut self, stage: impl Stage + 'static) -> Self {
        self.to_meter = Some(then(self.to_meter.take(), stage));
        self
    }

    /// Adds `stage` between the meter and the destination.
    pub(crate) fn after_meter(mut self, stage: impl Stage + 'static) -> Self {
        self.from_meter = Some(then(self.from_meter.take(), stage));
        self
    }
}

fn then(first: Option<Box<dyn Stage>>, stage: impl Stage + 'static) -> Box<dyn Stage> {
    match first {
        Some(first) => Box::new(Chain::new(first, stage)),
        None => Box::new(stage),
    }
}

/// Awaits a wait on the server's side (storage, upload memory, a
/// bandwidth limit), which the rate floor does not hold against the client.
pub(crate) async fn excused<T>(stream: &mut Stream, wait: impl Future<Output = T>) -> T {
    let started = tokio::time::Instant::now();
    let out = wait.await;
    stream.excuse(started.elapsed());
    out
}

impl From<StageError> for TransferError {
    /// A stage refuses only what came over the connection, so the
    /// connection broke the transfer.
    fn from(error: StageError) -> Self {
        let kind = match error {
            StageError::Block(_) => io::ErrorKind::InvalidData,
            StageError::NoEndOfFile => io::ErrorKind::UnexpectedEof,
        };
        Self::Broken(io::Error::new(kind, error))
    }
}
