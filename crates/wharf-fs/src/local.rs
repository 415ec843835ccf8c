//! [`LocalFs`] and its [`Vfs`] implementation.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use cap_fs_ext::{DirExt, SystemTimeSpec};
use cap_std::ambient_authority;
use cap_std::fs::Dir;
use wharf_vfs::{
    Capabilities, DirStream, FileKind, FileReader, Metadata, OpenedFile, OpenedLocalFile, Upload,
    VPath, Vfs, VfsError, WriteMode,
};

use crate::convert::{blocking, io_err, metadata};
use crate::dir_read::DirReader;
use crate::list::{ListStream, read_batch};
use crate::paths::{relative, split};
use crate::read::{open_file, reader};
use crate::sweep::Swept;
use crate::upload;

/// A local directory served as `/`, jailed with cap-std (see the
/// [crate docs](crate) for what that guarantees and why).
///
/// Cheap to clone; clones share the open root directory.
#[derive(Debug, Clone)]
pub struct LocalFs {
    root: Arc<Dir>,
    sync: bool,
    /// Bits taken away from the mode of new files and directories.
    umask: u32,
    /// Whether lookups may try the dentry cache on the calling thread
    /// (`cached.rs`): Linux 5.12+ and a local file system.
    cached_lookups: bool,
}

impl LocalFs {
    /// Serves the existing directory `root`. It is opened now; renaming or
    /// moving it later does not change what is served.
    pub fn new(root: impl AsRef<Path>) -> io::Result<Self> {
        let root = Dir::open_ambient_dir(root, ambient_authority())?;
        #[cfg(target_os = "linux")]
        let cached_lookups = crate::cached::usable(&root);
        #[cfg(not(target_os = "linux"))]
        let cached_lookups = false;
        Ok(Self {
            root: Arc::new(root),
            sync: true,
            umask: crate::modes::DEFAULT_UMASK,
            cached_lookups,
        })
    }

    /// Whether a finished upload is synced to disk (`fdatasync`) before
    /// `finish` returns, i.e. before the client's 226. On by default: an
    /// acknowledged upload then survives a power cut. Off, an upload is
    /// acknowledged once it is in the page cache, as vsftpd, Pure-FTPd and
    /// pyftpdlib do; the rename still never shows a partial file.
    pub fn with_sync(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }

    /// The umask of new files and directories (uploads, including the
    /// files `APPE` and `REST`+`STOR` create, and `MKD`): files get
    /// `0o666 & !umask`, directories `0o777 & !umask`. Default `0o022`
    /// (files `0644`, directories `0755`). Only the low nine bits count.
    ///
    /// The mode is set explicitly on each new file and directory rather
    /// than left to the process umask, which is process-global and may be
    /// changed by anything else in the process.
    pub fn with_umask(mut self, umask: u32) -> Self {
        self.umask = umask & crate::modes::PERMISSION_BITS;
        self
    }

    /// Removes the upload temporary files (`.wharf-upload-*`) that a crash
    /// left anywhere below the root: those whose lock no live upload holds
    /// and that were last modified more than `older_than` ago. Says how
    /// many went. Blocking: it walks the whole tree, so call it from a
    /// thread that may block (wharfd runs it on the blocking pool at start
    /// and once more a bound later).
    ///
    /// Every upload `flock`s its temporary file while it writes it (the
    /// kernel drops the lock when the process dies), so a second server on
    /// the same root never deletes an upload in progress, however long it
    /// has stalled. The age bound covers the moment between a writer's
    /// create and its lock, and file systems whose locks other hosts do
    /// not see (NFS with `local_lock=flock` or `nolock`), where a live
    /// upload's file is still written at least once per 1 MiB chunk: there
    /// choose a bound longer than the longest stall you allow. The walk
    /// never follows a symlink, never leaves the root, and removes regular
    /// files only; entries it cannot read or remove are counted as errors
    /// and logged, not fatal.
    pub fn sweep_orphaned_uploads(&self, older_than: Duration) -> Swept {
        crate::sweep::sweep(&self.root, older_than)
    }

    /// Runs `call` on the file-call pool with the root and `path` relative
    /// to it.
    async fn with_path<T, F>(&self, path: &VPath, call: F) -> Result<T, VfsError>
    where
        F: FnOnce(&Dir, &Path, &VPath) -> Result<T, VfsError> + Send + 'static,
        T: Send + 'static,
    {
        self.with_rel(relative(path)?, path, call).await
    }

    /// [`with_path`](Self::with_path) for a path already made relative.
    async fn with_rel<T, F>(&self, rel: PathBuf, path: &VPath, call: F) -> Result<T, VfsError>
    where
        F: FnOnce(&Dir, &Path, &VPath) -> Result<T, VfsError> + Send + 'static,
        T: Send + 'static,
    {
        let root = self.root.clone();
        let path = path.clone();
        blocking(move || call(&root, &rel, &path)).await
    }

    /// Opens the regular file at `path` for reading at `offset`, with the
    /// number of bytes after it: on this thread if the kernel can resolve
    /// the path from its caches, else on the file-call pool.
    async fn open_file(&self, path: &VPath, offset: u64) -> Result<(File, u64), VfsError> {
        let rel = relative(path)?;
        #[cfg(target_os = "linux")]
        if self.cached_lookups
            && let Some(opened) = crate::cached::open_file(&self.root, &rel, path)
        {
            return opened.and_then(|(file, len)| crate::read::position(file, len, path, offset));
        }
        self.with_rel(rel, path, move |root, rel, path| {
            open_file(root, rel, path, offset)
        })
        .await
    }
}

/// Refuses operations on the root that would remove or replace it.
fn not_root(path: &VPath) -> Result<(), VfsError> {
    if path.is_root() {
        return Err(VfsError::permission_denied(path));
    }
    Ok(())
}

#[async_trait]
impl Vfs for LocalFs {
    async fn metadata(&self, path: &VPath) -> Result<Metadata, VfsError> {
        let rel = relative(path)?;
        #[cfg(target_os = "linux")]
        if self.cached_lookups
            && let Some(meta) = crate::cached::metadata_of(&self.root, &rel)
        {
            return Ok(meta);
        }
        self.with_rel(rel, path, |root, rel, path| match root.metadata(rel) {
            Ok(meta) => Ok(metadata(&meta)),
            // A dangling or escaping symlink is still a name in the listing.
            Err(err) => match root.symlink_metadata(rel) {
                Ok(own) if own.is_symlink() => Ok(Metadata::new(FileKind::Symlink, own.len())),
                _ => Err(VfsError::from_io(err, path)),
            },
        })
        .await
    }

    async fn list(&self, path: &VPath) -> Result<DirStream, VfsError> {
        // The first batch comes back with the open directory: one trip to
        // the blocking pool for a folder of up to a batch of entries.
        let (reader, first) = self
            .with_path(path, |root, rel, path| {
                let dir = root.open_dir(rel).map_err(io_err(path))?;
                let mut reader = DirReader::new(dir).map_err(io_err(path))?;
                let first = read_batch(&mut reader, path);
                Ok((reader, first))
            })
            .await?;
        Ok(Box::pin(ListStream::new(path.clone(), reader, first)))
    }

    async fn open_read(&self, path: &VPath, offset: u64) -> Result<FileReader, VfsError> {
        let (file, left) = self.open_file(path, offset).await?;
        Ok(reader(file, left))
    }

    /// The open file's length comes with the open: no lookup of the path
    /// by name after it.
    async fn open_read_sized(&self, path: &VPath, offset: u64) -> Result<OpenedFile, VfsError> {
        let (file, left) = self.open_file(path, offset).await?;
        Ok(OpenedFile {
            reader: reader(file, left),
            size: Some(left + offset),
        })
    }

    async fn open_local(
        &self,
        path: &VPath,
        offset: u64,
    ) -> Result<Option<OpenedLocalFile>, VfsError> {
        let (file, left) = self.open_file(path, offset).await?;
        Ok(Some(OpenedLocalFile {
            file,
            size: left + offset,
        }))
    }

    async fn create(&self, path: &VPath, mode: WriteMode) -> Result<Box<dyn Upload>, VfsError> {
        let (parent, name) = split(path)?;
        let root = self.root.clone();
        let path = path.clone();
        let options = upload::Options {
            sync: self.sync,
            umask: self.umask,
        };
        let upload =
            blocking(move || upload::start(&root, &path, parent, name, mode, options)).await?;
        Ok(Box::new(upload))
    }

    async fn mkdir(&self, path: &VPath) -> Result<(), VfsError> {
        if path.is_root() {
            return Err(VfsError::already_exists(path));
        }
        let umask = self.umask;
        self.with_path(path, move |root, rel, path| {
            crate::create::create_dir(root, rel, umask).map_err(io_err(path))
        })
        .await
    }

    async fn rmdir(&self, path: &VPath) -> Result<(), VfsError> {
        not_root(path)?;
        self.with_path(path, |root, rel, path| {
            root.remove_dir(rel).map_err(io_err(path))
        })
        .await
    }

    async fn remove_file(&self, path: &VPath) -> Result<(), VfsError> {
        if path.is_root() {
            return Err(VfsError::is_a_directory(path));
        }
        self.with_path(path, |root, rel, path| {
            root.remove_file(rel).map_err(io_err(path))
        })
        .await
    }

    async fn rename(&self, from: &VPath, to: &VPath) -> Result<(), VfsError> {
        not_root(from)?;
        not_root(to)?;
        let to_rel = relative(to)?;
        let to = to.clone();
        self.with_path(from, move |root, from_rel, from| {
            root.rename(from_rel, root, &to_rel).map_err(|err| {
                // ENOENT may be about either side; other errors concern the target.
                let about = if err.kind() == io::ErrorKind::NotFound
                    && root.symlink_metadata(from_rel).is_err()
                {
                    from
                } else {
                    &to
                };
                VfsError::from_io(err, about)
            })
        })
        .await
    }

    async fn set_mtime(&self, path: &VPath, modified: SystemTime) -> Result<(), VfsError> {
        self.with_path(path, move |root, rel, path| {
            let mtime = SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(modified));
            root.set_times(rel, None, Some(mtime)).map_err(io_err(path))
        })
        .await
    }

    #[cfg(unix)]
    /// Sets the permission bits `0o777` only: a mode with setuid, setgid
    /// or sticky (or anything above) is refused with `PermissionDenied`
    /// and changes nothing, whatever the caller checked before.
    async fn set_permissions(&self, path: &VPath, mode: u32) -> Result<(), VfsError> {
        use cap_std::fs::{Permissions, PermissionsExt};
        let mode = crate::modes::only_permission_bits(mode, path)?;
        self.with_path(path, move |root, rel, path| {
            root.set_permissions(rel, Permissions::from_mode(mode))
                .map_err(io_err(path))
        })
        .await
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::none()
            .with_set_mtime(true)
            .with_set_permissions(cfg!(unix))
            .with_append(true)
            .with_resume(true)
            .with_unique_ids(cfg!(unix))
            .with_modes(cfg!(unix))
            .with_non_utf8_names(cfg!(unix))
    }
}
