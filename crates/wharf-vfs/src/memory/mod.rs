//! [`MemoryFs`], a complete in-memory back-end.

mod list;
mod tree;
mod upload;

use std::io::Cursor;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use async_trait::async_trait;

use crate::capabilities::Capabilities;
use crate::error::VfsError;
use crate::metadata::Metadata;
use crate::upload::{Upload, WriteMode};
use crate::vfs::{DirStream, FileReader, Vfs};
use crate::vpath::VPath;
use list::ListStream;
use tree::{Node, Tree};
use upload::MemoryUpload;

/// A file system held in memory: handy for tests, demos and embedding.
///
/// It implements every operation, including the optional ones. The tree sits
/// behind one `RwLock` that is held only for short synchronous steps, never
/// across an `.await`, so any number of sessions may use it at once. Reads
/// share the file's bytes without copying them; uploads collect their bytes
/// and commit them in one step (see [`WriteMode`] for what that means per
/// mode). Listings take the lock once per batch of 256 entries.
///
/// Clones share the same tree. New files get mode `0o644`, directories
/// `0o755`; modes are recorded and reported, not enforced.
///
/// ```
/// use std::sync::Arc;
/// use wharf_vfs::{MemoryFs, VPath, Vfs};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), wharf_vfs::VfsError> {
/// let vfs: Arc<dyn Vfs> = Arc::new(MemoryFs::new());
/// vfs.mkdir(&VPath::parse("/incoming")?).await?;
/// assert!(vfs.metadata(&VPath::parse("/incoming")?).await?.is_dir());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct MemoryFs {
    tree: Arc<RwLock<Tree>>,
}

/// Locks the tree for reading. A panic while the lock was held cannot leave
/// the tree half-changed (every change is one map operation), so a poisoned
/// lock is used as is.
fn read(tree: &RwLock<Tree>) -> RwLockReadGuard<'_, Tree> {
    tree.read().unwrap_or_else(PoisonError::into_inner)
}

/// Locks the tree for writing; see [`read`].
fn write(tree: &RwLock<Tree>) -> RwLockWriteGuard<'_, Tree> {
    tree.write().unwrap_or_else(PoisonError::into_inner)
}

impl MemoryFs {
    /// An empty file system: just `/`.
    pub fn new() -> Self {
        Self {
            tree: Arc::new(RwLock::new(Tree::new())),
        }
    }
}

impl Default for MemoryFs {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Vfs for MemoryFs {
    async fn metadata(&self, path: &VPath) -> Result<Metadata, VfsError> {
        read(&self.tree).node(path).map(Node::metadata)
    }

    async fn list(&self, path: &VPath) -> Result<DirStream, VfsError> {
        match read(&self.tree).node(path)? {
            Node::Dir { .. } => {}
            Node::File { .. } => return Err(VfsError::not_a_directory(path)),
        }
        Ok(Box::pin(ListStream::new(self.tree.clone(), path.clone())))
    }

    async fn open_read(&self, path: &VPath, offset: u64) -> Result<FileReader, VfsError> {
        let data = match read(&self.tree).node(path)? {
            Node::File { data, .. } => data.clone(),
            Node::Dir { .. } => return Err(VfsError::is_a_directory(path)),
        };
        let start = usize::try_from(offset)
            .ok()
            .filter(|start| *start <= data.len())
            .ok_or_else(|| VfsError::invalid_offset(path))?;
        Ok(Box::new(Cursor::new(data.slice(start..))))
    }

    async fn create(&self, path: &VPath, mode: WriteMode) -> Result<Box<dyn Upload>, VfsError> {
        read(&self.tree).check_upload(path, mode)?;
        Ok(Box::new(MemoryUpload::new(
            self.tree.clone(),
            path.clone(),
            mode,
        )))
    }

    async fn mkdir(&self, path: &VPath) -> Result<(), VfsError> {
        write(&self.tree).mkdir(path)
    }

    async fn rmdir(&self, path: &VPath) -> Result<(), VfsError> {
        write(&self.tree).rmdir(path)
    }

    async fn remove_file(&self, path: &VPath) -> Result<(), VfsError> {
        write(&self.tree).remove_file(path)
    }

    async fn rename(&self, from: &VPath, to: &VPath) -> Result<(), VfsError> {
        write(&self.tree).rename(from, to)
    }

    async fn set_mtime(&self, path: &VPath, modified: SystemTime) -> Result<(), VfsError> {
        write(&self.tree).set_mtime(path, modified)
    }

    async fn set_permissions(&self, path: &VPath, mode: u32) -> Result<(), VfsError> {
        write(&self.tree).set_mode(path, mode)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::none()
            .with_set_mtime(true)
            .with_set_permissions(true)
            .with_append(true)
            .with_resume(true)
            .with_unique_ids(true)
            .with_modes(true)
            .with_non_utf8_names(true)
    }
}
