//! Streaming directory listings: entries are read from the disk in batches
//! on the blocking pool, one batch at a time as the consumer asks, so no
//! thread is held while a slow client drains a huge directory.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use cap_std::fs::{Dir, ReadDir};
use futures_core::Stream;
use tokio::task::JoinHandle;
use wharf_vfs::{DirEntry, VPath, VfsError};

use crate::convert::metadata;
use crate::paths::{is_temp_name, name_bytes};

/// Entries read per trip to the blocking pool.
const BATCH: usize = 256;

/// An open directory being read.
struct Cursor {
    dir: Dir,
    entries: ReadDir,
}

/// What a trip to the blocking pool brings back.
type Fetched = (Cursor, Vec<Result<DirEntry, VfsError>>, bool);

enum State {
    Idle(Box<Cursor>),
    Fetching(JoinHandle<Fetched>),
    Done,
}

/// The listing stream of [`LocalFs`](crate::LocalFs).
pub(crate) struct ListStream {
    path: VPath,
    state: State,
    buffer: VecDeque<Result<DirEntry, VfsError>>,
}

impl ListStream {
    pub(crate) fn new(path: VPath, dir: Dir, entries: ReadDir) -> Self {
        Self {
            path,
            state: State::Idle(Box::new(Cursor { dir, entries })),
            buffer: VecDeque::new(),
        }
    }
}

/// Reads up to [`BATCH`] entries; the flag tells whether the end was
/// reached. Temporary upload files are skipped, and so are entries that
/// vanish between reading the directory and looking at them.
fn fetch(mut cursor: Cursor, path: VPath) -> Fetched {
    let mut batch = Vec::with_capacity(BATCH);
    while batch.len() < BATCH {
        let entry = match cursor.entries.next() {
            None => return (cursor, batch, true),
            Some(Err(err)) => {
                batch.push(Err(VfsError::from_io(err, &path)));
                return (cursor, batch, true);
            }
            Some(Ok(entry)) => entry,
        };
        let name = entry.file_name();
        let bytes = name_bytes(&name);
        if is_temp_name(&bytes) {
            continue;
        }
        let Ok(own) = entry.metadata() else { continue };
        // Follow symlinks that stay inside the jail; report the others as
        // symlinks without looking at what they point to.
        let meta = if own.is_symlink() {
            cursor.dir.metadata(&name).unwrap_or(own)
        } else {
            own
        };
        batch.push(Ok(DirEntry::new(bytes, metadata(&meta))));
    }
    (cursor, batch, false)
}

impl Stream for ListStream {
    type Item = Result<DirEntry, VfsError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(item));
            }
            match std::mem::replace(&mut this.state, State::Done) {
                State::Done => return Poll::Ready(None),
                State::Idle(cursor) => {
                    let path = this.path.clone();
                    this.state =
                        State::Fetching(tokio::task::spawn_blocking(move || fetch(*cursor, path)));
                }
                State::Fetching(mut handle) => match Pin::new(&mut handle).poll(cx) {
                    Poll::Pending => {
                        this.state = State::Fetching(handle);
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok((cursor, batch, done))) => {
                        this.buffer.extend(batch);
                        if !done {
                            this.state = State::Idle(Box::new(cursor));
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
