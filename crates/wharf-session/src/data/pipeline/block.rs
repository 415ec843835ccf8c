//! MODE B (RFC 959 3.4.2) as stages, over wharf-proto's block codec.
//!
//! ```text
//! +----------------+----------------+----------------+
//! | Descriptor     |    Byte Count                   |
//! |         8 bits |                      16 bits    |
//! +----------------+----------------+----------------+
//! ```
//!
//! The encoder makes one run of data blocks per push (a block per pump
//! step, at most 65 535 bytes each) and the EOF block at the end: it holds
//! nothing back, so a block boundary says only where a read ended. The
//! decoder accepts any split of the stream and reports the EOF block as
//! the end of the stream ([`Flow::Ended`]); the connection then carries the
//! next file. Restart markers, end-of-record and suspected-errors flags are
//! accepted and ignored: REST offsets are byte counts, and files are
//! stored as bytes, not records.

use bytes::BytesMut;
use wharf_proto::block::{self, BlockDecoder, BlockEvent};

use super::{Flow, Stage, StageError};

/// File bytes -> MODE B blocks, for downloads.
#[derive(Debug, Default)]
pub(crate) struct BlockEncode;

impl Stage for BlockEncode {
    fn push(&mut self, input: &[u8], out: &mut BytesMut) -> Result<Flow, StageError> {
        block::encode_data(input, out);
        Ok(Flow::More)
    }

    /// Writes the EOF block.
    fn finish(&mut self, out: &mut BytesMut) -> Result<(), StageError> {
        block::encode_eof(out);
        Ok(())
    }
}

/// MODE B blocks -> file bytes, for uploads.
#[derive(Debug, Default)]
pub(crate) struct BlockDecode {
    decoder: BlockDecoder,
    /// Bytes of a block header or restart marker not yet whole.
    pending: BytesMut,
}

impl Stage for BlockDecode {
    fn push(&mut self, input: &[u8], out: &mut BytesMut) -> Result<Flow, StageError> {
        self.pending.extend_from_slice(input);
        while let Some(event) = self.decoder.decode(&mut self.pending)? {
            match event {
                BlockEvent::Data(bytes) => out.extend_from_slice(&bytes),
                BlockEvent::EndOfFile => {
                    // What follows the EOF block was in `input` (the block
                    // ended in it); it is not this file's.
                    let rest = std::mem::take(&mut self.pending).len();
                    let used = input.len().saturating_sub(rest);
                    return Ok(Flow::Ended { used });
                }
                BlockEvent::RestartMarker(_)
                | BlockEvent::SuspectedErrors
                | BlockEvent::EndOfRecord => {}
            }
        }
        Ok(Flow::More)
    }

    /// Fails unless the EOF block came: a connection that closes before
    /// it broke the transfer.
    fn finish(&mut self, _out: &mut BytesMut) -> Result<(), StageError> {
        self.decoder.finish().map_err(|_| StageError::NoEndOfFile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_proto::block::{Descriptor, encode_block};
    use wharf_proto::error::BlockError;

    fn wire(build: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
        let mut out = BytesMut::new();
        build(&mut out);
        out.to_vec()
    }

    #[test]
    fn the_encoder_frames_each_push_and_ends_with_the_eof_block() {
        let mut stage = BlockEncode;
        let mut out = BytesMut::new();
        stage.push(b"ab", &mut out).unwrap();
        stage.push(b"", &mut out).unwrap();
        stage.push(b"c", &mut out).unwrap();
        stage.finish(&mut out).unwrap();
        assert_eq!(&out[..], b"\x00\x00\x02ab\x00\x00\x01c\x40\x00\x00");
    }

    #[test]
    fn the_eof_block_split_across_reads_ends_the_stream() {
        let stream = wire(|w| {
            block::encode_data(b"hello", w);
            block::encode_eof(w);
        });
        for cut in 0..=stream.len() {
            let mut stage = BlockDecode::default();
            let mut out = BytesMut::new();
            let (a, b) = stream.split_at(cut);
            let first = stage.push(a, &mut out).unwrap();
            if cut == stream.len() {
                assert_eq!(first, Flow::Ended { used: cut }, "cut {cut}");
            } else {
                assert_eq!(first, Flow::More, "cut {cut}");
                let second = stage.push(b, &mut out).unwrap();
                assert_eq!(second, Flow::Ended { used: b.len() }, "cut {cut}");
            }
            stage.finish(&mut out).unwrap();
            assert_eq!(&out[..], b"hello", "cut {cut}");
        }
    }

    #[test]
    fn bytes_after_the_eof_block_are_left_and_then_refused() {
        let mut stream = wire(|w| {
            block::encode_data(b"one", w);
            block::encode_eof(w);
        });
        let end = stream.len();
        stream.extend_from_slice(b"\x00\x00\x03two");
        let mut stage = BlockDecode::default();
        let mut out = BytesMut::new();
        assert_eq!(stage.push(&stream, &mut out), Ok(Flow::Ended { used: end }));
        assert_eq!(&out[..], b"one", "nothing of the next block is taken");
        assert_eq!(
            stage.push(b"x", &mut out),
            Err(StageError::Block(BlockError::DataAfterEof))
        );
        assert_eq!(stage.finish(&mut out), Ok(()));
    }

    #[test]
    fn an_end_without_the_eof_block_is_a_broken_stream() {
        for cut in [0, 1, 2, 3, 5] {
            let stream = wire(|w| block::encode_data(b"hello", w));
            let mut stage = BlockDecode::default();
            let mut out = BytesMut::new();
            assert_eq!(stage.push(&stream[..cut], &mut out), Ok(Flow::More));
            assert_eq!(
                stage.finish(&mut out),
                Err(StageError::NoEndOfFile),
                "cut {cut}"
            );
        }
        // A truncated header: two of its three bytes.
        let mut stage = BlockDecode::default();
        let mut out = BytesMut::new();
        stage.push(b"\x40\x00", &mut out).unwrap();
        assert_eq!(stage.finish(&mut out), Err(StageError::NoEndOfFile));
    }

    #[test]
    fn markers_records_and_suspect_flags_are_not_file_data() {
        let stream = wire(|w| {
            block::encode_data(b"ab", w);
            encode_block(Descriptor::RESTART_MARKER, b"2", w);
            encode_block(Descriptor::EOR.union(Descriptor::SUSPECT), b"cd", w);
            encode_block(Descriptor::EOF, b"e", w);
        });
        let mut stage = BlockDecode::default();
        let mut out = BytesMut::new();
        let flow = stage.push(&stream, &mut out).unwrap();
        assert_eq!(flow, Flow::Ended { used: stream.len() });
        assert_eq!(&out[..], b"abcde");
    }

    #[test]
    fn undefined_descriptor_bits_are_refused() {
        let mut stage = BlockDecode::default();
        let mut out = BytesMut::new();
        assert_eq!(
            stage.push(b"\x01\x00\x00", &mut out),
            Err(StageError::Block(BlockError::UndefinedDescriptorBits(1)))
        );
    }
}
