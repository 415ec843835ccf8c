//! [`UploadMemory`]: one budget for the bytes that every upload of a
//! server holds in memory.
//!
//! An upload buffers its data in parts before sending them (see
//! [`crate::upload`]); `APPE` and `REST` + `STOR` first read up to 8 MiB of
//! the old object. Without a common bound, N uploads hold up to N × 24 MiB.
//! With it, an upload takes room from the budget before it buffers, and
//! waits (so the client's sends wait: back-pressure) when there is none; it
//! never buffers past it.
//!
//! # Why it cannot deadlock
//!
//! Room is taken as the buffer grows, a [`CHUNK`] or more at a time (so a
//! 1 KiB file holds 256 KiB, not a whole part, and a client that opens an
//! upload and stalls holds only what it sent), and given back when the part
//! holding it has been sent to the store. Parts in flight always end (the
//! store answers or the request times out), but a half-filled part ends
//! only when its client sends more, and its upload may be waiting for room:
//! if every byte of the budget were held by half-filled parts all waiting
//! for more, none would ever move. So a reserve of one first-size part
//! ([`FIRST_PART`]) is kept apart: an upload that finds no room takes either
//! the next chunk when one frees up, or, from the reserve, all it needs to
//! fill its current part, whichever comes first. Holding the rest of its
//! part, it needs nothing more to send it, and gives the reserve back once
//! the part is stored. Larger parts (beyond 1000 parts, 8 GB into an
//! upload) are taken whole before the first byte of them is buffered, so
//! their uploads hold nothing while they wait.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::parts::FIRST_PART;

/// The unit room is counted and taken in: 256 KiB.
pub const CHUNK: usize = 256 * 1024;
/// The default budget: 512 MiB (21 uploads that each hold their three
/// 8 MiB parts, or 64 that each fill one).
pub const DEFAULT_UPLOAD_MEMORY: u64 = 512 * 1024 * 1024;
/// The smallest budget: two first-size parts, one of them the reserve.
pub const MIN_UPLOAD_MEMORY: u64 = 2 * FIRST_PART as u64;

/// The process-wide budget.
static SHARED: OnceLock<UploadMemory> = OnceLock::new();

/// Chunks in a first-size part: the reserve.
const RESERVE_CHUNKS: usize = FIRST_PART / CHUNK;

/// A memory budget for upload buffers, shared by every clone (and so by
/// every [`BlobFs`](crate::BlobFs) whose [`BlobConfig`](crate::BlobConfig)
/// holds a clone). [`BlobConfig::new`](crate::BlobConfig::new) takes
/// [`UploadMemory::shared`], one process-wide budget of
/// [`DEFAULT_UPLOAD_MEMORY`]; a server that wants another size makes one
/// with [`UploadMemory::new`] and gives it to every configuration with
/// [`BlobConfig::with_upload_memory`](crate::BlobConfig::with_upload_memory).
///
/// ```
/// use wharf_blob::UploadMemory;
///
/// let memory = UploadMemory::new(64 * 1024 * 1024);
/// assert_eq!(memory.limit(), 64 * 1024 * 1024);
/// assert_eq!(memory.in_use(), 0);
/// ```
#[derive(Clone)]
pub struct UploadMemory {
    inner: Arc<Inner>,
}

struct Inner {
    /// Chunks any upload may take.
    main: Arc<Semaphore>,
    main_chunks: usize,
    /// One first-size part, for an upload that found no room (see the
    /// module docs).
    reserve: Arc<Semaphore>,
    /// The most bytes held at once so far.
    peak: AtomicU64,
}

/// Why room cannot be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MemoryError {
    /// One part of the upload is larger than the whole budget.
    #[error(
        "an upload this large sends parts of {part} bytes, more than the upload memory budget of {limit} bytes allows (raise it)"
    )]
    PartTooLarge {
        /// The part's size.
        part: usize,
        /// The budget.
        limit: u64,
    },
}

impl UploadMemory {
    /// A budget of `bytes`, rounded down to whole [`CHUNK`]s and raised to
    /// at least [`MIN_UPLOAD_MEMORY`].
    pub fn new(bytes: u64) -> Self {
        let chunks = usize::try_from(bytes.max(MIN_UPLOAD_MEMORY) / CHUNK as u64)
            .unwrap_or(usize::MAX)
            .min(Semaphore::MAX_PERMITS);
        let main_chunks = chunks - RESERVE_CHUNKS;
        Self {
            inner: Arc::new(Inner {
                main: Arc::new(Semaphore::new(main_chunks)),
                main_chunks,
                reserve: Arc::new(Semaphore::new(RESERVE_CHUNKS)),
                peak: AtomicU64::new(0),
            }),
        }
    }

    /// The process-wide budget that [`BlobConfig::new`](crate::BlobConfig::new)
    /// uses: [`DEFAULT_UPLOAD_MEMORY`], unless [`UploadMemory::init_shared`]
    /// set its size first.
    pub fn shared() -> Self {
        SHARED
            .get_or_init(|| Self::new(DEFAULT_UPLOAD_MEMORY))
            .clone()
    }

    /// Sets the size of the [`shared`](UploadMemory::shared) budget, as
    /// [`UploadMemory::new`] would. Only before its first use (a server
    /// calls it at start, before it makes any configuration); `false` when
    /// it is too late, and the budget keeps its size.
    pub fn init_shared(bytes: u64) -> bool {
        SHARED.set(Self::new(bytes)).is_ok()
    }

    /// The budget in bytes.
    pub fn limit(&self) -> u64 {
        ((self.inner.main_chunks + RESERVE_CHUNKS) * CHUNK) as u64
    }

    /// Bytes held by uploads now.
    pub fn in_use(&self) -> u64 {
        let inner = &self.inner;
        let free = inner.main.available_permits() + inner.reserve.available_permits();
        ((inner.main_chunks + RESERVE_CHUNKS - free) * CHUNK) as u64
    }

    /// The most bytes held by uploads at once since this budget was made.
    pub fn peak(&self) -> u64 {
        self.inner.peak.load(Ordering::Relaxed)
    }

    /// Whether two handles share one budget.
    pub fn same_budget(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    fn granted(&self, grant: Grant) -> Grant {
        self.inner.peak.fetch_max(self.in_use(), Ordering::Relaxed);
        grant
    }

    /// Room for `bytes` that are about to be read whole (the start an
    /// `APPE` keeps, at most a first-size part), taken at once: the caller
    /// holds nothing of this part while it waits.
    pub(crate) async fn whole(&self, bytes: usize) -> Grant {
        let chunks = chunks_for(bytes).min(self.inner.main_chunks);
        let main = self.inner.main.clone();
        match main.acquire_many_owned(permits(chunks)).await {
            Ok(permit) => self.granted(Grant::main(permit, chunks)),
            // The semaphores are never closed.
            Err(_) => Grant::default(),
        }
    }

    /// More room for the part being filled: `part` bytes in all, of which
    /// `held` chunks are held already. Waits until there is room (see the
    /// module docs); the grant is at least one chunk, never past the part.
    pub(crate) async fn more(&self, held: usize, part: usize) -> Result<Grant, MemoryError> {
        let inner = &self.inner;
        let part_chunks = chunks_for(part);
        let remaining = part_chunks.saturating_sub(held).max(1);
        if part_chunks > RESERVE_CHUNKS {
            // A large part is taken whole, before any of it is buffered.
            if part_chunks > inner.main_chunks {
                return Err(MemoryError::PartTooLarge {
                    part,
                    limit: self.limit(),
                });
            }
            return Ok(self.whole(remaining * CHUNK).await);
        }
        // Double what is held while there is room, so a large upload takes
        // few steps and a small one little room.
        let step = held.clamp(1, remaining);
        for try_chunks in [step, 1] {
            if let Ok(permit) = inner
                .main
                .clone()
                .try_acquire_many_owned(permits(try_chunks))
            {
                return Ok(self.granted(Grant::main(permit, try_chunks)));
            }
        }
        let grant = tokio::select! {
            permit = inner.main.clone().acquire_many_owned(1) => {
                permit.map(|p| Grant::main(p, 1))
            }
            permit = inner.reserve.clone().acquire_many_owned(permits(remaining)) => {
                permit.map(|p| Grant::reserve(p, remaining))
            }
        };
        // The semaphores are never closed.
        Ok(self.granted(grant.unwrap_or_default()))
    }
}

impl Default for UploadMemory {
    /// [`UploadMemory::shared`].
    fn default() -> Self {
        Self::shared()
    }
}

impl fmt::Debug for UploadMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadMemory")
            .field("limit", &self.limit())
            .field("in_use", &self.in_use())
            .finish()
    }
}

/// Whole chunks covering `bytes`.
fn chunks_for(bytes: usize) -> usize {
    bytes.div_ceil(CHUNK)
}

/// A chunk count as permits (budgets of up to 1 PiB fit a `u32` of chunks).
fn permits(chunks: usize) -> u32 {
    u32::try_from(chunks).unwrap_or(u32::MAX)
}

/// Room held by one part of an upload; given back when dropped.
#[derive(Debug, Default)]
pub(crate) struct Grant {
    main: Option<OwnedSemaphorePermit>,
    reserve: Option<OwnedSemaphorePermit>,
    chunks: usize,
}

impl Grant {
    fn main(permit: OwnedSemaphorePermit, chunks: usize) -> Self {
        Self {
            main: Some(permit),
            reserve: None,
            chunks,
        }
    }

    fn reserve(permit: OwnedSemaphorePermit, chunks: usize) -> Self {
        Self {
            main: None,
            reserve: Some(permit),
            chunks,
        }
    }

    /// Chunks held.
    pub(crate) fn chunks(&self) -> usize {
        self.chunks
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.chunks * CHUNK
    }

    /// Adds `other` to this grant.
    pub(crate) fn absorb(&mut self, other: Grant) {
        for (mine, theirs) in [
            (&mut self.main, other.main),
            (&mut self.reserve, other.reserve),
        ] {
            match (mine.as_mut(), theirs) {
                (Some(held), Some(more)) => held.merge(more),
                (None, Some(more)) => *mine = Some(more),
                (_, None) => {}
            }
        }
        self.chunks += other.chunks;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const MIB: usize = 1024 * 1024;

    #[test]
    fn sizes_are_whole_chunks_and_at_least_the_minimum() {
        assert_eq!(UploadMemory::new(0).limit(), MIN_UPLOAD_MEMORY);
        assert_eq!(
            UploadMemory::new(100 * MIB as u64 + 5).limit(),
            100 * MIB as u64
        );
        assert_eq!(UploadMemory::shared().limit(), DEFAULT_UPLOAD_MEMORY);
        assert!(UploadMemory::shared().same_budget(&UploadMemory::default()));
        assert!(!UploadMemory::new(1).same_budget(&UploadMemory::new(1)));
        let huge = UploadMemory::new(u64::MAX);
        assert!(huge.limit() > 1 << 40, "{}", huge.limit());
    }

    #[tokio::test]
    async fn grants_double_and_come_back_when_dropped() {
        let memory = UploadMemory::new(32 * MIB as u64);
        let mut held = Grant::default();
        let mut steps = Vec::new();
        while held.bytes() < FIRST_PART {
            let more = memory.more(held.chunks(), FIRST_PART).await.unwrap();
            steps.push(more.chunks());
            held.absorb(more);
        }
        assert_eq!(steps, [1, 1, 2, 4, 8, 16]);
        assert_eq!(held.bytes(), FIRST_PART);
        assert_eq!(memory.in_use(), FIRST_PART as u64);
        drop(held);
        assert_eq!(memory.in_use(), 0);
        assert_eq!(memory.peak(), FIRST_PART as u64);
    }

    /// Every byte of the budget outside the reserve held by half-filled
    /// parts: they still get the rest of their parts from the reserve, and
    /// nothing is ever held past the budget.
    #[tokio::test]
    async fn half_filled_parts_cannot_deadlock() {
        let memory = UploadMemory::new(MIN_UPLOAD_MEMORY);
        let half = FIRST_PART / 2;
        let mut a = memory.whole(half).await;
        let mut b = memory.whole(half).await;
        assert_eq!(
            memory.in_use(),
            FIRST_PART as u64,
            "the room outside the reserve"
        );
        for held in [&mut a, &mut b] {
            let more = tokio::time::timeout(
                Duration::from_secs(5),
                memory.more(held.chunks(), FIRST_PART),
            )
            .await
            .expect("the reserve answers")
            .unwrap();
            held.absorb(more);
            assert_eq!(held.bytes(), FIRST_PART, "the rest of the part at once");
        }
        assert_eq!(memory.in_use(), memory.limit());
        // A third upload waits now: the budget is used up.
        let waiting = memory.more(0, FIRST_PART);
        let waiting = tokio::time::timeout(Duration::from_millis(100), waiting);
        assert!(waiting.await.is_err(), "no room past the budget");
        // a's part is sent and stored: the third goes on.
        drop(a);
        let third = memory.more(0, FIRST_PART);
        tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .expect("room again")
            .unwrap();
        assert_eq!(memory.peak(), memory.limit());
        drop(b);
    }

    #[tokio::test]
    async fn a_part_larger_than_the_budget_is_refused() {
        let memory = UploadMemory::new(MIN_UPLOAD_MEMORY);
        let err = memory.more(0, 2 * FIRST_PART).await.unwrap_err();
        assert!(err.to_string().contains("raise it"), "{err}");
        // A large part that fits is taken whole.
        let memory = UploadMemory::new(64 * MIB as u64);
        let grant = memory.more(0, 2 * FIRST_PART).await.unwrap();
        assert_eq!(grant.bytes(), 2 * FIRST_PART);
    }
}
