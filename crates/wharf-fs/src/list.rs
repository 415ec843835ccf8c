//! Streaming directory listings: entries are read from the disk in batches
//! on the blocking pool (`dir_read.rs`), so no thread is held while a slow
//! client drains a huge directory.
//!
//! The first batch is read in the same trip that opens the directory, so a
//! folder of up to [`BATCH`](crate::dir_read::BATCH) entries costs one trip
//! in all. Once a batch is handed over, the next one is read while the
//! consumer formats and sends this one: at most one batch ahead, so memory
//! stays bounded however slowly the client reads.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::task::JoinHandle;
use wharf_vfs::{DirEntry, VPath, VfsError};

use crate::dir_read::{BATCH, DirReader};

/// Entries read, and whether the directory ended with them.
pub(crate) type Batch = (Vec<Result<DirEntry, VfsError>>, bool);

/// Reads the next batch of `reader`.
pub(crate) fn read_batch(reader: &mut DirReader, path: &VPath) -> Batch {
    // A little over BATCH: a batch ends between two getdents64 calls.
    let mut entries = Vec::with_capacity(BATCH + BATCH / 2);
    let done = reader.read_batch(path, &mut entries);
    (entries, done)
}

enum State {
    Idle(Box<DirReader>),
    Fetching(JoinHandle<(Box<DirReader>, Batch)>),
    Done,
}

/// The listing stream of [`LocalFs`](crate::LocalFs).
pub(crate) struct ListStream {
    path: VPath,
    state: State,
    buffer: std::vec::IntoIter<Result<DirEntry, VfsError>>,
}

impl ListStream {
    /// A stream that gives `first` and then reads on from `reader`, unless
    /// `first` was the end.
    pub(crate) fn new(path: VPath, reader: DirReader, (first, done): Batch) -> Self {
        Self {
            path,
            state: if done {
                State::Done
            } else {
                State::Idle(Box::new(reader))
            },
            buffer: first.into_iter(),
        }
    }

    /// Starts reading the next batch on the blocking pool.
    fn fetch(&self, mut reader: Box<DirReader>) -> State {
        let path = self.path.clone();
        State::Fetching(tokio::task::spawn_blocking(move || {
            let batch = read_batch(&mut reader, &path);
            (reader, batch)
        }))
    }
}

impl Stream for ListStream {
    type Item = Result<DirEntry, VfsError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        // Read ahead while the entries in hand are being used.
        if let State::Idle(_) = this.state
            && let State::Idle(reader) = std::mem::replace(&mut this.state, State::Done)
        {
            this.state = this.fetch(reader);
        }
        loop {
            if let Some(item) = this.buffer.next() {
                return Poll::Ready(Some(item));
            }
            match std::mem::replace(&mut this.state, State::Done) {
                State::Done => return Poll::Ready(None),
                State::Idle(reader) => this.state = this.fetch(reader),
                State::Fetching(mut handle) => match Pin::new(&mut handle).poll(cx) {
                    Poll::Pending => {
                        this.state = State::Fetching(handle);
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok((reader, (batch, done)))) => {
                        this.buffer = batch.into_iter();
                        if !done {
                            this.state = this.fetch(reader);
                        }
                    }
                    Poll::Ready(Err(err)) => {
                        return Poll::Ready(Some(Err(VfsError::other(err).with_path(&this.path))));
                    }
                },
            }
        }
    }
}
