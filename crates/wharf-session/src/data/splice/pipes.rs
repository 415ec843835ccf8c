//! Pipes for splicing, within the kernel's per-user pipe limit.
//!
//! Linux charges every pipe's slots (one page each) to the user that made
//! it, and once a user holds more than `fs.pipe-user-pages-soft` pages
//! (16,384 = 64 MiB by default) an unprivileged user's new pipes get two
//! pages and `F_SETPIPE_SZ` fails. A server that gave up root (`run_as`)
//! is such a user. So every pipe alive here, in use or kept, is counted
//! against a budget of half that limit (the rest is left to the user's
//! other processes), an upload that finds the budget spent is copied
//! instead of spliced, and so is one whose pipe the kernel would not make
//! as large as asked: a pipe of two pages would cost a pair of system
//! calls per 8 KiB.
//!
//! A pipe costs four system calls to make, size and close (`pipe2`,
//! `fcntl`, two `close`s): as many as the splice path saves on a 4 KiB
//! upload. So an upload takes an empty pipe from a small shared stock and
//! gives it back only when it is empty again; a pipe that may still hold
//! bytes (an upload that failed half way) is closed instead, so no upload
//! ever reads another's bytes.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rustix::pipe::{PipeFlags, fcntl_setpipe_size, pipe_with};

/// Pipes kept for reuse at most: enough for the uploads that start at one
/// moment on a few cores. Kept pipes count against the budget too.
const KEPT: usize = 8;

/// The page the kernel charges a pipe slot as. Where pages are larger the
/// budget below is only more cautious.
const PAGE: usize = 4096;

/// The limit's default, if `/proc` cannot tell.
const DEFAULT_SOFT_PAGES: usize = 16_384;

/// The stock of empty pipes.
static STOCK: Mutex<Vec<Pipe>> = Mutex::new(Vec::new());

/// Whether the kernel's refusal was logged already.
static WARNED: AtomicBool = AtomicBool::new(false);

/// The pipe capacity this process may hold, and how much of it is held.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: OnceLock<usize>,
    reserved: AtomicUsize,
}

/// The process's budget: half the per-user soft limit.
static BUDGET: Budget = Budget {
    limit: OnceLock::new(),
    reserved: AtomicUsize::new(0),
};

impl Budget {
    /// Bytes of pipe capacity allowed: half the per-user soft limit; no
    /// bound where the limit is off (0).
    fn limit(&self) -> usize {
        *self.limit.get_or_init(|| {
            let soft = std::fs::read_to_string("/proc/sys/fs/pipe-user-pages-soft")
                .ok()
                .and_then(|text| text.trim().parse::<usize>().ok())
                .unwrap_or(DEFAULT_SOFT_PAGES);
            limit_of(soft)
        })
    }

    /// Bytes of capacity of every pipe alive (in use or kept).
    #[cfg(test)]
    fn reserved(&self) -> usize {
        self.reserved.load(Ordering::SeqCst)
    }

    /// A new pipe of `capacity` bytes if the budget has room for it and the
    /// kernel makes it that large.
    fn make(&'static self, capacity: usize) -> Option<Pipe> {
        let before = self.reserved.fetch_add(capacity, Ordering::SeqCst);
        if before.saturating_add(capacity) > self.limit() {
            self.reserved.fetch_sub(capacity, Ordering::SeqCst);
            return None;
        }
        let (read_end, write_end) = match pipe_with(PipeFlags::CLOEXEC) {
            Ok(ends) => ends,
            Err(err) => {
                self.reserved.fetch_sub(capacity, Ordering::SeqCst);
                tracing::debug!(%err, "no pipe for a spliced upload; copying it");
                return None;
            }
        };
        // From here on dropping `pipe` gives the reservation back.
        let pipe = Pipe {
            read_end,
            write_end,
            capacity,
            budget: self,
        };
        match fcntl_setpipe_size(&pipe.write_end, capacity) {
            Ok(size) if size >= capacity => Some(pipe),
            refused => {
                let err = refused.err().map(io::Error::from);
                if !WARNED.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        ?err,
                        capacity,
                        "the kernel refused a pipe for splice uploads (per-user pipe limit \
                         fs.pipe-user-pages-soft or fs.pipe-max-size); such uploads are copied"
                    );
                }
                None
            }
        }
    }
}

/// A pipe: bytes go in at `write_end` and come out at `read_end`. Its
/// capacity is counted against its budget until it is closed.
#[derive(Debug)]
pub(crate) struct Pipe {
    pub(crate) read_end: OwnedFd,
    pub(crate) write_end: OwnedFd,
    capacity: usize,
    budget: &'static Budget,
}

impl Pipe {
    /// An empty pipe of `capacity` bytes: from the stock, or new if the
    /// budget has room for it and the kernel makes it that large; `None`
    /// otherwise (the caller copies instead).
    pub(crate) fn take(capacity: usize) -> Option<Self> {
        if let Some(pipe) = STOCK.lock().ok().and_then(|mut stock| stock.pop()) {
            return Some(pipe);
        }
        BUDGET.make(capacity)
    }

    /// Returns a pipe the caller emptied to the stock (or closes it when
    /// the stock is full).
    pub(crate) fn give_back(self) {
        if let Ok(mut stock) = STOCK.lock()
            && stock.len() < KEPT
        {
            stock.push(self);
        }
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        self.budget
            .reserved
            .fetch_sub(self.capacity, Ordering::SeqCst);
    }
}

/// The budget for a soft limit of `soft_pages`: half of it.
fn limit_of(soft_pages: usize) -> usize {
    if soft_pages == 0 {
        return usize::MAX;
    }
    soft_pages.saturating_mul(PAGE) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_half_the_soft_limit_and_none_without_one() {
        assert_eq!(limit_of(16_384), 32 * 1024 * 1024);
        assert_eq!(limit_of(0), usize::MAX);
    }

    /// Pipes beyond the budget are refused, and a closed pipe frees its
    /// share.
    #[test]
    fn pipes_beyond_the_budget_are_refused_until_one_closes() {
        static SMALL: Budget = Budget {
            limit: OnceLock::new(),
            reserved: AtomicUsize::new(0),
        };
        let size = 64 * 1024;
        SMALL.limit.set(2 * size).unwrap();
        let first = SMALL.make(size).expect("within the budget");
        let second = SMALL.make(size).expect("within the budget");
        assert!(SMALL.make(size).is_none(), "over the budget");
        assert_eq!(SMALL.reserved(), 2 * size);
        drop(first);
        let third = SMALL.make(size).expect("room again");
        drop((second, third));
        assert_eq!(SMALL.reserved(), 0);
    }

    /// A pipe the kernel will not make as large as asked is not used, and
    /// frees its share: a size past `F_SETPIPE_SZ`'s ceiling (2 GiB) is
    /// refused whoever runs the test, even root.
    #[test]
    fn a_pipe_the_kernel_will_not_make_that_large_is_refused() {
        static ANY: Budget = Budget {
            limit: OnceLock::new(),
            reserved: AtomicUsize::new(0),
        };
        ANY.limit.set(usize::MAX).unwrap();
        assert!(ANY.make(usize::MAX / 2).is_none());
        assert_eq!(ANY.reserved(), 0);
    }
}
