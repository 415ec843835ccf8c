//! The bytes of a transfer between the file and the wire, as sans-IO
//! stages: TYPE A's line ends (`crlf.rs`) and MODE B's blocks (`block.rs`).
//!
//! Every stage has one interface, [`Stage`]: bytes in, bytes appended to
//! the caller's buffer, and at the end of input a last call that flushes
//! what a stage held back or says the stream was cut short. A stage keeps
//! its state across pushes, so where the reads happened to split the
//! input never changes what comes out (the property tests in `tests.rs`
//! check this for each stage and for chains). Stages know nothing of
//! sockets, files, quotas or time: the pumps (`data/pump/`) do the I/O.

mod block;
mod crlf;
mod skip;
#[cfg(test)]
mod tests;

use bytes::BytesMut;
use wharf_proto::error::BlockError;

pub(crate) use block::{BlockDecode, BlockEncode};
pub(crate) use crlf::{FromCrlf, ToCrlf};
pub(crate) use skip::Skip;

/// Why a stage refused its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StageError {
    /// The MODE B block stream is malformed (undefined descriptor bits,
    /// data after the EOF block).
    #[error(transparent)]
    Block(#[from] BlockError),
    /// The input ended before the MODE B end-of-file block.
    #[error("the data connection closed before the MODE B end-of-file block")]
    NoEndOfFile,
}

/// What a push found about the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// All of the input was taken; more may follow.
    More,
    /// The stream ended inside the input after `used` bytes (the MODE B
    /// EOF block). The rest is not part of this stream: the stage did not
    /// take it and refuses any further input.
    Ended {
        /// Bytes of the input up to and including the end.
        used: usize,
    },
}

/// One step between the file and the wire.
pub(crate) trait Stage: Send {
    /// Takes `input` and appends what it makes of it to `out`.
    fn push(&mut self, input: &[u8], out: &mut BytesMut) -> Result<Flow, StageError>;

    /// The input has ended: appends what was held back, or fails if the
    /// stream was cut short. Called once, after the last push.
    fn finish(&mut self, out: &mut BytesMut) -> Result<(), StageError>;
}

impl<S: Stage + ?Sized> Stage for Box<S> {
    fn push(&mut self, input: &[u8], out: &mut BytesMut) -> Result<Flow, StageError> {
        (**self).push(input, out)
    }

    fn finish(&mut self, out: &mut BytesMut) -> Result<(), StageError> {
        (**self).finish(out)
    }
}

/// Two stages as one: `first`'s output is `second`'s input.
///
/// The end of the stream is reported against the chain's own input: where
/// `first` says it ended, or, when only `second` ends, after all of it
/// (the rest of `first`'s output is dropped with `second`'s refusal).
pub(crate) struct Chain<A, B> {
    first: A,
    second: B,
    between: BytesMut,
}

impl<A: Stage, B: Stage> Chain<A, B> {
    pub(crate) fn new(first: A, second: B) -> Self {
        Self {
            first,
            second,
            between: BytesMut::new(),
        }
    }
}

impl<A: Stage, B: Stage> Stage for Chain<A, B> {
    fn push(&mut self, input: &[u8], out: &mut BytesMut) -> Result<Flow, StageError> {
        self.between.clear();
        let first = self.first.push(input, &mut self.between)?;
        let second = self.second.push(&self.between, out)?;
        Ok(match (first, second) {
            (Flow::Ended { used }, _) => Flow::Ended { used },
            (Flow::More, Flow::Ended { .. }) => Flow::Ended { used: input.len() },
            (Flow::More, Flow::More) => Flow::More,
        })
    }

    fn finish(&mut self, out: &mut BytesMut) -> Result<(), StageError> {
        self.between.clear();
        self.first.finish(&mut self.between)?;
        self.second.push(&self.between, out)?;
        self.second.finish(out)
    }
}
