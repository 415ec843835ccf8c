//! [`FileSink`]: the blocking side of an upload, which writes whole chunks
//! to the file and, for durable uploads, keeps the disk busy while the
//! client is still sending.

use std::fs::File;
use std::io::{self, Write};

use wharf_vfs::LocalFile;

/// Alignment of memory, offsets and lengths for direct I/O: the page size,
/// a multiple of every common logical block size.
pub(crate) const ALIGN: usize = 4096;

/// How much a buffered durable upload writes between two starts of
/// writeback.
const WRITEBACK_STEP: u64 = 16 * 1024 * 1024;

/// Whether writes bypass the page cache (`O_DIRECT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direct {
    /// Not tried yet: turned on at the first aligned chunk.
    Wanted,
    On,
    Off,
}

/// The file an upload writes, used only from the blocking pool.
///
/// A durable upload (`sync`) is `fdatasync`ed before it is acknowledged.
/// Going through the page cache, that would cost a copy into the cache and
/// then, inside the final sync, the whole file going to disk after the last
/// byte arrived (Linux starts writeback on its own only past
/// `dirty_background_ratio` of memory). So a durable sink that is allowed
/// direct I/O writes its full, aligned chunks with `O_DIRECT`, straight
/// from the upload's buffer to the disk while the next chunk arrives, and
/// only the unaligned tail through the cache; the final `fdatasync` then
/// writes a few kilobytes and the metadata. Where direct I/O is refused (a
/// file system without it), the sink writes through the cache and starts
/// writeback every [`WRITEBACK_STEP`] instead, which overlaps the same way.
pub(crate) struct FileSink {
    file: File,
    sync: bool,
    /// A durable sink on a file system with a device under it: one kept in
    /// memory (tmpfs, ramfs) has nothing to write back early and gains
    /// nothing from direct I/O, whose writes it takes through its page
    /// cache all the same.
    on_device: bool,
    direct: Direct,
    /// Offset the next byte goes to (as far as this sink knows: `Append`
    /// writes land at the end whatever it is).
    offset: u64,
    /// Offset up to which writeback has been started.
    kicked: u64,
    /// Bytes the caller wrote to the file itself ([`LocalFile`]).
    outside: u64,
}

impl FileSink {
    /// A sink writing `file` from `offset` on, through the page cache.
    pub(crate) fn new(file: File, offset: u64, sync: bool) -> Self {
        let on_device = sync && !in_memory(&file);
        Self {
            file,
            sync,
            on_device,
            direct: Direct::Off,
            offset,
            kicked: offset,
            outside: 0,
        }
    }

    /// Makes the sink ready for a caller that writes the file itself
    /// (`splice`), which the kernel does through the page cache: direct
    /// I/O is left (or never tried), and durability comes from the early
    /// writeback and the final sync, as for a file system without direct
    /// I/O.
    pub(crate) fn for_outside_writes(&mut self) -> &mut Self {
        match self.direct {
            Direct::Wanted => self.direct = Direct::Off,
            Direct::On => self.leave_direct(),
            Direct::Off => {}
        }
        self
    }

    /// Whether chunks written through the sink would go around the page
    /// cache: direct I/O allowed and not found refused yet.
    pub(crate) fn bypasses_page_cache(&self) -> bool {
        matches!(self.direct, Direct::Wanted | Direct::On)
    }

    /// Bytes the caller wrote to the file itself.
    pub(crate) fn written_outside(&self) -> u64 {
        self.outside
    }

    /// Lets the sink write aligned chunks with direct I/O, where the file
    /// system allows it. Only for durable sinks of new files: nobody else
    /// has the file open, so bypassing the cache cannot confuse a reader.
    pub(crate) fn with_direct(mut self) -> Self {
        if self.on_device && cfg!(target_os = "linux") {
            self.direct = Direct::Wanted;
        }
        self
    }

    /// Writes all of `chunk`: directly if it is aligned and the sink may,
    /// else through the page cache.
    pub(crate) fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        let rest = self.write_direct(chunk)?;
        self.write_buffered(rest)
    }

    /// Writes the last bytes of the upload, always through the page cache
    /// (which a small upload then reads back from).
    pub(crate) fn write_tail(&mut self, tail: &[u8]) -> io::Result<()> {
        if self.direct == Direct::On {
            self.leave_direct();
        }
        self.write_buffered(tail)
    }

    /// Syncs the data to disk if this sink is durable.
    pub(crate) fn sync(&self) -> io::Result<()> {
        if self.sync {
            self.file.sync_data()?;
        }
        Ok(())
    }

    /// Writes what it can of `chunk` directly; returns what is left.
    fn write_direct<'a>(&mut self, mut chunk: &'a [u8]) -> io::Result<&'a [u8]> {
        if self.direct == Direct::Wanted && self.aligned(chunk) {
            self.direct = if set_direct(&self.file, true) {
                Direct::On
            } else {
                Direct::Off
            };
        }
        while self.direct == Direct::On && !chunk.is_empty() {
            if !self.aligned(chunk) {
                self.leave_direct();
                break;
            }
            match (&self.file).write(chunk) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    chunk = &chunk[n..];
                    self.offset += n as u64;
                    self.kicked = self.offset;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                // Alignment this file system does not accept after all.
                Err(err) if refused(&err) => self.leave_direct(),
                Err(err) => return Err(err),
            }
        }
        Ok(chunk)
    }

    fn write_buffered(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.file.write_all(chunk)?;
        self.advance(chunk.len() as u64);
        Ok(())
    }

    /// Moves the offset past `bytes` written through the page cache, and
    /// starts writeback of a durable sink's last [`WRITEBACK_STEP`].
    fn advance(&mut self, bytes: u64) {
        if let Some((offset, len)) = self.writeback_due(bytes) {
            start_writeback(&self.file, offset, len);
        }
    }

    /// Moves the offset past `bytes`; the range whose writeback is due, if
    /// any (a durable sink's last [`WRITEBACK_STEP`]).
    fn writeback_due(&mut self, bytes: u64) -> Option<(u64, u64)> {
        self.offset += bytes;
        if !self.on_device || self.offset - self.kicked < WRITEBACK_STEP {
            return None;
        }
        let due = (self.kicked, self.offset - self.kicked);
        self.kicked = self.offset;
        Some(due)
    }

    fn aligned(&self, chunk: &[u8]) -> bool {
        let align = ALIGN as u64;
        chunk.as_ptr().addr().is_multiple_of(ALIGN)
            && chunk.len().is_multiple_of(ALIGN)
            && self.offset.is_multiple_of(align)
    }

    fn leave_direct(&mut self) {
        set_direct(&self.file, false);
        self.direct = Direct::Off;
    }
}

impl LocalFile for FileSink {
    fn file(&self) -> &File {
        &self.file
    }

    /// Called on a runtime thread (the caller's): starting writeback may
    /// block on the disk's queue, so it goes to the blocking pool.
    fn wrote(&mut self, bytes: u64) {
        self.outside += bytes;
        if let Some((offset, len)) = self.writeback_due(bytes) {
            start_writeback_elsewhere(&self.file, offset, len);
        }
    }
}

/// Starts writeback from the blocking pool when called inside a runtime
/// (fire and forget: it is advice, and the final sync waits for all of
/// it), else here.
fn start_writeback_elsewhere(file: &File, offset: u64, len: u64) {
    match (tokio::runtime::Handle::try_current(), file.try_clone()) {
        (Ok(runtime), Ok(file)) => {
            drop(runtime.spawn_blocking(move || start_writeback(&file, offset, len)));
        }
        _ => start_writeback(file, offset, len),
    }
}

/// Whether `file` lives on a file system kept in memory (tmpfs, ramfs).
#[cfg(target_os = "linux")]
fn in_memory(file: &File) -> bool {
    // <linux/magic.h>
    const TMPFS_MAGIC: u64 = 0x0102_1994;
    const RAMFS_MAGIC: u64 = 0x8584_58f6;
    rustix::fs::fstatfs(file).is_ok_and(|fs| {
        // `f_type` is a signed word of the platform's width; the magic
        // numbers are its low 32 bits.
        let kind = (fs.f_type as u64) & 0xffff_ffff;
        kind == TMPFS_MAGIC || kind == RAMFS_MAGIC
    })
}

#[cfg(not(target_os = "linux"))]
fn in_memory(_file: &File) -> bool {
    false
}

/// Turns `O_DIRECT` on or off; whether that worked.
#[cfg(target_os = "linux")]
fn set_direct(file: &File, on: bool) -> bool {
    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
    let flags = match fcntl_getfl(file) {
        Ok(flags) => flags,
        Err(_) => return false,
    };
    let flags = if on {
        flags | OFlags::DIRECT
    } else {
        flags - OFlags::DIRECT
    };
    fcntl_setfl(file, flags).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn set_direct(_file: &File, _on: bool) -> bool {
    false
}

/// Whether a direct write failed for want of alignment (`EINVAL`).
#[cfg(target_os = "linux")]
fn refused(err: &io::Error) -> bool {
    rustix::io::Errno::from_io_error(err) == Some(rustix::io::Errno::INVAL)
}

#[cfg(not(target_os = "linux"))]
fn refused(_err: &io::Error) -> bool {
    false
}

/// Starts writeback of `len` bytes at `offset` without waiting for it.
///
/// `POSIX_FADV_DONTNEED` is the portable way to reach Linux's
/// non-blocking writeback (`sync_file_range(SYNC_FILE_RANGE_WRITE)` is not
/// in rustix): the kernel queues the dirty pages of the range for writing,
/// then drops only those of its pages that are already clean, which pages
/// just written are not. It is advice; a failure changes nothing but speed.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use rustix::fs::{Advice, fadvise};
    let len = std::num::NonZeroU64::new(len);
    if let Err(err) = fadvise(file, offset, len, Advice::DontNeed) {
        tracing::debug!(%err, "could not start writeback");
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::ChunkBuf;
    use wharf_vfs::testing::pattern;

    fn chunks_of(data: &[u8], size: usize) -> Vec<ChunkBuf> {
        data.chunks(size)
            .map(|piece| {
                let mut buf = ChunkBuf::default();
                buf.push(piece, size);
                buf
            })
            .collect()
    }

    /// A temporary folder on a file system with a device under it, where
    /// durable sinks write back early and may use direct I/O: the system's
    /// temporary folder, or this crate's own when that one is in memory.
    fn on_device() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        if !in_memory(&File::open(dir.path()).unwrap()) {
            return dir;
        }
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        assert!(
            !in_memory(&File::open(dir.path()).unwrap()),
            "these tests need a folder on a disk"
        );
        dir
    }

    #[test]
    fn buffered_writes_arrive_in_order_across_writeback_steps() {
        let dir = on_device();
        let path = dir.path().join("f");
        let mut sink = FileSink::new(File::create(&path).unwrap(), 0, true);
        let data = pattern(21 * 1024 * 1024 + 49, 1);
        // Unaligned pieces: all through the cache.
        for piece in data.chunks(3 * 1024 * 1024 + 7) {
            sink.write(piece).unwrap();
        }
        assert!(sink.kicked > 0 && sink.kicked <= sink.offset);
        sink.sync().unwrap();
        assert!(std::fs::read(&path).unwrap() == data);
    }

    #[test]
    fn direct_chunks_and_a_cached_tail_make_the_whole_file() {
        let dir = on_device();
        let path = dir.path().join("f");
        let mut sink = FileSink::new(File::create(&path).unwrap(), 0, true).with_direct();
        let size = 256 * 1024;
        let data = pattern(5 * size + 1234, 2);
        let mut chunks = chunks_of(&data, size);
        let tail = chunks.pop().unwrap();
        for chunk in &chunks {
            sink.write(chunk.as_slice()).unwrap();
        }
        // Direct I/O is on here unless this file system refuses it.
        assert_ne!(sink.direct, Direct::Wanted);
        sink.write_tail(tail.as_slice()).unwrap();
        assert_eq!(sink.direct, Direct::Off, "the tail leaves direct I/O");
        sink.sync().unwrap();
        assert!(std::fs::read(&path).unwrap() == data);
    }

    #[test]
    fn an_unaligned_chunk_falls_back_to_the_cache() {
        let dir = on_device();
        let path = dir.path().join("f");
        let mut sink = FileSink::new(File::create(&path).unwrap(), 0, true).with_direct();
        let data = pattern(3 * ALIGN + 100, 3);
        let mut aligned = ChunkBuf::default();
        aligned.push(&data[..2 * ALIGN], 2 * ALIGN);
        sink.write(aligned.as_slice()).unwrap();
        // Odd length: what the direct path cannot take goes through the cache.
        sink.write(&data[2 * ALIGN..]).unwrap();
        assert_eq!(sink.direct, Direct::Off);
        // And no sink of a file it may not bypass the cache for tries.
        let plain = FileSink::new(File::create(dir.path().join("g")).unwrap(), 0, false);
        assert_eq!(plain.with_direct().direct, Direct::Off);
        sink.sync().unwrap();
        assert!(std::fs::read(&path).unwrap() == data);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_durable_sink_in_memory_neither_writes_back_nor_goes_direct() {
        let shm = std::path::Path::new("/dev/shm");
        let dir = tempfile::tempdir_in(shm).unwrap();
        let path = dir.path().join("f");
        let mut sink = FileSink::new(File::create(&path).unwrap(), 0, true).with_direct();
        assert!(!sink.bypasses_page_cache(), "tmpfs: no direct I/O");
        let data = pattern(2 * 1024 * 1024 + 2 * WRITEBACK_STEP as usize, 4);
        for chunk in chunks_of(&data, 1024 * 1024) {
            sink.write(chunk.as_slice()).unwrap();
        }
        assert_eq!(sink.kicked, 0, "nothing to write back");
        assert_eq!(sink.direct, Direct::Off);
        sink.sync().unwrap();
        assert!(std::fs::read(&path).unwrap() == data);
        // On a disk the same sink would bypass the cache.
        let disk = on_device();
        let durable = FileSink::new(File::create(disk.path().join("g")).unwrap(), 0, true);
        assert!(durable.with_direct().bypasses_page_cache());
    }
}
