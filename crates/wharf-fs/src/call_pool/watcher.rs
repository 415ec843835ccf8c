//! The watcher: one thread that bounds how long a call waits in the queue
//! behind running calls that have stopped moving.
//!
//! A call is left in the queue unwoken on the promise that a running call
//! will finish soon. The next call checks that promise ([`super::STALE`]
//! without progress wakes another thread), but when no next call comes,
//! nothing else would: a call behind two calls stuck on a dead disk would
//! wait as long as they do. The watcher looks again every [`TICK`] while
//! the pool has calls running or waiting, and puts another thread on the
//! queue when the running ones have made no progress for `STALE`.
//!
//! Under load it wakes once a [`TICK`]. Once the pool has been idle for
//! [`BEFORE_REST`] it rests: it sleeps until a call is left waiting again,
//! and ends after the pool's keep-alive.

use std::sync::{Arc, MutexGuard, Weak};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use super::{Shared, State};

/// How often the watcher looks at a pool that has calls running or
/// waiting.
pub(super) const TICK: Duration = Duration::from_millis(5);

/// How long the pool must have been idle before the watcher rests. Under
/// load the pool is idle for moments between calls; resting in each would
/// make every call left waiting after one pay for the watcher's wake.
const BEFORE_REST: Duration = Duration::from_millis(100);

/// The watcher as the pool's state records it.
#[derive(Default)]
pub(super) struct Watcher {
    /// The watching thread, while one is alive.
    thread: Option<Thread>,
    /// Whether it sleeps until woken, having found nothing to watch.
    resting: bool,
}

impl Watcher {
    #[cfg(test)]
    pub(super) fn is_alive(&self) -> bool {
        self.thread.is_some()
    }

    #[cfg(test)]
    pub(super) fn is_resting(&self) -> bool {
        self.resting
    }
}

/// Makes sure a watcher will look at the queue within a [`TICK`]: starts one,
/// or wakes a resting one. Called under the lock whenever a call is left
/// waiting without a wake.
pub(super) fn keep_watch(shared: &Arc<Shared>, state: &mut State) {
    if let Some(thread) = &state.watcher.thread {
        if state.watcher.resting {
            state.watcher.resting = false;
            thread.unpark();
        }
        return;
    }
    let pool = Arc::downgrade(shared);
    match shared.spawn("wharf-fs-watch", move || watch(&pool)) {
        Ok(handle) => {
            state.watcher = Watcher {
                thread: Some(handle.thread().clone()),
                resting: false,
            };
        }
        // The pool works on without it, as bounded as the next call makes it.
        Err(error) => tracing::warn!(%error, "cannot start the file-call watcher"),
    }
}

/// The watcher's life. It holds the pool only while it looks, so a pool
/// that is dropped ends it at its next look.
fn watch(pool: &Weak<Shared>) {
    let mut rest_began = Instant::now();
    loop {
        let Some(shared) = pool.upgrade() else {
            return;
        };
        let nap = look(&shared, shared.lock(), &mut rest_began);
        drop(shared);
        match nap {
            Some(nap) => thread::park_timeout(nap),
            None => return,
        }
    }
}

/// One look at the pool: how long to sleep before the next, or `None` when
/// the watcher has rested for the keep-alive and ends.
fn look(
    shared: &Arc<Shared>,
    mut state: MutexGuard<'_, State>,
    rest_began: &mut Instant,
) -> Option<Duration> {
    if !state.queue.is_empty() && shared.stalled(&state) {
        // The running calls have stopped moving: the oldest waiting call
        // gets a thread of its own.
        shared.add_hand(state);
        return Some(TICK);
    }
    if state.running > 0 || !state.queue.is_empty() || state.progress.elapsed() < BEFORE_REST {
        return Some(TICK);
    }
    if !state.watcher.resting {
        state.watcher.resting = true;
        *rest_began = Instant::now();
    }
    let rested = rest_began.elapsed();
    if rested >= shared.keep_alive {
        // No call was left waiting for the whole keep-alive.
        state.watcher = Watcher::default();
        return None;
    }
    Some(shared.keep_alive - rested)
}
