//! Uploads to the local disk.
//!
//! `Create` writes a hidden temporary file next to the target and renames it
//! over the target on `finish` (after `fdatasync` when durable), so the final
//! name only ever holds a complete file, even after a crash. `Append` and
//! `Resume` do the same with a temporary file that starts as a copy of the
//! kept part of the target (`copied.rs`); only a target that is a symlink
//! is still written in place.
//!
//! Bytes are collected into chunks of [`CHUNK`] and each chunk is written by
//! one call on the blocking pool while the next one fills, so a transfer
//! costs one hop per mebibyte rather than one per socket read. A small upload
//! never leaves its first chunk: `finish` writes it, syncs and renames in a
//! single blocking call.

use std::ffi::OsString;
use std::future::Future;
use std::io::{self, Seek, SeekFrom};
use std::mem;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use async_trait::async_trait;
use cap_std::fs::{Dir, OpenOptions};
use tokio::io::AsyncWrite;
use tokio::task::JoinHandle;
use wharf_vfs::{LocalFile, Upload, VPath, VfsError, WriteMode};

use crate::chunk::ChunkBuf;
use crate::convert::{blocking, io_err};
use crate::create::{new_file_options, set_new_file_mode, strip_special_bits};
use crate::paths::TEMP_PREFIX;
use crate::sink::FileSink;

/// Bytes collected before they are handed to the blocking pool.
const CHUNK: usize = 1024 * 1024;

/// Where an upload's bytes wait until `finish`, in a temporary file.
pub(crate) struct Pending {
    pub(crate) dir: Arc<Dir>,
    pub(crate) temp: OsString,
    pub(crate) name: OsString,
    /// Whether something was at `name` when the upload started; if not,
    /// there are no bits to keep and the commit skips looking again.
    pub(crate) replaces: bool,
}

impl Pending {
    /// Renames the temporary file over the target. A replaced file's
    /// permission bits `0o777` carry over, never its setuid, setgid or
    /// sticky bit; a new file keeps the umask mode it was created with.
    /// On failure the temporary file goes.
    ///
    /// Why keep the old bits rather than apply the umask: an overwrite
    /// replaces the contents, not the access the owner chose (a file made
    /// `0600` must not turn `0644` because it was uploaded again). Why drop
    /// the special bits: they vouched for the old contents only, and a
    /// server running as root would otherwise hand any writable user a
    /// root-owned setuid program. If the old mode cannot be copied the
    /// file keeps its umask mode, which is never wider than the default.
    /// A file that appeared under the name only while the upload ran is
    /// replaced as one that came after it would be: with the umask mode
    /// (which spares every new-file upload a `statx`).
    fn commit(self, path: &VPath) -> Result<(), VfsError> {
        #[cfg(unix)]
        match self.replaces.then(|| self.dir.symlink_metadata(&self.name)) {
            Some(Ok(old)) if old.is_file() => {
                use cap_std::fs::{Permissions, PermissionsExt};
                let kept = crate::modes::kept_bits(old.permissions().mode());
                let _ = self
                    .dir
                    .set_permissions(&self.temp, Permissions::from_mode(kept));
            }
            _ => {}
        }
        let renamed = self.dir.rename(&self.temp, &self.dir, &self.name);
        if let Err(err) = renamed {
            self.discard(path);
            return Err(VfsError::from_io(err, path));
        }
        Ok(())
    }

    /// Removes the temporary file, logging (not failing) if it cannot.
    pub(crate) fn discard(&self, path: &VPath) {
        if let Err(err) = self.dir.remove_file(&self.temp) {
            tracing::warn!(%path, temp = ?self.temp, %err, "could not remove upload temporary file");
        }
    }
}

/// What a chunk write on the blocking pool hands back.
type Written = (Box<FileSink>, ChunkBuf, io::Result<()>);

/// The file side of an upload.
enum Writer {
    /// Ready for the next chunk.
    Idle(Box<FileSink>),
    /// A chunk is being written on the blocking pool.
    Busy(JoinHandle<Written>),
    /// Finished, aborted, or a write failed.
    Closed,
}

/// An upload in progress.
pub(crate) struct LocalUpload {
    path: VPath,
    writer: Writer,
    /// The chunk being filled.
    buffer: ChunkBuf,
    /// The previous chunk's allocation, back from the blocking pool.
    spare: ChunkBuf,
    written: u64,
    /// `Some` until finished or abandoned, unless written in place.
    pending: Option<Pending>,
    /// Whether the file may be written from outside ([`Upload::local_file`]):
    /// only a `Create` upload's, which starts empty. APPE and REST+STOR
    /// write a copy too, but their copied prefix is left to the chunk path.
    outside_writes: bool,
}

/// How `LocalFs` wants its uploads written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// `fdatasync` before a `Create` upload is renamed into place.
    pub(crate) sync: bool,
    /// Bits taken away from the mode of a new file.
    pub(crate) umask: u32,
}

/// Starts an upload; runs on the file-call pool.
pub(crate) fn start(
    root: &Dir,
    path: &VPath,
    parent: PathBuf,
    name: OsString,
    mode: WriteMode,
    upload: Options,
) -> Result<LocalUpload, VfsError> {
    let Options { sync, umask } = upload;
    let dir = root.open_dir(&parent).map_err(io_err(path))?;
    let existing = dir.symlink_metadata(&name);
    let replaces = existing.is_ok();
    match existing {
        Ok(meta) if meta.is_dir() => return Err(VfsError::is_a_directory(path)),
        Ok(meta) if mode != WriteMode::Create && !meta.is_file() => {
            // Follow a symlink (inside the jail) to see what it names.
            let target = dir.metadata(&name).map_err(io_err(path))?;
            if target.is_dir() {
                return Err(VfsError::is_a_directory(path));
            }
            if !target.is_file() {
                return Err(VfsError::permission_denied(path));
            }
        }
        _ => {}
    }
    let (file, offset, pending) = match mode {
        WriteMode::Append | WriteMode::Resume(_) if crate::copied::applies(&dir, &name) => {
            crate::copied::start(dir, path, name, mode, umask)?
        }
        WriteMode::Create => {
            let (file, temp) = create_temp(&dir, path, umask)?;
            let dir = Arc::new(dir);
            let pending = Pending {
                dir,
                temp,
                name,
                replaces,
            };
            (file.into_std(), 0, Some(pending))
        }
        WriteMode::Append => {
            let mut options = OpenOptions::new();
            options.append(true);
            let file = open_in_place(&dir, &name, &options, true, umask).map_err(io_err(path))?;
            let len = file.metadata().map_err(io_err(path))?.len();
            (file.into_std(), len, None)
        }
        WriteMode::Resume(offset) => {
            let mut options = OpenOptions::new();
            options.write(true);
            let file =
                open_in_place(&dir, &name, &options, offset == 0, umask).map_err(io_err(path))?;
            let len = file.metadata().map_err(io_err(path))?.len();
            if offset > len {
                return Err(VfsError::invalid_offset(path));
            }
            file.set_len(offset).map_err(io_err(path))?;
            let mut file = file.into_std();
            file.seek(SeekFrom::Start(offset)).map_err(io_err(path))?;
            (file, offset, None)
        }
        _ => return Err(VfsError::unsupported(path)),
    };
    let mut sink = FileSink::new(file, offset, sync);
    if pending.is_some() {
        sink = sink.with_direct();
    }
    Ok(LocalUpload {
        path: path.clone(),
        writer: Writer::Idle(Box::new(sink)),
        buffer: ChunkBuf::default(),
        spare: ChunkBuf::default(),
        written: 0,
        outside_writes: matches!(mode, WriteMode::Create),
        pending,
    })
}

/// Opens `name` to be written in place with `options`. A file that does
/// not exist is created (when `create`) with the umask mode; an existing
/// one loses any setuid, setgid or sticky bit.
fn open_in_place(
    dir: &Dir,
    name: &OsString,
    options: &OpenOptions,
    create: bool,
    umask: u32,
) -> io::Result<cap_std::fs::File> {
    if create {
        let mut fresh = options.clone();
        fresh.create_new(true);
        new_file_options(&mut fresh, umask);
        match dir.open_with(name, &fresh) {
            Ok(file) => {
                set_new_file_mode(&file, umask)?;
                return Ok(file);
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
            Err(err) => return Err(err),
        }
    }
    let file = dir.open_with(name, options)?;
    strip_special_bits(&file)?;
    Ok(file)
}

/// Creates a new hidden temporary file in `dir` with the umask mode, and
/// locks it (`temp_lock.rs`); it becomes the uploaded file.
pub(crate) fn create_temp(
    dir: &Dir,
    path: &VPath,
    umask: u32,
) -> Result<(cap_std::fs::File, OsString), VfsError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    new_file_options(&mut options, umask);
    let mut last = None;
    for _ in 0..8 {
        let name = OsString::from(format!("{TEMP_PREFIX}{:016x}", fastrand::u64(..)));
        match dir.open_with(&name, &options) {
            Ok(file) => {
                crate::temp_lock::hold(&file);
                if let Err(err) = set_new_file_mode(&file, umask) {
                    let _ = dir.remove_file(&name);
                    return Err(VfsError::from_io(err, path));
                }
                return Ok((file, name));
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => last = Some(err),
            Err(err) => return Err(VfsError::from_io(err, path)),
        }
    }
    Err(VfsError::from_io(
        last.unwrap_or_else(|| io::Error::other("no free temporary name")),
        path,
    ))
}

fn closed() -> io::Error {
    io::Error::other("upload already closed")
}

impl LocalUpload {
    /// Waits for the chunk in flight, if any; an error it met is returned
    /// once, and the upload is closed from then on.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Writer::Busy(task) = &mut self.writer {
            let joined = ready!(Pin::new(task).poll(cx));
            self.writer = Writer::Closed;
            let (sink, mut chunk, result) = joined.map_err(io::Error::other)?;
            result?;
            chunk.clear();
            self.spare = chunk;
            self.writer = Writer::Idle(sink);
        }
        match self.writer {
            Writer::Idle(_) => Poll::Ready(Ok(())),
            _ => Poll::Ready(Err(closed())),
        }
    }

    /// Waits for the writer and takes it, leaving the upload closed.
    async fn take_sink(&mut self) -> io::Result<Box<FileSink>> {
        std::future::poll_fn(|cx| self.poll_idle(cx)).await?;
        match mem::replace(&mut self.writer, Writer::Closed) {
            Writer::Idle(sink) => Ok(sink),
            _ => Err(closed()),
        }
    }

    /// Hands the buffered chunk to the blocking pool once the previous one
    /// is written.
    fn poll_submit(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_idle(cx))?;
        let Writer::Idle(mut sink) = mem::replace(&mut self.writer, Writer::Closed) else {
            return Poll::Ready(Err(closed()));
        };
        let chunk = mem::replace(&mut self.buffer, mem::take(&mut self.spare));
        self.writer = Writer::Busy(tokio::task::spawn_blocking(move || {
            let result = sink.write(chunk.as_slice());
            (sink, chunk, result)
        }));
        Poll::Ready(Ok(()))
    }

    /// Pushes buffered bytes to the file and waits until they are written.
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.buffer.is_empty() {
            ready!(self.poll_submit(cx))?;
        }
        self.poll_idle(cx)
    }
}

impl AsyncWrite for LocalUpload {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if matches!(this.writer, Writer::Closed) {
            return Poll::Ready(Err(closed()));
        }
        if this.buffer.len() >= CHUNK {
            ready!(this.poll_submit(cx))?;
        }
        let n = this.buffer.push(data, CHUNK);
        this.written += n as u64;
        Poll::Ready(Ok(n))
    }

    /// In `Create` mode nothing is visible before `finish`, so buffered
    /// bytes wait for it (sparing a small upload a hop); in place, they are
    /// written out.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.pending.is_some() {
            return Poll::Ready(Ok(()));
        }
        this.poll_write_out(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

#[async_trait]
impl Upload for LocalUpload {
    async fn finish(mut self: Box<Self>) -> Result<u64, VfsError> {
        let mut sink = self.take_sink().await.map_err(io_err(&self.path))?;
        let written = self.written + sink.written_outside();
        let rest = mem::take(&mut self.buffer);
        let pending = self.pending.take();
        let path = self.path.clone();
        blocking(move || {
            let done = sink.write_tail(rest.as_slice()).and_then(|()| sink.sync());
            match pending {
                Some(pending) if done.is_err() => pending.discard(&path),
                Some(pending) => pending.commit(&path)?,
                None => {}
            }
            done.map_err(io_err(&path))
        })
        .await?;
        Ok(written)
    }

    /// Only `Create` uploads offer their file: the kernel refuses to
    /// splice into `APPE`'s `O_APPEND` file, and `REST`+`STOR` is rare
    /// enough to keep the one path. Bytes already buffered would have to
    /// go first, so the offer stands only before any arrived that way.
    fn local_file(&mut self) -> Option<&mut dyn LocalFile> {
        if !self.outside_writes || self.pending.is_none() || !self.buffer.is_empty() {
            return None;
        }
        match &mut self.writer {
            Writer::Idle(sink) => Some(sink.for_outside_writes()),
            _ => None,
        }
    }

    fn bypasses_page_cache(&self) -> bool {
        matches!(&self.writer, Writer::Idle(sink) if sink.bypasses_page_cache())
    }

    async fn abort(mut self: Box<Self>) {
        match self.pending.take() {
            Some(pending) => {
                // A chunk still being written goes to the unlinked file.
                self.writer = Writer::Closed;
                let path = self.path.clone();
                let _ = blocking(move || {
                    pending.discard(&path);
                    Ok(())
                })
                .await;
            }
            // In place: keep what was written, including what is buffered.
            None => {
                if let Ok(mut sink) = self.take_sink().await {
                    let rest = mem::take(&mut self.buffer);
                    let _ =
                        tokio::task::spawn_blocking(move || sink.write_tail(rest.as_slice())).await;
                }
            }
        }
    }
}

impl Drop for LocalUpload {
    /// Removes the temporary file of an abandoned `Create` upload. This is
    /// one `unlinkat`, done right here so that nothing is left behind even
    /// when no runtime is around to run a task.
    fn drop(&mut self) {
        if let Some(pending) = self.pending.take() {
            pending.discard(&self.path);
        }
    }
}
