//! [`ChunkBuf`]: an upload's buffer, page-aligned so that a full chunk can
//! go to disk with direct I/O, grown only as far as the upload needs.

use crate::sink::ALIGN;

/// A byte buffer whose contents start on an [`ALIGN`] boundary and which
/// holds at most `limit` bytes.
///
/// It grows by doubling, like `Vec`, so a 4 KiB upload allocates a few
/// kilobytes, not a whole chunk. Alignment is kept without `unsafe` by
/// allocating [`ALIGN`] spare bytes and starting the contents at the first
/// aligned address among them.
#[derive(Debug, Default)]
pub(crate) struct ChunkBuf {
    bytes: Vec<u8>,
    /// Padding before the contents.
    start: usize,
}

impl ChunkBuf {
    /// The contents.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes.len() - self.start
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties the buffer, keeping its allocation.
    pub(crate) fn clear(&mut self) {
        self.bytes.truncate(self.start);
    }

    /// Appends as much of `data` as fits under `limit`; returns how much.
    pub(crate) fn push(&mut self, data: &[u8], limit: usize) -> usize {
        let n = limit.saturating_sub(self.len()).min(data.len());
        let wanted = self.len() + n;
        if wanted > self.capacity() {
            self.grow((self.capacity() * 2).clamp(wanted, limit));
        }
        // Within capacity: never reallocates, so alignment holds.
        self.bytes.extend_from_slice(&data[..n]);
        n
    }

    /// Contents the current allocation can hold.
    fn capacity(&self) -> usize {
        self.bytes.capacity().saturating_sub(self.start)
    }

    /// Moves the contents to an allocation holding `capacity` bytes.
    fn grow(&mut self, capacity: usize) {
        let mut bytes: Vec<u8> = Vec::with_capacity(capacity + ALIGN - 1);
        let misalign = bytes.as_ptr().addr() % ALIGN;
        let start = (ALIGN - misalign) % ALIGN;
        bytes.resize(start, 0);
        bytes.extend_from_slice(self.as_slice());
        self.bytes = bytes;
        self.start = start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_by_doubling_up_to_the_limit_and_stays_aligned() {
        let mut buf = ChunkBuf::default();
        let mut expected = Vec::new();
        let limit = 64 * 1024;
        let mut piece = 0u8;
        while buf.len() < limit {
            let data = vec![piece; 1000];
            let n = buf.push(&data, limit);
            expected.extend_from_slice(&data[..n]);
            assert_eq!(buf.as_slice().as_ptr().addr() % ALIGN, 0);
            assert!(
                buf.bytes.capacity() < limit + ALIGN,
                "{}",
                buf.bytes.capacity()
            );
            piece = piece.wrapping_add(1);
        }
        assert_eq!(buf.len(), limit);
        assert_eq!(buf.push(b"more", limit), 0, "full");
        assert!(buf.as_slice() == expected.as_slice());
        buf.clear();
        assert!(buf.is_empty());
        assert_eq!(buf.push(b"again", limit), 5);
        assert_eq!(buf.as_slice(), b"again");
        assert_eq!(buf.as_slice().as_ptr().addr() % ALIGN, 0);
    }

    #[test]
    fn a_small_upload_allocates_little() {
        let mut buf = ChunkBuf::default();
        buf.push(&[1; 4096], 1024 * 1024);
        assert!(buf.bytes.capacity() < 3 * 4096, "{}", buf.bytes.capacity());
    }
}
