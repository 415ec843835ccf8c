//! The mount table: which back-end serves a path, and what a path means to
//! the table itself (a mount point, an ancestor of one).

use std::sync::Arc;

use crate::error::VfsError;
use crate::vfs::Vfs;
use crate::vpath::VPath;

/// Why a mount could not be added to a [`MountFs`](super::MountFs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MountError {
    /// A mount at `/` would hide the root back-end entirely; give that
    /// back-end as the root instead.
    #[error("cannot mount at /: that is the root back-end's place")]
    AtRoot,
    /// Two mounts at the same path.
    #[error("{0} is mounted twice")]
    Duplicate(VPath),
}

/// One back-end of the table: the root (at `/`, index 0) or a mount.
pub(super) struct Mount {
    /// Where it appears.
    pub(super) at: VPath,
    /// What serves it.
    pub(super) vfs: Arc<dyn Vfs>,
    /// Whether every change below `at` is refused.
    pub(super) read_only: bool,
    /// Its place in the order mounts were added (0: the root), which tags
    /// its unique ids.
    pub(super) index: usize,
}

/// A path routed to the back-end that serves it.
pub(super) struct Route<'a> {
    /// The back-end.
    pub(super) mount: &'a Mount,
    /// The path as that back-end knows it: the mount's prefix stripped.
    pub(super) inner: VPath,
}

impl Mount {
    /// `inner` of this back-end as a path of the whole tree.
    pub(super) fn outer(&self, inner: &VPath) -> VPath {
        if self.at.is_root() {
            return inner.clone();
        }
        let mut bytes = self.at.as_bytes().to_vec();
        bytes.extend_from_slice(inner.as_bytes());
        // Both halves are normalised already, so this cannot fail; fall
        // back to the mount point rather than panic.
        VPath::parse(bytes).unwrap_or_else(|_| self.at.clone())
    }

    /// `err` from this back-end, naming the path of the whole tree.
    pub(super) fn outer_error(&self, err: VfsError) -> VfsError {
        match err.path() {
            Some(inner) => {
                let outer = self.outer(inner);
                err.with_path(&outer)
            }
            None => err,
        }
    }

    /// The refusal of a change below a read-only mount.
    pub(super) fn check_writable(&self, path: &VPath) -> Result<(), VfsError> {
        if self.read_only {
            return Err(VfsError::permission_denied(path).with_source(ReadOnly(self.at.clone())));
        }
        Ok(())
    }
}

/// The source of a read-only mount's refusal, for logs.
#[derive(Debug, thiserror::Error)]
#[error("{0} is mounted read-only")]
struct ReadOnly(VPath);

/// The root back-end and the mounts, deepest first, so that the first
/// mount a path lies under is the one that serves it.
pub(super) struct Table {
    root: Mount,
    mounts: Vec<Mount>,
}

impl Table {
    /// A table with `root` at `/` and no mounts.
    pub(super) fn new(root: Arc<dyn Vfs>) -> Self {
        Self {
            root: Mount {
                at: VPath::root(),
                vfs: root,
                read_only: false,
                index: 0,
            },
            mounts: Vec::new(),
        }
    }

    /// Adds a mount, keeping the deepest first.
    pub(super) fn add(
        &mut self,
        at: VPath,
        vfs: Arc<dyn Vfs>,
        read_only: bool,
    ) -> Result<(), MountError> {
        if at.is_root() {
            return Err(MountError::AtRoot);
        }
        if self.mounts.iter().any(|m| m.at == at) {
            return Err(MountError::Duplicate(at));
        }
        let index = self.mounts.len() + 1;
        self.mounts.push(Mount {
            at,
            vfs,
            read_only,
            index,
        });
        self.mounts
            .sort_by_key(|m| std::cmp::Reverse(m.at.components().count()));
        Ok(())
    }

    /// Every back-end, the root first.
    pub(super) fn all(&self) -> impl Iterator<Item = &Mount> {
        std::iter::once(&self.root).chain(&self.mounts)
    }

    /// The back-end serving `path`: the deepest mount it lies under.
    pub(super) fn route(&self, path: &VPath) -> Route<'_> {
        let mount = self
            .mounts
            .iter()
            .find(|m| path.starts_with(&m.at))
            .unwrap_or(&self.root);
        let inner = if mount.at.is_root() {
            path.clone()
        } else {
            VPath::parse(&path.as_bytes()[mount.at.as_bytes().len()..])
                .unwrap_or_else(|_| VPath::root())
        };
        Route { mount, inner }
    }

    /// Whether a mount sits exactly at `path`.
    pub(super) fn is_mount_point(&self, path: &VPath) -> bool {
        !path.is_root() && self.mounts.iter().any(|m| &m.at == path)
    }

    /// Whether a mount lies strictly below `path` (the root is an ancestor
    /// of every mount, and of nothing when there is none).
    pub(super) fn is_ancestor(&self, path: &VPath) -> bool {
        self.mounts
            .iter()
            .any(|m| m.at != *path && m.at.starts_with(path))
    }

    /// The names directly in the directory `dir` that the table places
    /// there: mount points and their ancestors, each once, with whether
    /// the name is itself a mount point.
    pub(super) fn children(&self, dir: &VPath) -> Vec<(Vec<u8>, Option<&Mount>)> {
        let depth = dir.components().count();
        let mut names: Vec<(Vec<u8>, Option<&Mount>)> = Vec::new();
        for mount in &self.mounts {
            if mount.at == *dir || !mount.at.starts_with(dir) {
                continue;
            }
            let Some(name) = mount.at.components().nth(depth) else {
                continue;
            };
            let at_point = mount.at.components().count() == depth + 1;
            match names.iter_mut().find(|(n, _)| n == name) {
                Some(entry) if at_point => entry.1 = Some(mount),
                Some(_) => {}
                None => names.push((name.to_vec(), at_point.then_some(mount))),
            }
        }
        names
    }
}
