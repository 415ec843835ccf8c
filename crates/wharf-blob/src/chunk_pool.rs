//! Chunks of stored parts, kept for the next parts to fill.
//!
//! An upload's parts are lists of [`CHUNK`]-sized chunks
//! ([`crate::part_buffer`]). Once the store has a part, its chunks come
//! back here and the next part fills them instead of new memory: measured
//! on a 1 GiB upload into Azurite, peak RSS fell from 51 to 41 MiB and
//! wharfd's CPU per GiB by about a third, because freshly allocated chunks
//! are page-faulted in and zeroed by the kernel, and the allocator, given
//! 256 KiB blocks freed on other threads, kept more of them than it
//! reused (`docs/performance/blob-memory.md`).
//!
//! The pool is process-wide and holds at most [`POOL_CHUNKS`] (12 MiB, one
//! and a half parts): enough for one upload's steady state, and a bound on
//! what it keeps after a burst of uploads. A chunk comes back only if no
//! one else holds it (the store's client dropped its copies of the part)
//! and it is whole; any other is freed as before. Pooled memory is not
//! counted against the [`UploadMemory`](crate::UploadMemory) budget: it is
//! free memory, held by no upload.

use std::sync::{Mutex, PoisonError};

use bytes::{Bytes, BytesMut};

use crate::memory::CHUNK;

/// The most chunks the pool keeps: 12 MiB.
pub(crate) const POOL_CHUNKS: usize = 48;

/// The most bytes the pool keeps beside the upload budget: what a
/// process's blob uploads may hold at most is the
/// [`UploadMemory`](crate::UploadMemory) budget plus this.
pub const UPLOAD_CHUNK_POOL_BYTES: u64 = (POOL_CHUNKS * CHUNK) as u64;

/// The process-wide pool.
static POOL: ChunkPool = ChunkPool::new(POOL_CHUNKS);

/// An empty chunk of [`CHUNK`] bytes' capacity: a pooled one if there is
/// one.
pub(crate) fn take() -> BytesMut {
    POOL.take()
}

/// Gives back a stored part's chunks (see [`ChunkPool::give_back`]).
pub(crate) fn give_back(chunks: impl IntoIterator<Item = Bytes>) {
    POOL.give_back(chunks);
}

/// A pool of at most `bound` empty chunks.
struct ChunkPool {
    chunks: Mutex<Vec<BytesMut>>,
    bound: usize,
}

impl ChunkPool {
    const fn new(bound: usize) -> Self {
        Self {
            chunks: Mutex::new(Vec::new()),
            bound,
        }
    }

    fn take(&self) -> BytesMut {
        let pooled = self
            .chunks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        pooled.unwrap_or_else(|| BytesMut::with_capacity(CHUNK))
    }

    /// Each chunk that nobody else holds and that is whole goes to the
    /// pool while it has room; the others are freed.
    fn give_back(&self, chunks: impl IntoIterator<Item = Bytes>) {
        let mut pool = self.chunks.lock().unwrap_or_else(PoisonError::into_inner);
        for chunk in chunks {
            if pool.len() >= self.bound {
                return;
            }
            if let Ok(mut chunk) = chunk.try_into_mut() {
                chunk.clear();
                if chunk.capacity() == CHUNK {
                    pool.push(chunk);
                }
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.chunks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(bytes: &[u8]) -> Bytes {
        let mut chunk = BytesMut::with_capacity(CHUNK);
        chunk.extend_from_slice(bytes);
        chunk.freeze()
    }

    #[test]
    fn a_stored_chunk_is_reused_empty() {
        let pool = ChunkPool::new(4);
        let stored = filled(b"stored");
        let address = stored.as_ptr();
        pool.give_back([stored]);
        let again = pool.take();
        assert_eq!(again.as_ptr(), address, "the same memory, reused");
        assert!(again.is_empty(), "given back empty");
        assert_eq!(again.capacity(), CHUNK);
        assert_eq!(pool.take().capacity(), CHUNK, "a new one when empty");
    }

    #[test]
    fn chunks_held_elsewhere_or_not_whole_stay_out() {
        let pool = ChunkPool::new(4);
        // Still held by someone else (a retry's copy of the part).
        let shared = filled(b"shared");
        let copy = shared.clone();
        pool.give_back([shared]);
        assert_eq!(pool.len(), 0, "a shared chunk stays out");
        drop(copy);
        // The back of a split chunk (a part that ended inside it).
        let mut chunk = BytesMut::with_capacity(CHUNK);
        chunk.extend_from_slice(&[1; 10]);
        drop(chunk.split());
        chunk.extend_from_slice(&[2; 10]);
        pool.give_back([chunk.freeze()]);
        assert_eq!(pool.len(), 0, "a part of a chunk stays out");
    }

    #[test]
    fn the_pool_keeps_at_most_its_bound() {
        let pool = ChunkPool::new(3);
        pool.give_back((0..5).map(|_| filled(b"x")));
        assert_eq!(pool.len(), 3);
        assert_eq!(POOL.bound * CHUNK, 12 * 1024 * 1024);
    }
}
