//! The threads that wharf-fs's file calls run on: creating, syncing,
//! renaming and deleting files, and reading metadata off the fast path.
//! Each of these may wait for the disk, so none runs on a runtime thread.
//!
//! Tokio's blocking pool could run them, but it wakes a sleeping thread for
//! every call while it has one, and the one that has slept longest. Under
//! many small operations those wakes, and the switches to cold threads and
//! back, cost more than the calls themselves
//! (docs/performance/profile-small-files.md). This pool differs in two ways.
//!
//! It wakes a thread only when none at hand will be free soon. A new call
//! waits in the queue, with no wake, while all three of these hold:
//!
//! - at least [`BUSY_HANDS`] threads are running calls or have been woken
//!   to;
//! - at most [`QUEUE_PER_HAND`] calls wait for each of them;
//! - some thread started or finished a call less than [`STALE`] ago.
//!
//! Otherwise it wakes a sleeping thread, or starts one (at most
//! [`MAX_THREADS`]). Calls that wait on a slow disk therefore make the pool
//! grow: once the running calls have made no progress for [`STALE`], the
//! next call wakes another thread, which takes the oldest waiting call
//! first. When no next call comes, the watcher (`call_pool/watcher.rs`)
//! does the same within [`watcher::TICK`]: a call never waits longer than
//! about `STALE + TICK` behind calls that have stopped moving.
//!
//! And it wakes the thread that went to sleep last, so that the threads in
//! use stay few and warm; the ones that stay asleep for the keep-alive time
//! end.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// How many threads must be running calls before a new call is left in the
/// queue rather than waking another. Two, so that one slow call never has
/// the queue to itself.
const BUSY_HANDS: usize = 2;

/// How many calls may wait per running thread before a new call wakes
/// another.
const QUEUE_PER_HAND: usize = 8;

/// How long without a call started or finished means the running threads
/// are waiting on the disk, so that a new call wakes another thread.
const STALE: Duration = Duration::from_millis(1);

/// The most threads the pool runs at once, as many as Tokio's blocking
/// pool allows by default.
const MAX_THREADS: usize = 512;

/// How long a thread with nothing to do waits for a call before it ends.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send + 'static>;

/// A call that ended without an answer: it panicked.
#[derive(Debug, thiserror::Error)]
#[error("a file call ended without an answer")]
pub(crate) struct CallLost;

/// A pool of threads for blocking file calls; see the module docs.
pub(crate) struct CallPool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    keep_alive: Duration,
    /// [`STALE`], but for tests.
    stale: Duration,
    /// Whether starting a thread fails, as it may when the system has no
    /// room for one.
    #[cfg(test)]
    refuse_threads: AtomicBool,
}

struct State {
    queue: VecDeque<Job>,
    /// Threads alive, running or sleeping.
    threads: usize,
    /// Threads waiting for a wake, the one that went to sleep last on top:
    /// it is woken first, so the threads in use stay few and their caches
    /// warm, and the ones at the bottom end after the keep-alive.
    sleeping: Vec<Arc<Sleeper>>,
    /// Threads woken and not yet running a call.
    woken: usize,
    /// Threads running a call.
    running: usize,
    /// When a call last started or finished.
    progress: Instant,
    /// The thread that watches for calls left waiting behind stalled ones.
    watcher: watcher::Watcher,
}

/// A sleeping thread, and whether it has been woken (set under the state's
/// lock, so that a thread at the end of its keep-alive cannot miss it).
struct Sleeper {
    thread: Thread,
    woken: AtomicBool,
}

impl Shared {
    fn refuses_threads(&self) -> bool {
        #[cfg(test)]
        return self.refuse_threads.load(Ordering::Relaxed);
        #[cfg(not(test))]
        false
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Calls run outside the lock, so no call's panic can poison it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the threads at work will take the queue soon enough that
    /// the newest call need not wake another (the module docs' rule).
    fn hands_will_do(&self, state: &State) -> bool {
        // Threads running calls, and those woken and about to.
        let hands = state.running + state.woken;
        hands >= BUSY_HANDS && state.queue.len() <= hands * QUEUE_PER_HAND && !self.stalled(state)
    }

    /// Whether no call has started or finished for [`STALE`].
    fn stalled(&self, state: &State) -> bool {
        state.progress.elapsed() >= self.stale
    }

    /// Starts a thread, unless this test forbids it.
    fn spawn(
        &self,
        name: &str,
        body: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<thread::JoinHandle<()>> {
        if self.refuses_threads() {
            return Err(std::io::Error::other("no thread may start in this test"));
        }
        thread::Builder::new().name(name.into()).spawn(body)
    }

    /// Puts one more thread on the queue: the one that went to sleep last,
    /// or a new one.
    fn add_hand(self: &Arc<Self>, mut state: MutexGuard<'_, State>) {
        if let Some(sleeper) = state.sleeping.pop() {
            state.woken += 1;
            sleeper.woken.store(true, Ordering::Release);
            drop(state);
            sleeper.thread.unpark();
            return;
        }
        if state.threads >= MAX_THREADS {
            // Every thread is running; the first one free takes it.
            return;
        }
        state.threads += 1;
        drop(state);
        let shared = self.clone();
        let Err(error) = self.spawn("wharf-fs", move || work(&shared)) else {
            return;
        };
        let mut state = self.lock();
        state.threads -= 1;
        tracing::warn!(%error, threads = state.threads, "cannot start a file-call thread");
        if state.threads > 0 {
            return;
        }
        // No thread will look at the queue: Tokio's pool runs it.
        let orphans: Vec<Job> = state.queue.drain(..).collect();
        drop(state);
        let run_all = move || {
            for job in orphans {
                let _ = catch_unwind(AssertUnwindSafe(job));
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(run_all)),
            // Not in a runtime: this thread is no runtime's.
            Err(_) => run_all(),
        }
    }
}

impl CallPool {
    /// The process's one pool, started on first use.
    pub(crate) fn global() -> &'static CallPool {
        static POOL: OnceLock<CallPool> = OnceLock::new();
        POOL.get_or_init(|| CallPool::new(KEEP_ALIVE, STALE))
    }

    fn new(keep_alive: Duration, stale: Duration) -> Self {
        let state = State {
            queue: VecDeque::new(),
            threads: 0,
            sleeping: Vec::new(),
            woken: 0,
            running: 0,
            progress: Instant::now(),
            watcher: watcher::Watcher::default(),
        };
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                keep_alive,
                stale,
                #[cfg(test)]
                refuse_threads: AtomicBool::new(false),
            }),
        }
    }

    /// Runs `call` on one of the pool's threads and returns its result.
    /// If the future is dropped, the call still runs to its end.
    pub(crate) async fn run<T, F>(&self, call: F) -> Result<T, CallLost>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.submit(Box::new(move || {
            // The caller may have gone; the call has still been made.
            let _ = tx.send(call());
        }));
        rx.await.map_err(|_| CallLost)
    }

    fn submit(&self, job: Job) {
        let mut state = self.shared.lock();
        state.queue.push_back(job);
        if self.shared.hands_will_do(&state) {
            watcher::keep_watch(&self.shared, &mut state);
            return;
        }
        self.shared.add_hand(state);
    }

    #[cfg(test)]
    fn counts(&self) -> tests::Counts {
        let state = self.shared.lock();
        tests::Counts {
            threads: state.threads,
            running: state.running,
            sleeping: state.sleeping.len(),
            queued: state.queue.len(),
            watching: state.watcher.is_alive(),
            resting: state.watcher.is_resting(),
        }
    }
}

/// One thread's life: take calls from the queue until none has come for
/// the keep-alive time.
fn work(shared: &Shared) {
    let me = Arc::new(Sleeper {
        thread: thread::current(),
        woken: AtomicBool::new(false),
    });
    let mut state = shared.lock();
    loop {
        if let Some(job) = state.queue.pop_front() {
            state.running += 1;
            state.progress = Instant::now();
            drop(state);
            // A panicking call loses its answer (the caller sees
            // `CallLost`), not the thread or the counts.
            let _ = catch_unwind(AssertUnwindSafe(job));
            state = shared.lock();
            state.running -= 1;
            state.progress = Instant::now();
            continue;
        }
        // Under the lock, so no wake can come between these two.
        me.woken.store(false, Ordering::Relaxed);
        state.sleeping.push(me.clone());
        drop(state);
        let deadline = Instant::now() + shared.keep_alive;
        loop {
            let now = Instant::now();
            if !me.woken.load(Ordering::Acquire) && now < deadline {
                thread::park_timeout(deadline - now);
                continue;
            }
            state = shared.lock();
            if me.woken.load(Ordering::Acquire) {
                state.woken -= 1;
                break;
            }
            // The keep-alive is over and no wake came.
            state.sleeping.retain(|sleeper| !Arc::ptr_eq(sleeper, &me));
            state.threads -= 1;
            return;
        }
    }
}

#[cfg(test)]
mod tests;
mod watcher;
