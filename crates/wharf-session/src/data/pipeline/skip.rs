//! REST in TYPE A: the restart offset counts octets of the converted
//! stream (RFC 3659 section 5.1), so a resumed ASCII download reads the
//! file from its start and drops that many octets after the conversion.

use bytes::BytesMut;

use super::{Flow, Stage, StageError};

/// Drops the first `remaining` bytes of its input.
#[derive(Debug)]
pub(crate) struct Skip {
    remaining: u64,
}

impl Skip {
    pub(crate) fn new(octets: u64) -> Self {
        Self { remaining: octets }
    }
}

impl Stage for Skip {
    fn push(&mut self, input: &[u8], out: &mut BytesMut) -> Result<Flow, StageError> {
        let dropped = usize::try_from(self.remaining).map_or(input.len(), |r| r.min(input.len()));
        self.remaining = self
            .remaining
            .saturating_sub(u64::try_from(dropped).unwrap_or(u64::MAX));
        out.extend_from_slice(&input[dropped..]);
        Ok(Flow::More)
    }

    fn finish(&mut self, _out: &mut BytesMut) -> Result<(), StageError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_exactly_the_offset_across_pushes() {
        let mut skip = Skip::new(5);
        let mut out = BytesMut::new();
        for chunk in [&b"ab"[..], b"", b"cd", b"efgh"] {
            skip.push(chunk, &mut out).unwrap();
        }
        skip.finish(&mut out).unwrap();
        assert_eq!(&out[..], b"fgh");
    }

    #[test]
    fn an_offset_past_the_end_leaves_nothing() {
        let mut skip = Skip::new(100);
        let mut out = BytesMut::new();
        skip.push(b"short", &mut out).unwrap();
        assert!(out.is_empty());
    }
}
