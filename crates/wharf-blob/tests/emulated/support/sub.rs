//! `Sub`: a directory of another `Vfs` served as `/`, so the conformance
//! suite can run below a container of the account view.

use std::sync::Arc;
use std::time::SystemTime;

use wharf_vfs::{
    Capabilities, DirStream, FileReader, Metadata, Upload, VPath, Vfs, VfsError, WriteMode,
    async_trait,
};

/// `inner`'s directory `prefix` as `/`.
pub struct Sub {
    pub inner: Arc<dyn Vfs>,
    pub prefix: VPath,
    pub caps: Capabilities,
}

impl Sub {
    fn map(&self, path: &VPath) -> VPath {
        let rest = &path.as_bytes()[1..];
        if rest.is_empty() {
            self.prefix.clone()
        } else {
            self.prefix.resolve(rest).expect("resolve")
        }
    }

    /// Rewrites an error's path back into this view.
    fn back(&self, err: VfsError) -> VfsError {
        let Some(inner) = err.path() else {
            return err;
        };
        let prefix = self.prefix.as_bytes();
        match inner.as_bytes().strip_prefix(prefix) {
            Some(b"") => err.with_path(&VPath::root()),
            Some(rest) if rest.starts_with(b"/") => {
                let path = VPath::parse(rest).expect("parse");
                err.with_path(&path)
            }
            _ => err,
        }
    }
}

#[async_trait]
impl Vfs for Sub {
    async fn metadata(&self, path: &VPath) -> Result<Metadata, VfsError> {
        self.inner
            .metadata(&self.map(path))
            .await
            .map_err(|e| self.back(e))
    }
    async fn list(&self, path: &VPath) -> Result<DirStream, VfsError> {
        self.inner
            .list(&self.map(path))
            .await
            .map_err(|e| self.back(e))
    }
    async fn open_read(&self, path: &VPath, offset: u64) -> Result<FileReader, VfsError> {
        self.inner
            .open_read(&self.map(path), offset)
            .await
            .map_err(|e| self.back(e))
    }
    async fn create(&self, path: &VPath, mode: WriteMode) -> Result<Box<dyn Upload>, VfsError> {
        if path.is_root() {
            return Err(VfsError::is_a_directory(path));
        }
        self.inner
            .create(&self.map(path), mode)
            .await
            .map_err(|e| self.back(e))
    }
    async fn mkdir(&self, path: &VPath) -> Result<(), VfsError> {
        self.inner
            .mkdir(&self.map(path))
            .await
            .map_err(|e| self.back(e))
    }
    async fn rmdir(&self, path: &VPath) -> Result<(), VfsError> {
        if path.is_root() {
            return Err(VfsError::permission_denied(path));
        }
        self.inner
            .rmdir(&self.map(path))
            .await
            .map_err(|e| self.back(e))
    }
    async fn remove_file(&self, path: &VPath) -> Result<(), VfsError> {
        self.inner
            .remove_file(&self.map(path))
            .await
            .map_err(|e| self.back(e))
    }
    async fn rename(&self, from: &VPath, to: &VPath) -> Result<(), VfsError> {
        if from.is_root() || to.is_root() {
            return Err(VfsError::permission_denied(from));
        }
        self.inner
            .rename(&self.map(from), &self.map(to))
            .await
            .map_err(|e| self.back(e))
    }
    async fn set_mtime(&self, path: &VPath, modified: SystemTime) -> Result<(), VfsError> {
        self.inner
            .set_mtime(&self.map(path), modified)
            .await
            .map_err(|e| self.back(e))
    }
    async fn set_permissions(&self, path: &VPath, mode: u32) -> Result<(), VfsError> {
        self.inner
            .set_permissions(&self.map(path), mode)
            .await
            .map_err(|e| self.back(e))
    }
    fn capabilities(&self) -> Capabilities {
        self.caps
    }
}
