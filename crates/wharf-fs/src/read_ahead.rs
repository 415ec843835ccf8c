//! [`ReadAhead`]: a download's reader, which reads the file in large chunks
//! on the blocking pool, one chunk ahead of the socket.

use std::fs::File;
use std::future::Future;
use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};
use tokio::task::JoinHandle;

/// Bytes read from the file per blocking call.
const CHUNK: usize = 1024 * 1024;

/// A chunk read on the blocking pool: the file back, the buffer with the
/// bytes in it, and whether the end of the file was reached.
type Fetched = (File, Vec<u8>, io::Result<bool>);

enum State {
    /// No read in flight (before the first one, or once at the end).
    Idle(Option<File>),
    /// The next chunk is being read.
    Reading(JoinHandle<Fetched>),
}

/// Reads `file` to its end, [`CHUNK`] bytes per blocking call, starting
/// the read of the next chunk as soon as the current one is handed out, so
/// the disk (or page cache) and the socket work at the same time. As an
/// `AsyncBufRead` it lends out each chunk, so the socket is written from
/// the buffer the file was read into.
///
/// The session sends local files with `sendfile(2)` by default (half the
/// CPU per byte); this copy serves the other back-ends' callers and the
/// session's `Copy`/`Auto` ways, and unlike `sendfile` it never blocks a
/// runtime thread on a cold disk (docs/performance/history.md has the
/// measurements of both). A small file is read whole, end of file
/// included, in one call.
pub(crate) struct ReadAhead {
    state: State,
    /// The chunk being handed out, from `pos` on.
    current: Vec<u8>,
    pos: usize,
    /// A buffer for the next read.
    spare: Vec<u8>,
    /// How big the next buffer needs to be (the bytes left, plus one to
    /// see the end, at most a chunk).
    want: usize,
    eof: bool,
}

impl ReadAhead {
    /// Reads `file` from its current position; `left` is how many bytes
    /// are expected (the file may still grow or shrink).
    pub(crate) fn new(file: File, left: u64) -> Self {
        Self {
            state: State::Idle(Some(file)),
            current: Vec::new(),
            pos: 0,
            spare: Vec::new(),
            want: usize::try_from(left.saturating_add(1)).map_or(CHUNK, |n| n.min(CHUNK)),
            eof: false,
        }
    }

    /// Starts reading the next chunk, if there is a file to read.
    fn start(&mut self) {
        let State::Idle(file) = &mut self.state else {
            return;
        };
        let Some(mut file) = file.take() else {
            return;
        };
        let mut buf = std::mem::take(&mut self.spare);
        let want = self.want;
        self.state = State::Reading(tokio::task::spawn_blocking(move || {
            let result = fill(&mut file, &mut buf, want);
            (file, buf, result)
        }));
    }
}

/// Reads up to `want` bytes into the empty `buf`, stopping early only at
/// the end of the file; returns whether the file ended. `read_to_end`
/// reads into the buffer's spare capacity without zeroing it first.
fn fill(file: &mut File, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    buf.reserve(want);
    let limit = u64::try_from(want).unwrap_or(u64::MAX);
    let n = file.take(limit).read_to_end(buf)?;
    Ok(n < want)
}

impl AsyncBufRead for ReadAhead {
    /// The rest of the current chunk, waiting for the next one (and
    /// starting the one after) when it is used up; empty at the end.
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        while this.pos == this.current.len() && !this.eof {
            this.start();
            let State::Reading(task) = &mut this.state else {
                return Poll::Ready(Err(io::Error::other("read after a failed read")));
            };
            let fetched = ready!(Pin::new(task).poll(cx));
            // After a failure the reader stays failed.
            this.state = State::Idle(None);
            let (file, buf, result) = fetched.map_err(io::Error::other)?;
            this.eof = result?;
            this.state = State::Idle(Some(file));
            this.spare = std::mem::replace(&mut this.current, buf);
            this.spare.clear();
            this.pos = 0;
            this.want = CHUNK;
            if !this.eof {
                // Read ahead while this chunk goes out.
                this.start();
            }
        }
        Poll::Ready(Ok(&this.current[this.pos..]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.pos = (this.pos + amt).min(this.current.len());
    }
}

impl AsyncRead for ReadAhead {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let ready = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = out.remaining().min(ready.len());
        out.put_slice(&ready[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek, SeekFrom, Write};
    use tokio::io::AsyncReadExt;
    use wharf_vfs::testing::pattern;

    fn file_with(data: &[u8]) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(data)
            .unwrap();
        (dir, File::open(&path).unwrap())
    }

    #[tokio::test]
    async fn reads_every_byte_from_the_offset_in_small_and_large_reads() {
        let data = pattern(3 * CHUNK + 4321, 1);
        for offset in [0, 17, CHUNK as u64] {
            let (_dir, mut file) = file_with(&data);
            file.seek(SeekFrom::Start(offset)).unwrap();
            let mut reader = ReadAhead::new(file, data.len() as u64 - offset);
            let mut got = Vec::new();
            let mut piece = vec![0u8; 70_001];
            loop {
                let n = reader.read(&mut piece).await.unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&piece[..n]);
            }
            assert!(got == data[offset as usize..], "offset {offset}");
            assert_eq!(reader.read(&mut piece).await.unwrap(), 0, "stays at end");
        }
    }

    #[tokio::test]
    async fn chunks_are_lent_whole_and_consumed_in_parts() {
        use tokio::io::AsyncBufReadExt;
        let data = pattern(CHUNK + 100, 2);
        let (_dir, file) = file_with(&data);
        let mut reader = ReadAhead::new(file, data.len() as u64);
        assert_eq!(reader.fill_buf().await.unwrap().len(), CHUNK);
        reader.consume(10);
        let rest = reader.fill_buf().await.unwrap();
        assert_eq!(rest.len(), CHUNK - 10);
        assert!(rest[..5] == data[10..15]);
        reader.consume(CHUNK);
        assert!(reader.fill_buf().await.unwrap() == &data[CHUNK..]);
        reader.consume(100);
        assert!(reader.fill_buf().await.unwrap().is_empty(), "end of file");
    }

    #[tokio::test]
    async fn a_small_file_is_read_with_its_end_in_one_call() {
        let (_dir, file) = file_with(b"small");
        let mut reader = ReadAhead::new(file, 5);
        let mut got = Vec::new();
        reader.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"small");
        assert!(reader.eof);
        assert!(reader.current.capacity() < 64, "sized to the file");
    }

    #[tokio::test]
    async fn a_file_longer_than_expected_is_read_to_its_end() {
        let data = vec![9u8; CHUNK + 10];
        let (_dir, file) = file_with(&data);
        let mut reader = ReadAhead::new(file, 3);
        let mut got = Vec::new();
        reader.read_to_end(&mut got).await.unwrap();
        assert!(got == data);
    }
}
