//! The in-memory directory tree behind [`MemoryFs`](super::MemoryFs): plain
//! synchronous operations, called with the tree's lock held.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::time::SystemTime;

use bytes::Bytes;

use crate::error::VfsError;
use crate::metadata::{DirEntry, FileKind, Metadata};
use crate::upload::WriteMode;
use crate::vpath::VPath;

/// Permission bits of new files and directories.
const FILE_MODE: u32 = 0o644;
const DIR_MODE: u32 = 0o755;

/// What every node carries besides its content.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stat {
    modified: SystemTime,
    mode: u32,
    id: u64,
}

/// The entries of a directory, by name.
type Children = BTreeMap<Vec<u8>, Node>;

/// A file or a directory.
#[derive(Debug)]
pub(super) enum Node {
    File { data: Bytes, stat: Stat },
    Dir { children: Children, stat: Stat },
}

impl Node {
    fn stat_mut(&mut self) -> &mut Stat {
        match self {
            Self::File { stat, .. } | Self::Dir { stat, .. } => stat,
        }
    }

    pub(super) fn metadata(&self) -> Metadata {
        let (kind, size, stat) = match self {
            Self::File { data, stat } => (FileKind::File, data.len() as u64, stat),
            Self::Dir { stat, .. } => (FileKind::Dir, 0, stat),
        };
        Metadata::new(kind, size)
            .with_modified(stat.modified)
            .with_mode(stat.mode)
            .with_unique_id(format!("{:x}", stat.id))
    }
}

/// The whole file system.
#[derive(Debug)]
pub(super) struct Tree {
    root: Node,
    next_id: u64,
}

impl Tree {
    pub(super) fn new() -> Self {
        Self {
            root: Node::Dir {
                children: BTreeMap::new(),
                stat: Stat {
                    modified: SystemTime::now(),
                    mode: DIR_MODE,
                    id: 0,
                },
            },
            next_id: 0,
        }
    }

    fn new_stat(&mut self, mode: u32) -> Stat {
        self.next_id += 1;
        Stat {
            modified: SystemTime::now(),
            mode,
            id: self.next_id,
        }
    }

    /// The node at `path`.
    pub(super) fn node(&self, path: &VPath) -> Result<&Node, VfsError> {
        let mut node = &self.root;
        for component in path.components() {
            node = match node {
                Node::Dir { children, .. } => children
                    .get(component)
                    .ok_or_else(|| VfsError::not_found(path))?,
                Node::File { .. } => return Err(VfsError::not_a_directory(path)),
            };
        }
        Ok(node)
    }

    /// The node at `path`, mutably.
    fn node_mut(&mut self, path: &VPath) -> Result<&mut Node, VfsError> {
        let mut node = &mut self.root;
        for component in path.components() {
            node = match node {
                Node::Dir { children, .. } => children
                    .get_mut(component)
                    .ok_or_else(|| VfsError::not_found(path))?,
                Node::File { .. } => return Err(VfsError::not_a_directory(path)),
            };
        }
        Ok(node)
    }

    /// The children of the parent directory of `path` (not the root), with
    /// the parent's modification time bumped, and `path`'s last component.
    fn parent_of<'p>(&mut self, path: &'p VPath) -> Result<(&mut Children, &'p [u8]), VfsError> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(VfsError::permission_denied(path));
        };
        match self.node_mut(&parent) {
            Ok(Node::Dir { children, stat }) => {
                stat.modified = SystemTime::now();
                Ok((children, name))
            }
            Ok(Node::File { .. }) => Err(VfsError::not_a_directory(path)),
            Err(err) => Err(VfsError::new(err.kind()).with_path(path)),
        }
    }

    pub(super) fn mkdir(&mut self, path: &VPath) -> Result<(), VfsError> {
        if path.is_root() {
            return Err(VfsError::already_exists(path));
        }
        let stat = self.new_stat(DIR_MODE);
        let (children, name) = self.parent_of(path)?;
        if children.contains_key(name) {
            return Err(VfsError::already_exists(path));
        }
        let dir = Node::Dir {
            children: BTreeMap::new(),
            stat,
        };
        children.insert(name.to_vec(), dir);
        Ok(())
    }

    pub(super) fn rmdir(&mut self, path: &VPath) -> Result<(), VfsError> {
        let (children, name) = self.parent_of(path)?;
        match children.get(name) {
            None => Err(VfsError::not_found(path)),
            Some(Node::File { .. }) => Err(VfsError::not_a_directory(path)),
            Some(Node::Dir {
                children: inner, ..
            }) if !inner.is_empty() => Err(VfsError::directory_not_empty(path)),
            Some(Node::Dir { .. }) => {
                children.remove(name);
                Ok(())
            }
        }
    }

    pub(super) fn remove_file(&mut self, path: &VPath) -> Result<(), VfsError> {
        if path.is_root() {
            return Err(VfsError::is_a_directory(path));
        }
        let (children, name) = self.parent_of(path)?;
        match children.get(name) {
            None => Err(VfsError::not_found(path)),
            Some(Node::Dir { .. }) => Err(VfsError::is_a_directory(path)),
            Some(Node::File { .. }) => {
                children.remove(name);
                Ok(())
            }
        }
    }

    pub(super) fn rename(&mut self, from: &VPath, to: &VPath) -> Result<(), VfsError> {
        if from.is_root() || to.is_root() {
            return Err(VfsError::permission_denied(if from.is_root() {
                from
            } else {
                to
            }));
        }
        let source_is_dir = matches!(self.node(from)?, Node::Dir { .. });
        if from == to {
            return Ok(());
        }
        if source_is_dir && to.starts_with(from) {
            return Err(VfsError::invalid_name(to));
        }
        let (children, name) = self.parent_of(to)?;
        match (children.get(name), source_is_dir) {
            (Some(Node::Dir { .. }), false) => return Err(VfsError::is_a_directory(to)),
            (Some(Node::File { .. }), true) => return Err(VfsError::not_a_directory(to)),
            (
                Some(Node::Dir {
                    children: inner, ..
                }),
                true,
            ) if !inner.is_empty() => {
                return Err(VfsError::directory_not_empty(to));
            }
            _ => {}
        }
        // The target's parent is not inside the source, so taking the source
        // out leaves it in place.
        let (children, name) = self.parent_of(from)?;
        let Some(node) = children.remove(name) else {
            return Err(VfsError::not_found(from));
        };
        let (children, name) = self.parent_of(to)?;
        children.insert(name.to_vec(), node);
        Ok(())
    }

    /// Checks that an upload to `path` in `mode` could be committed now.
    pub(super) fn check_upload(&self, path: &VPath, mode: WriteMode) -> Result<(), VfsError> {
        let parent = path
            .parent()
            .ok_or_else(|| VfsError::is_a_directory(path))?;
        match self.node(&parent) {
            Ok(Node::Dir { .. }) => {}
            Ok(Node::File { .. }) => return Err(VfsError::not_a_directory(path)),
            Err(err) => return Err(VfsError::new(err.kind()).with_path(path)),
        }
        match (self.node(path), mode) {
            (Ok(Node::Dir { .. }), _) => Err(VfsError::is_a_directory(path)),
            (Ok(Node::File { data, .. }), WriteMode::Resume(offset))
                if offset > data.len() as u64 =>
            {
                Err(VfsError::invalid_offset(path))
            }
            (Err(_), WriteMode::Resume(offset)) if offset > 0 => Err(VfsError::not_found(path)),
            _ => Ok(()),
        }
    }

    /// Commits the bytes of an upload.
    pub(super) fn commit(
        &mut self,
        path: &VPath,
        mode: WriteMode,
        bytes: Vec<u8>,
    ) -> Result<(), VfsError> {
        self.check_upload(path, mode)?;
        let stat = self.new_stat(FILE_MODE);
        let (children, name) = self.parent_of(path)?;
        let Some(Node::File { data, stat: old }) = children.get_mut(name) else {
            // check_upload made sure that nothing is in the way.
            children.insert(
                name.to_vec(),
                Node::File {
                    data: bytes.into(),
                    stat,
                },
            );
            return Ok(());
        };
        let keep = match mode {
            WriteMode::Create => {
                *data = bytes.into();
                *old = stat;
                return Ok(());
            }
            WriteMode::Resume(offset) => usize::try_from(offset).unwrap_or(usize::MAX),
            WriteMode::Append => data.len(),
        };
        let mut joined = Vec::with_capacity(keep + bytes.len());
        joined.extend_from_slice(&data[..keep.min(data.len())]);
        joined.extend_from_slice(&bytes);
        *data = joined.into();
        old.modified = stat.modified;
        Ok(())
    }

    pub(super) fn set_mtime(&mut self, path: &VPath, modified: SystemTime) -> Result<(), VfsError> {
        self.node_mut(path)?.stat_mut().modified = modified;
        Ok(())
    }

    pub(super) fn set_mode(&mut self, path: &VPath, mode: u32) -> Result<(), VfsError> {
        self.node_mut(path)?.stat_mut().mode = mode & 0o7777;
        Ok(())
    }

    /// Up to `max` entries of the directory `path` whose names sort after
    /// `after`.
    pub(super) fn list_batch(
        &self,
        path: &VPath,
        after: Option<&[u8]>,
        max: usize,
    ) -> Result<Vec<DirEntry>, VfsError> {
        let Node::Dir { children, .. } = self.node(path)? else {
            return Err(VfsError::not_a_directory(path));
        };
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        Ok(children
            .range::<[u8], _>((start, Bound::Unbounded))
            .take(max)
            .map(|(name, node)| DirEntry::new(name.clone(), node.metadata()))
            .collect())
    }
}
