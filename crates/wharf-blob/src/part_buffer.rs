//! The part an upload is filling, kept as a list of fixed-size chunks.
//!
//! The writer's bytes are copied once, from its slice into chunks of
//! [`CHUNK`] bytes, and a full part goes to the store as the list of those
//! chunks (a `PutPayload` holds several `Bytes`), never as one contiguous
//! buffer. A contiguous part grows by reallocation while it fills (its
//! budget grows 256 KiB, 512 KiB, ... 8 MiB) and is freed whole on another
//! thread; chunks of one size are filled once, and once the store has a
//! part they go back to [`crate::chunk_pool`] for the next parts to fill
//! (see `docs/performance/blob-memory.md` for what that saves).
//!
//! The chunks hold the bytes the upload's budget grant covers: a part that
//! starts on a chunk boundary holds no more chunks than its grant.
//!
//! A part that ends inside a chunk (the start an `APPE` keeps need not be
//! a whole number of chunks) hands over the filled front of that chunk and
//! keeps filling its rest for the next part.

use bytes::{Bytes, BytesMut};
use object_store::PutPayload;

use crate::chunk_pool;
#[cfg(test)]
use crate::memory::CHUNK;

/// A part being filled (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct PartBuffer {
    /// Chunks filled so far, in order.
    full: Vec<Bytes>,
    /// The chunk being filled: its capacity is the room left in it.
    filling: BytesMut,
    /// Bytes in `full` and `filling`.
    len: usize,
}

impl PartBuffer {
    /// A part that starts with `bytes` (what an `APPE` keeps), uncopied.
    pub(crate) fn starting_with(bytes: Bytes) -> Self {
        let len = bytes.len();
        let full = if bytes.is_empty() {
            Vec::new()
        } else {
            vec![bytes]
        };
        Self {
            full,
            filling: BytesMut::new(),
            len,
        }
    }

    /// Bytes held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Copies all of `data` in, a new chunk whenever one is full.
    pub(crate) fn extend_from_slice(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.filling.len() == self.filling.capacity() {
                self.seal();
                self.filling = chunk_pool::take();
            }
            let n = (self.filling.capacity() - self.filling.len()).min(data.len());
            self.filling.extend_from_slice(&data[..n]);
            self.len += n;
            data = &data[n..];
        }
    }

    /// Moves the filled front of the chunk being filled to `full`; the
    /// chunk keeps the room behind it.
    fn seal(&mut self) {
        if !self.filling.is_empty() {
            self.full.push(self.filling.split().freeze());
        }
    }

    /// Takes what is held as one payload, leaving the buffer empty.
    pub(crate) fn take(&mut self) -> PutPayload {
        self.seal();
        self.len = 0;
        std::mem::take(&mut self.full).into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that differ at every offset of a few chunks, so a chunk out
    /// of place or a byte dropped at a boundary shows.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i % 251) as u8 ^ (i / 251) as u8)
            .collect()
    }

    fn joined(payload: &PutPayload) -> Vec<u8> {
        payload.iter().flat_map(|b| b.iter().copied()).collect()
    }

    #[test]
    fn writes_of_any_size_are_kept_in_order_in_whole_chunks() {
        let data = pattern(3 * CHUNK + 12_345);
        for write in [1, 1000, 65_536, CHUNK - 1, CHUNK, CHUNK + 1, data.len()] {
            let mut part = PartBuffer::default();
            for slice in data.chunks(write) {
                part.extend_from_slice(slice);
            }
            assert_eq!(part.len(), data.len());
            let payload = part.take();
            assert_eq!(payload.content_length(), data.len(), "writes of {write}");
            assert!(joined(&payload) == data, "writes of {write}: content");
            let sizes: Vec<usize> = payload.iter().map(Bytes::len).collect();
            assert_eq!(sizes, [CHUNK, CHUNK, CHUNK, 12_345], "writes of {write}");
            assert_eq!(part.len(), 0, "taken");
        }
    }

    #[test]
    fn an_empty_part_is_an_empty_payload() {
        let mut part = PartBuffer::default();
        part.extend_from_slice(&[]);
        assert_eq!(part.len(), 0);
        let payload = part.take();
        assert_eq!(payload.content_length(), 0);
        assert_eq!(payload.iter().count(), 0, "no empty chunks");
        let mut kept = PartBuffer::starting_with(Bytes::new());
        assert_eq!(kept.take().iter().count(), 0);
    }

    /// A part boundary inside a chunk: the kept start is no whole number
    /// of chunks, so the first part ends part-way into a chunk, and the
    /// second part goes on in that chunk's rest.
    #[test]
    fn a_part_that_ends_inside_a_chunk_leaves_its_rest_to_the_next() {
        let kept = Bytes::from(pattern(1000));
        let data = pattern(2 * CHUNK);
        let mut part = PartBuffer::starting_with(kept.clone());
        let first = CHUNK; // the part's size in this test
        part.extend_from_slice(&data[..first - kept.len()]);
        assert_eq!(part.len(), first);
        let one = part.take();
        let sizes: Vec<usize> = one.iter().map(Bytes::len).collect();
        assert_eq!(sizes, [1000, CHUNK - 1000]);
        part.extend_from_slice(&data[first - kept.len()..]);
        let two = part.take();
        assert_eq!(
            two.iter().next().map(Bytes::len),
            Some(1000),
            "the rest of the chunk"
        );
        let mut all = joined(&one);
        all.extend(joined(&two));
        let mut want = kept.to_vec();
        want.extend(&data);
        assert!(all == want, "content across the boundary");
    }

    #[test]
    fn a_kept_start_is_not_copied() {
        let kept = Bytes::from(pattern(5000));
        let mut part = PartBuffer::starting_with(kept.clone());
        part.extend_from_slice(b"more");
        let payload = part.take();
        let first = payload.iter().next().cloned().unwrap_or_default();
        assert_eq!(first.as_ptr(), kept.as_ptr(), "the same bytes, not a copy");
        assert_eq!(payload.content_length(), 5004);
    }
}
