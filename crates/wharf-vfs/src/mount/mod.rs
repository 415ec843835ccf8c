//! [`MountFs`]: one tree made of a root back-end and back-ends mounted in
//! it.

mod listing;
mod table;

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;

use crate::capabilities::Capabilities;
use crate::error::{VfsError, VfsErrorKind};
use crate::metadata::{DirEntry, Metadata};
use crate::upload::{Upload, WriteMode};
use crate::vfs::{DirStream, FileReader, OpenedFile, OpenedLocalFile, Vfs};
use crate::vpath::VPath;
use listing::{Overlay, Retag};
use table::{Route, Table};

pub use table::MountError;

/// A mount table: a root back-end with other back-ends mounted at paths in
/// it, seen as one [`Vfs`].
///
/// - **Routing.** A path is served by the deepest mount it lies under, with
///   the mount's path stripped: with a back-end mounted at `/archive`,
///   `/archive/2024/a.txt` is that back-end's `/2024/a.txt`. Mounts may
///   nest. Errors name the path of the whole tree (those of a started
///   upload's `finish` are the back-end's own, with its paths).
/// - **Mount points are directories** of their parent's listing, shown with
///   the metadata of the mounted back-end's root, in place of anything the
///   parent's back-end holds under that name. They cannot be removed,
///   renamed, replaced, written over or have their time or mode changed,
///   as a user's own root cannot (`PermissionDenied`, or
///   `IsADirectory` / `AlreadyExists` where a file operation or `mkdir`
///   names one). A mount point's ancestors are directories too, even where
///   the back-end beneath has no such directory: they list the mounts (and
///   whatever the back-end holds there) and cannot be removed or renamed.
/// - **Read-only mounts** refuse every change below them (uploads,
///   `mkdir`, `rmdir`, removals, renames, `set_mtime`,
///   `set_permissions`) with `PermissionDenied`; reads and listings work.
/// - **Renames across mounts are refused** with
///   [`VfsErrorKind::CrossesMount`], not copied: a copy of a large folder
///   between stores is neither atomic nor quick, and a client that wants
///   one can download and upload. A rename within one back-end is that
///   back-end's own rename.
/// - **Capabilities**: an optional operation (`set_mtime`,
///   `set_permissions`, append, resume) is claimed when some writable
///   back-end supports it, and each call goes to the back-end that serves
///   the path, which answers `Unsupported` if it lacks it; a fact
///   (`unique_ids`, `modes`, odd-byte names) is claimed only when every
///   back-end provides it; `renames_by_copy` when any back-end copies.
///   Unique ids are prefixed with the back-end's number (`m0.` for the
///   root, then `m1.`, `m2.` in the order mounts were added), so two
///   back-ends that number objects alike never share an id.
///
/// ```
/// use std::sync::Arc;
/// use wharf_vfs::{MemoryFs, MountFs, VPath, Vfs, VfsErrorKind, WriteMode};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let home = Arc::new(MemoryFs::new());
/// let archive = Arc::new(MemoryFs::new());
/// archive.mkdir(&VPath::parse("/2024")?).await?;
/// let tree = MountFs::new(home).mount(VPath::parse("/archive")?, archive, true)?;
///
/// assert!(tree.metadata(&VPath::parse("/archive/2024")?).await?.is_dir());
/// let refused = tree.create(&VPath::parse("/archive/new.txt")?, WriteMode::Create).await;
/// assert_eq!(refused.err().map(|e| e.kind()), Some(VfsErrorKind::PermissionDenied));
/// # Ok(())
/// # }
/// ```
pub struct MountFs {
    table: Table,
}

impl std::fmt::Debug for MountFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        for mount in self.table.all() {
            list.entry(&(&mount.at, mount.read_only));
        }
        list.finish()
    }
}

impl MountFs {
    /// `root` as `/`, with nothing mounted yet.
    pub fn new(root: Arc<dyn Vfs>) -> Self {
        Self {
            table: Table::new(root),
        }
    }

    /// The same tree with `vfs` mounted at `at`, read-only or not. Fails
    /// for `/` and for a path already mounted.
    pub fn mount(
        mut self,
        at: VPath,
        vfs: Arc<dyn Vfs>,
        read_only: bool,
    ) -> Result<Self, MountError> {
        self.table.add(at, vfs, read_only)?;
        Ok(self)
    }

    /// The route of a path that is to change: refused when it lies on a
    /// read-only mount.
    fn writable(&self, path: &VPath) -> Result<Route<'_>, VfsError> {
        let route = self.table.route(path);
        route.mount.check_writable(path)?;
        Ok(route)
    }

    /// The table's entries in the directory `dir`.
    async fn table_entries(&self, dir: &VPath) -> Vec<DirEntry> {
        let mut entries = Vec::new();
        for (name, mount) in self.table.children(dir) {
            let metadata = match mount {
                Some(mount) => match mount.vfs.metadata(&VPath::root()).await {
                    Ok(meta) if meta.is_dir() => retag(mount.index, dir).metadata(meta),
                    _ => Metadata::dir(),
                },
                None => Metadata::dir(),
            };
            entries.push(DirEntry::new(name, metadata));
        }
        entries
    }
}

/// The [`Retag`] of back-end `index` listing `dir`.
fn retag(index: usize, dir: &VPath) -> Retag {
    Retag {
        index,
        dir: dir.clone(),
    }
}

/// Whether `err` says the back-end has no directory there.
fn missing(err: &VfsError) -> bool {
    matches!(
        err.kind(),
        VfsErrorKind::NotFound | VfsErrorKind::NotADirectory
    )
}

#[async_trait]
impl Vfs for MountFs {
    async fn metadata(&self, path: &VPath) -> Result<Metadata, VfsError> {
        let Route { mount, inner } = self.table.route(path);
        let result = mount.vfs.metadata(&inner).await;
        if self.table.is_ancestor(path) {
            return match result {
                Ok(meta) if meta.is_dir() => Ok(retag(mount.index, path).metadata(meta)),
                Ok(_) => Ok(Metadata::dir()),
                Err(err) if missing(&err) => Ok(Metadata::dir()),
                Err(err) => Err(mount.outer_error(err)),
            };
        }
        match result {
            Ok(meta) => Ok(retag(mount.index, path).metadata(meta)),
            Err(err) => Err(mount.outer_error(err)),
        }
    }

    async fn list(&self, path: &VPath) -> Result<DirStream, VfsError> {
        let Route { mount, inner } = self.table.route(path);
        let result = mount.vfs.list(&inner).await;
        let extra = self.table_entries(path).await;
        let inner_stream = match result {
            Ok(stream) => Some(stream),
            Err(err) if self.table.is_ancestor(path) && missing(&err) => None,
            Err(err) => return Err(mount.outer_error(err)),
        };
        Ok(Overlay::stream(
            inner_stream,
            extra,
            retag(mount.index, path),
        ))
    }

    async fn open_read(&self, path: &VPath, offset: u64) -> Result<FileReader, VfsError> {
        Ok(self.open_read_sized(path, offset).await?.reader)
    }

    async fn open_read_sized(&self, path: &VPath, offset: u64) -> Result<OpenedFile, VfsError> {
        if self.table.is_ancestor(path) {
            return Err(VfsError::is_a_directory(path));
        }
        let Route { mount, inner } = self.table.route(path);
        mount
            .vfs
            .open_read_sized(&inner, offset)
            .await
            .map_err(|err| mount.outer_error(err))
    }

    async fn open_local(
        &self,
        path: &VPath,
        offset: u64,
    ) -> Result<Option<OpenedLocalFile>, VfsError> {
        if self.table.is_ancestor(path) {
            return Err(VfsError::is_a_directory(path));
        }
        let Route { mount, inner } = self.table.route(path);
        mount
            .vfs
            .open_local(&inner, offset)
            .await
            .map_err(|err| mount.outer_error(err))
    }

    async fn create(&self, path: &VPath, mode: WriteMode) -> Result<Box<dyn Upload>, VfsError> {
        if self.table.is_mount_point(path) || self.table.is_ancestor(path) {
            return Err(VfsError::is_a_directory(path));
        }
        let Route { mount, inner } = self.writable(path)?;
        mount
            .vfs
            .create(&inner, mode)
            .await
            .map_err(|err| mount.outer_error(err))
    }

    async fn mkdir(&self, path: &VPath) -> Result<(), VfsError> {
        if self.table.is_mount_point(path) || self.table.is_ancestor(path) {
            return Err(VfsError::already_exists(path));
        }
        let Route { mount, inner } = self.writable(path)?;
        mount
            .vfs
            .mkdir(&inner)
            .await
            .map_err(|err| mount.outer_error(err))
    }

    async fn rmdir(&self, path: &VPath) -> Result<(), VfsError> {
        if self.table.is_mount_point(path) {
            return Err(VfsError::permission_denied(path));
        }
        if self.table.is_ancestor(path) {
            return Err(VfsError::directory_not_empty(path));
        }
        let Route { mount, inner } = self.writable(path)?;
        mount
            .vfs
            .rmdir(&inner)
            .await
            .map_err(|err| mount.outer_error(err))
    }

    async fn remove_file(&self, path: &VPath) -> Result<(), VfsError> {
        if self.table.is_mount_point(path) || self.table.is_ancestor(path) {
            return Err(VfsError::is_a_directory(path));
        }
        let Route { mount, inner } = self.writable(path)?;
        mount
            .vfs
            .remove_file(&inner)
            .await
            .map_err(|err| mount.outer_error(err))
    }

    async fn rename(&self, from: &VPath, to: &VPath) -> Result<(), VfsError> {
        for path in [from, to] {
            if self.table.is_mount_point(path) || self.table.is_ancestor(path) {
                return Err(VfsError::permission_denied(path));
            }
        }
        let source = self.table.route(from);
        let target = self.table.route(to);
        if source.mount.index != target.mount.index {
            return Err(VfsError::new(VfsErrorKind::CrossesMount).with_path(to));
        }
        source.mount.check_writable(from)?;
        source
            .mount
            .vfs
            .rename(&source.inner, &target.inner)
            .await
            .map_err(|err| source.mount.outer_error(err))
    }

    async fn set_mtime(&self, path: &VPath, modified: SystemTime) -> Result<(), VfsError> {
        if self.table.is_mount_point(path) {
            return Err(VfsError::permission_denied(path));
        }
        let Route { mount, inner } = self.writable(path)?;
        mount
            .vfs
            .set_mtime(&inner, modified)
            .await
            .map_err(|err| mount.outer_error(err))
    }

    async fn stored_md5(&self, path: &VPath) -> Result<Option<[u8; 16]>, VfsError> {
        if self.table.is_ancestor(path) {
            return Ok(None);
        }
        let Route { mount, inner } = self.table.route(path);
        mount
            .vfs
            .stored_md5(&inner)
            .await
            .map_err(|err| mount.outer_error(err))
    }

    async fn set_permissions(&self, path: &VPath, mode: u32) -> Result<(), VfsError> {
        if self.table.is_mount_point(path) {
            return Err(VfsError::permission_denied(path));
        }
        let Route { mount, inner } = self.writable(path)?;
        mount
            .vfs
            .set_permissions(&inner, mode)
            .await
            .map_err(|err| mount.outer_error(err))
    }

    fn capabilities(&self) -> Capabilities {
        let mut any = Capabilities::none();
        let mut every = Capabilities::none()
            .with_unique_ids(true)
            .with_modes(true)
            .with_non_utf8_names(true);
        for mount in self.table.all() {
            let caps = mount.vfs.capabilities();
            if !mount.read_only {
                any.set_mtime |= caps.set_mtime;
                any.set_permissions |= caps.set_permissions;
                any.append |= caps.append;
                any.resume |= caps.resume;
            }
            any.renames_by_copy |= caps.renames_by_copy;
            every.unique_ids &= caps.unique_ids;
            every.modes &= caps.modes;
            every.non_utf8_names &= caps.non_utf8_names;
        }
        any.with_unique_ids(every.unique_ids)
            .with_modes(every.modes)
            .with_non_utf8_names(every.non_utf8_names)
    }
}

#[cfg(test)]
mod tests;
