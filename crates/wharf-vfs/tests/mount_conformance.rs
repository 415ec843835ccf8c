//! `MountFs` passes the conformance suite twice: once on its root
//! back-end while a mount sits beside the checks' directory, once inside a
//! mount. The suite expects an empty `/`, and a mount point always shows in
//! its parent's listing, so each run sees the tree through `Subtree`, a
//! directory of the `MountFs` presented as `/` (test scaffolding only:
//! paths are prefixed, errors name the view's paths, the view's root
//! cannot be removed or renamed).

use std::sync::Arc;
use std::time::SystemTime;

use wharf_vfs::testing::path;
use wharf_vfs::{
    Capabilities, DirStream, FileReader, MemoryFs, Metadata, MountFs, Upload, VPath, Vfs, VfsError,
    WriteMode, async_trait,
};

/// `base` of `inner` as a tree of its own.
struct Subtree {
    inner: Arc<dyn Vfs>,
    base: VPath,
}

impl Subtree {
    /// The inner path of the view's `path`.
    fn map(&self, path: &VPath) -> VPath {
        // A VPath holds no `.` or `..`, so its components resolve as
        // themselves below the base.
        self.base
            .resolve(&path.as_bytes()[1..])
            .expect("a valid path")
    }

    /// `err` naming the view's path instead of the inner one.
    fn unmap(&self, err: VfsError) -> VfsError {
        let Some(inner) = err.path().filter(|p| p.starts_with(&self.base)) else {
            return err;
        };
        let bytes = inner.as_bytes()[self.base.as_bytes().len()..].to_vec();
        let view = VPath::parse(bytes).expect("a valid path");
        err.with_path(&view)
    }

    /// The refusal of a change to the view's root.
    fn protect(&self, path: &VPath) -> Result<(), VfsError> {
        if path.is_root() {
            return Err(VfsError::permission_denied(path));
        }
        Ok(())
    }
}

#[async_trait]
impl Vfs for Subtree {
    async fn metadata(&self, path: &VPath) -> Result<Metadata, VfsError> {
        self.inner
            .metadata(&self.map(path))
            .await
            .map_err(|e| self.unmap(e))
    }
    async fn list(&self, path: &VPath) -> Result<DirStream, VfsError> {
        self.inner
            .list(&self.map(path))
            .await
            .map_err(|e| self.unmap(e))
    }
    async fn open_read(&self, path: &VPath, offset: u64) -> Result<FileReader, VfsError> {
        let inner = self.map(path);
        let result = self.inner.open_read(&inner, offset).await;
        result.map_err(|e| self.unmap(e))
    }
    async fn create(&self, path: &VPath, mode: WriteMode) -> Result<Box<dyn Upload>, VfsError> {
        let result = self.inner.create(&self.map(path), mode).await;
        result.map_err(|e| self.unmap(e))
    }
    async fn mkdir(&self, path: &VPath) -> Result<(), VfsError> {
        if path.is_root() {
            return Err(VfsError::already_exists(path));
        }
        let result = self.inner.mkdir(&self.map(path)).await;
        result.map_err(|e| self.unmap(e))
    }
    async fn rmdir(&self, path: &VPath) -> Result<(), VfsError> {
        self.protect(path)?;
        let result = self.inner.rmdir(&self.map(path)).await;
        result.map_err(|e| self.unmap(e))
    }
    async fn remove_file(&self, path: &VPath) -> Result<(), VfsError> {
        self.protect(path)?;
        let result = self.inner.remove_file(&self.map(path)).await;
        result.map_err(|e| self.unmap(e))
    }
    async fn rename(&self, from: &VPath, to: &VPath) -> Result<(), VfsError> {
        self.protect(from)?;
        self.protect(to)?;
        let result = self.inner.rename(&self.map(from), &self.map(to)).await;
        result.map_err(|e| self.unmap(e))
    }
    async fn set_mtime(&self, path: &VPath, modified: SystemTime) -> Result<(), VfsError> {
        let result = self.inner.set_mtime(&self.map(path), modified).await;
        result.map_err(|e| self.unmap(e))
    }
    async fn set_permissions(&self, path: &VPath, mode: u32) -> Result<(), VfsError> {
        let result = self.inner.set_permissions(&self.map(path), mode).await;
        result.map_err(|e| self.unmap(e))
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
}

/// A root holding `/home`, a mount at `/mnt` and a read-only one at
/// `/srv/ro` (a deep mount, so `/srv` exists only in the table).
async fn mount_fs() -> Arc<dyn Vfs> {
    let root = MemoryFs::new();
    root.mkdir(&path("/home")).await.expect("mkdir /home");
    let fs = MountFs::new(Arc::new(root))
        .mount(path("/mnt"), Arc::new(MemoryFs::new()), false)
        .and_then(|fs| fs.mount(path("/srv/ro"), Arc::new(MemoryFs::new()), true))
        .expect("mounts");
    Arc::new(fs)
}

/// Declares the suite on the tree `$tree` (an expression that may await).
macro_rules! suite {
    ($tree:expr) => {
        use super::*;

        async fn make(_check: &str) -> Arc<dyn Vfs> {
            $tree
        }

        wharf_vfs::conformance_tests! {
            make = make;
            checks = [
                create_and_read_back,
                large_file_and_offsets,
                upload_invisible_until_finish,
                abort_and_drop_leave_nothing,
                append,
                resume_at_offset,
                mkdir_and_metadata,
                rmdir_non_empty_fails,
                remove_file,
                rename_file_over_existing,
                rename_directory,
                list_small_directory,
                list_ten_thousand_entries,
                concurrent_writers,
                concurrent_replace_is_atomic,
                odd_names,
                error_kinds,
                rename_errors,
                root_is_protected,
                set_mtime,
                set_permissions,
                unique_ids,
            ];
        }
    };
}

/// The checks on the root back-end, beside the mounts.
mod root_level {
    suite!(Arc::new(Subtree {
        inner: mount_fs().await,
        base: path("/home"),
    }));
}

/// The checks inside the writable mount.
mod inside_mount {
    suite!(Arc::new(Subtree {
        inner: mount_fs().await,
        base: path("/mnt"),
    }));
}

/// With nothing mounted, the `MountFs` itself is the tree the checks see.
mod no_mounts {
    suite!(Arc::new(MountFs::new(Arc::new(MemoryFs::new()))));
}
