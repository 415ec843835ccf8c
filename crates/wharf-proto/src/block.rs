//! MODE B, block mode (RFC 959 section 3.4.2).
//!
//! ```text
//! +----------------+----------------+----------------+
//! | Descriptor     |    Byte Count                   |
//! |         8 bits |                      16 bits    |
//! +----------------+----------------+----------------+
//!
//! Code  Meaning
//!  128  End of data block is EOR
//!   64  End of data block is EOF
//!   32  Suspected errors in data block
//!   16  Data block is a restart marker
//! ```
//!
//! Each block is a three-byte header (descriptor, big-endian count) and that
//! many bytes. A block with the EOF flag ends the file, so one data
//! connection can carry many transfers. A restart-marker block's bytes are
//! the marker itself, not file data. The descriptor's low four bits are
//! undefined and refused.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::BlockError;

/// The descriptor byte of a block header: any of the four flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Descriptor(u8);

impl Descriptor {
    /// No flag: a plain data block.
    pub const NONE: Self = Self(0);
    /// 128: the block ends a record.
    pub const EOR: Self = Self(128);
    /// 64: the block ends the file.
    pub const EOF: Self = Self(64);
    /// 32: the sender suspects errors in the block's data.
    pub const SUSPECT: Self = Self(32);
    /// 16: the block's bytes are a restart marker.
    pub const RESTART_MARKER: Self = Self(16);

    /// Checks the byte for undefined bits.
    pub const fn new(byte: u8) -> Result<Self, BlockError> {
        if byte & 0x0f == 0 {
            Ok(Self(byte))
        } else {
            Err(BlockError::UndefinedDescriptorBits(byte))
        }
    }

    /// The byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets of flags.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

/// A block header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockHeader {
    /// The flags.
    pub descriptor: Descriptor,
    /// The number of bytes that follow.
    pub len: u16,
}

impl BlockHeader {
    /// The header's size on the wire.
    pub const SIZE: usize = 3;

    /// The three header bytes.
    pub fn encode(self) -> [u8; 3] {
        let [hi, lo] = self.len.to_be_bytes();
        [self.descriptor.bits(), hi, lo]
    }

    /// Reads a header.
    pub fn decode(bytes: [u8; 3]) -> Result<Self, BlockError> {
        Ok(Self {
            descriptor: Descriptor::new(bytes[0])?,
            len: u16::from_be_bytes([bytes[1], bytes[2]]),
        })
    }
}

/// Appends `data` as plain data blocks of at most 65 535 bytes each.
pub fn encode_data(data: &[u8], out: &mut BytesMut) {
    for chunk in data.chunks(usize::from(u16::MAX)) {
        encode_block(Descriptor::NONE, chunk, out);
    }
}

/// Appends one block; `data` must be at most 65 535 bytes (longer data is
/// cut there, so callers split first, as [`encode_data`] does).
pub fn encode_block(descriptor: Descriptor, data: &[u8], out: &mut BytesMut) {
    let data = &data[..data.len().min(usize::from(u16::MAX))];
    let len = u16::try_from(data.len()).unwrap_or(u16::MAX);
    out.reserve(BlockHeader::SIZE + data.len());
    out.extend_from_slice(&BlockHeader { descriptor, len }.encode());
    out.extend_from_slice(data);
}

/// Appends the empty block that ends a file.
pub fn encode_eof(out: &mut BytesMut) {
    encode_block(Descriptor::EOF, &[], out);
}

/// What the block decoder found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockEvent {
    /// File data; a block may arrive as several `Data` events.
    Data(Bytes),
    /// A whole restart marker.
    RestartMarker(Bytes),
    /// The sender flagged the block just ended as suspect.
    SuspectedErrors,
    /// A record ended.
    EndOfRecord,
    /// The file ended; further input belongs to the next transfer (call
    /// [`BlockDecoder::reset`]) and is refused until then.
    EndOfFile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for a header.
    Header,
    /// Inside a block with this many bytes still to come.
    Body {
        descriptor: Descriptor,
        remaining: usize,
    },
    /// The block's bytes are all in; its flags are still to be reported.
    Flags {
        descriptor: Descriptor,
        reported: u8,
    },
    /// After EOF.
    Done,
}

/// An incremental MODE B decoder: bytes in, [`BlockEvent`]s out, from any
/// chunk boundaries and with no buffering beyond one restart marker.
#[derive(Debug, Clone)]
pub struct BlockDecoder {
    state: State,
    marker: BytesMut,
}

impl Default for BlockDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl BlockDecoder {
    /// A decoder at the start of a file.
    pub fn new() -> Self {
        Self {
            state: State::Header,
            marker: BytesMut::new(),
        }
    }

    /// Starts the next file on the same connection.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Whether the EOF block has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Takes the next event out of `buf`, or `Ok(None)` if more bytes are
    /// needed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<BlockEvent>, BlockError> {
        loop {
            match self.state {
                State::Done if buf.is_empty() => return Ok(None),
                State::Done => return Err(BlockError::DataAfterEof),
                State::Header => {
                    let Some(&[a, b, c]) = buf.get(..BlockHeader::SIZE) else {
                        return Ok(None);
                    };
                    let header = BlockHeader::decode([a, b, c])?;
                    buf.advance(BlockHeader::SIZE);
                    self.state = State::Body {
                        descriptor: header.descriptor,
                        remaining: usize::from(header.len),
                    };
                }
                State::Body {
                    descriptor,
                    remaining: 0,
                } => {
                    self.state = State::Flags {
                        descriptor,
                        reported: 0,
                    };
                    if descriptor.contains(Descriptor::RESTART_MARKER) {
                        let marker = self.marker.split().freeze();
                        return Ok(Some(BlockEvent::RestartMarker(marker)));
                    }
                }
                State::Body {
                    descriptor,
                    remaining,
                } => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let take = remaining.min(buf.len());
                    let chunk = buf.split_to(take);
                    self.state = State::Body {
                        descriptor,
                        remaining: remaining - take,
                    };
                    if descriptor.contains(Descriptor::RESTART_MARKER) {
                        self.marker.extend_from_slice(&chunk);
                    } else {
                        return Ok(Some(BlockEvent::Data(chunk.freeze())));
                    }
                }
                State::Flags {
                    descriptor,
                    reported,
                } => {
                    // Report SUSPECT, then EOR, then EOF, one per call.
                    let order = [
                        (Descriptor::SUSPECT, BlockEvent::SuspectedErrors),
                        (Descriptor::EOR, BlockEvent::EndOfRecord),
                        (Descriptor::EOF, BlockEvent::EndOfFile),
                    ];
                    let next = order
                        .into_iter()
                        .enumerate()
                        .skip(usize::from(reported))
                        .find(|(_, (flag, _))| descriptor.contains(*flag));
                    match next {
                        Some((i, (flag, event))) => {
                            self.state = if flag == Descriptor::EOF {
                                State::Done
                            } else {
                                State::Flags {
                                    descriptor,
                                    reported: u8::try_from(i + 1).unwrap_or(u8::MAX),
                                }
                            };
                            return Ok(Some(event));
                        }
                        None => self.state = State::Header,
                    }
                }
            }
        }
    }

    /// Call when the connection has closed: an error unless the file ended.
    pub fn finish(&self) -> Result<(), BlockError> {
        if self.is_done() {
            Ok(())
        } else {
            Err(BlockError::UnexpectedEnd)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(input: &[u8], chunk: usize) -> Result<Vec<BlockEvent>, BlockError> {
        let mut decoder = BlockDecoder::new();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in input.chunks(chunk.max(1)) {
            buf.extend_from_slice(piece);
            while let Some(event) = decoder.decode(&mut buf)? {
                out.push(event);
            }
        }
        decoder.finish()?;
        Ok(out)
    }

    fn data_of(events: &[BlockEvent]) -> Vec<u8> {
        events
            .iter()
            .filter_map(|e| match e {
                BlockEvent::Data(d) => Some(d.to_vec()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    #[test]
    fn header_known_answers() {
        let header = BlockHeader {
            descriptor: Descriptor::EOF.union(Descriptor::EOR),
            len: 0x1234,
        };
        assert_eq!(header.encode(), [0xc0, 0x12, 0x34]);
        assert_eq!(BlockHeader::decode([0xc0, 0x12, 0x34]), Ok(header));
        assert_eq!(
            BlockHeader::decode([0x01, 0, 0]),
            Err(BlockError::UndefinedDescriptorBits(1))
        );
    }

    #[test]
    fn data_markers_and_eof_at_every_chunk_size() {
        let mut wire = BytesMut::new();
        encode_data(b"hello ", &mut wire);
        encode_block(Descriptor::RESTART_MARKER, b"6", &mut wire);
        encode_block(Descriptor::EOF, b"world", &mut wire);
        for chunk in 1..=wire.len() {
            let got = events(&wire, chunk).unwrap();
            assert_eq!(data_of(&got), b"hello world", "chunk {chunk}");
            assert!(got.contains(&BlockEvent::RestartMarker(Bytes::from_static(b"6"))));
            assert_eq!(got.last(), Some(&BlockEvent::EndOfFile));
        }
    }

    #[test]
    fn large_data_is_split_into_full_blocks() {
        let data = vec![7u8; 70_000];
        let mut wire = BytesMut::new();
        encode_data(&data, &mut wire);
        encode_eof(&mut wire);
        assert_eq!(&wire[..3], &[0, 0xff, 0xff]);
        assert_eq!(wire.len(), 70_000 + 3 * 3);
        assert_eq!(data_of(&events(&wire, 4096).unwrap()), data);
    }

    #[test]
    fn flags_are_reported_in_order() {
        let mut wire = BytesMut::new();
        let all = Descriptor::SUSPECT
            .union(Descriptor::EOR)
            .union(Descriptor::EOF);
        encode_block(all, b"x", &mut wire);
        assert_eq!(
            events(&wire, 100).unwrap(),
            vec![
                BlockEvent::Data(Bytes::from_static(b"x")),
                BlockEvent::SuspectedErrors,
                BlockEvent::EndOfRecord,
                BlockEvent::EndOfFile
            ]
        );
    }

    #[test]
    fn missing_eof_and_trailing_data_are_errors() {
        let mut wire = BytesMut::new();
        encode_data(b"abc", &mut wire);
        assert_eq!(events(&wire, 100), Err(BlockError::UnexpectedEnd));
        let mut wire = BytesMut::new();
        encode_block(Descriptor::NONE, b"abc", &mut wire);
        wire.truncate(4);
        assert_eq!(events(&wire, 100), Err(BlockError::UnexpectedEnd));
        let mut wire = BytesMut::new();
        encode_eof(&mut wire);
        wire.extend_from_slice(b"junk");
        assert_eq!(events(&wire, 100), Err(BlockError::DataAfterEof));
    }

    #[test]
    fn reset_reads_the_next_file_on_the_same_connection() {
        let mut wire = BytesMut::new();
        encode_block(Descriptor::EOF, b"one", &mut wire);
        encode_block(Descriptor::EOF, b"two", &mut wire);
        let mut decoder = BlockDecoder::new();
        let mut files = Vec::new();
        let mut current = Vec::new();
        while let Some(event) = decoder.decode(&mut wire).unwrap() {
            match event {
                BlockEvent::Data(d) => current.extend_from_slice(&d),
                BlockEvent::EndOfFile => {
                    files.push(std::mem::take(&mut current));
                    decoder.reset();
                }
                _ => {}
            }
        }
        assert_eq!(files, [b"one".to_vec(), b"two".to_vec()]);
    }
}
