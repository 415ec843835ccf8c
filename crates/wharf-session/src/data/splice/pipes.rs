//! Pipes for splicing, kept between uploads.
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

use rustix::pipe::{PipeFlags, fcntl_setpipe_size, pipe_with};

/// Pipes kept for reuse at most: enough for the uploads of a busy server
/// that run at one moment on a few cores, and an empty pipe holds no
/// pages, only its descriptors.
const KEPT: usize = 64;

/// The stock of empty pipes.
static STOCK: Mutex<Vec<Pipe>> = Mutex::new(Vec::new());

/// A pipe: bytes go in at `write_end` and come out at `read_end`.
#[derive(Debug)]
pub(crate) struct Pipe {
    pub(crate) read_end: OwnedFd,
    pub(crate) write_end: OwnedFd,
}

impl Pipe {
    /// An empty pipe from the stock, or a new one of `capacity` bytes (or
    /// the system's pipe-max-size, if that is smaller).
    pub(crate) fn take(capacity: usize) -> io::Result<Self> {
        if let Some(pipe) = STOCK.lock().ok().and_then(|mut stock| stock.pop()) {
            return Ok(pipe);
        }
        let (read_end, write_end) = pipe_with(PipeFlags::CLOEXEC)?;
        // A failure leaves the default size (64 KiB): slower, still right.
        let _ = fcntl_setpipe_size(&write_end, capacity);
        Ok(Self {
            read_end,
            write_end,
        })
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
