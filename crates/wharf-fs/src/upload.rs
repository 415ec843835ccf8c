//! Uploads to the local disk.
//!
//! `Create` writes a hidden temporary file next to the target and renames it
//! over the target on `finish` (after `fdatasync`), so the final name only
//! ever holds a complete file, even after a crash. `Append` and `Resume`
//! write the target in place.

use std::ffi::OsString;
use std::io::{self, Seek, SeekFrom};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_trait::async_trait;
use cap_std::fs::{Dir, OpenOptions};
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};
use wharf_vfs::{Upload, VPath, VfsError, WriteMode};

use crate::convert::{blocking, io_err};
use crate::paths::TEMP_PREFIX;

/// Write buffer per upload.
const WRITE_BUFFER: usize = 256 * 1024;

/// Where a `Create` upload's bytes wait until `finish`.
struct Pending {
    dir: Arc<Dir>,
    temp: OsString,
    name: OsString,
}

impl Pending {
    /// Renames the temporary file over the target, giving it the target's
    /// permission bits if there was one. On failure the temporary file goes.
    fn commit(self, path: &VPath) -> Result<(), VfsError> {
        match self.dir.symlink_metadata(&self.name) {
            // Best effort: a replaced file keeps its permissions.
            Ok(old) if old.is_file() => {
                let _ = self.dir.set_permissions(&self.temp, old.permissions());
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
    fn discard(&self, path: &VPath) {
        if let Err(err) = self.dir.remove_file(&self.temp) {
            tracing::warn!(%path, temp = ?self.temp, %err, "could not remove upload temporary file");
        }
    }
}

/// An upload in progress.
pub(crate) struct LocalUpload {
    path: VPath,
    writer: Option<BufWriter<tokio::fs::File>>,
    written: u64,
    /// `Some` in `Create` mode until finished or abandoned.
    pending: Option<Pending>,
    /// `fdatasync` before `finish` returns.
    sync: bool,
}

/// Starts an upload; runs on the blocking pool.
pub(crate) fn start(
    root: &Dir,
    path: &VPath,
    parent: PathBuf,
    name: OsString,
    mode: WriteMode,
    sync: bool,
) -> Result<LocalUpload, VfsError> {
    let dir = root.open_dir(&parent).map_err(io_err(path))?;
    match dir.symlink_metadata(&name) {
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
    let (file, pending) = match mode {
        WriteMode::Create => {
            let (file, temp) = create_temp(&dir, path)?;
            let dir = Arc::new(dir);
            (file, Some(Pending { dir, temp, name }))
        }
        WriteMode::Append => {
            let mut options = OpenOptions::new();
            options.append(true).create(true);
            (dir.open_with(&name, &options).map_err(io_err(path))?, None)
        }
        WriteMode::Resume(offset) => {
            let mut options = OpenOptions::new();
            options.write(true).create(offset == 0);
            let file = dir.open_with(&name, &options).map_err(io_err(path))?;
            let len = file.metadata().map_err(io_err(path))?.len();
            if offset > len {
                return Err(VfsError::invalid_offset(path));
            }
            file.set_len(offset).map_err(io_err(path))?;
            let mut file = file.into_std();
            file.seek(SeekFrom::Start(offset)).map_err(io_err(path))?;
            (cap_std::fs::File::from_std(file), None)
        }
        _ => return Err(VfsError::unsupported(path)),
    };
    let file = tokio::fs::File::from_std(file.into_std());
    Ok(LocalUpload {
        path: path.clone(),
        writer: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
        written: 0,
        pending,
        sync,
    })
}

/// Creates a new hidden temporary file in `dir`.
fn create_temp(dir: &Dir, path: &VPath) -> Result<(cap_std::fs::File, OsString), VfsError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    let mut last = None;
    for _ in 0..8 {
        let name = OsString::from(format!("{TEMP_PREFIX}{:016x}", fastrand::u64(..)));
        match dir.open_with(&name, &options) {
            Ok(file) => return Ok((file, name)),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => last = Some(err),
            Err(err) => return Err(VfsError::from_io(err, path)),
        }
    }
    Err(VfsError::from_io(
        last.unwrap_or_else(|| io::Error::other("no free temporary name")),
        path,
    ))
}

impl LocalUpload {
    fn writer(&mut self) -> io::Result<Pin<&mut BufWriter<tokio::fs::File>>> {
        match &mut self.writer {
            Some(writer) => Ok(Pin::new(writer)),
            None => Err(io::Error::other("upload already closed")),
        }
    }

    /// Flushes and returns the file, closed for further writes.
    async fn close(&mut self) -> Result<std::fs::File, VfsError> {
        let Some(mut writer) = self.writer.take() else {
            return Err(VfsError::other("upload already closed").with_path(&self.path));
        };
        writer.flush().await.map_err(io_err(&self.path))?;
        Ok(writer.into_inner().into_std().await)
    }
}

impl AsyncWrite for LocalUpload {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = std::task::ready!(self.writer()?.poll_write(cx, buf));
        if let Ok(n) = result {
            self.written += n as u64;
        }
        Poll::Ready(result)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.writer()?.poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.writer()?.poll_shutdown(cx)
    }
}

#[async_trait]
impl Upload for LocalUpload {
    async fn finish(mut self: Box<Self>) -> Result<u64, VfsError> {
        let file = self.close().await?;
        let pending = self.pending.take();
        let path = self.path.clone();
        let sync = self.sync;
        blocking(move || {
            let synced = if sync {
                file.sync_data().map_err(io_err(&path))
            } else {
                Ok(())
            };
            match pending {
                Some(pending) if synced.is_err() => pending.discard(&path),
                Some(pending) => pending.commit(&path)?,
                None => {}
            }
            synced
        })
        .await?;
        Ok(self.written)
    }

    async fn abort(mut self: Box<Self>) {
        match self.pending.take() {
            Some(pending) => {
                self.writer = None;
                let path = self.path.clone();
                let _ = blocking(move || {
                    pending.discard(&path);
                    Ok(())
                })
                .await;
            }
            // In place: keep what was written, including what is buffered.
            None => {
                let _ = self.close().await;
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
