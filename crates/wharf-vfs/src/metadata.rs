//! [`Metadata`] and [`DirEntry`]: what a back-end knows about a name.

use std::time::SystemTime;

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileKind {
    /// A regular file (a blob, an object).
    File,
    /// A directory (a container, a bucket, a common prefix).
    Dir,
    /// A symbolic link the back-end does not follow, for instance one that
    /// dangles or points outside a jail. Links a back-end can follow are
    /// reported as what they point to.
    Symlink,
}

/// What a back-end knows about a file or directory.
///
/// Build one with [`Metadata::file`], [`Metadata::dir`] or [`Metadata::new`]
/// and the `with_*` methods; fields a back-end cannot know stay `None`.
///
/// ```
/// use std::time::SystemTime;
/// use wharf_vfs::{FileKind, Metadata};
///
/// let meta = Metadata::file(1024).with_modified(SystemTime::UNIX_EPOCH).with_mode(0o644);
/// assert_eq!(meta.kind, FileKind::File);
/// assert_eq!(meta.unique_id, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metadata {
    /// File, directory or unfollowed symlink.
    pub kind: FileKind,
    /// Size in bytes; 0 for directories where the back-end has no better
    /// answer.
    pub size: u64,
    /// Last modification time, where known (`MDTM`, MLSx `modify`).
    pub modified: Option<SystemTime>,
    /// Unix permission bits (`0o7777` at most), where the back-end has them.
    pub mode: Option<u32>,
    /// A stable identifier that stays the same for the life of the object
    /// and differs between objects (MLSx `unique`), where the back-end has
    /// one. It should be printable ASCII without spaces or semicolons.
    pub unique_id: Option<String>,
    /// The numeric owner and group (Unix uid and gid), where the back-end
    /// has them (LIST's columns, MLSx `UNIX.owner` and `UNIX.group`).
    pub owner: Option<(u32, u32)>,
}

impl Metadata {
    /// Metadata of `kind` and `size`, with nothing else known.
    pub fn new(kind: FileKind, size: u64) -> Self {
        Self {
            kind,
            size,
            modified: None,
            mode: None,
            unique_id: None,
            owner: None,
        }
    }

    /// A regular file of `size` bytes.
    pub fn file(size: u64) -> Self {
        Self::new(FileKind::File, size)
    }

    /// A directory.
    pub fn dir() -> Self {
        Self::new(FileKind::Dir, 0)
    }

    /// Sets the modification time.
    #[must_use]
    pub fn with_modified(mut self, modified: SystemTime) -> Self {
        self.modified = Some(modified);
        self
    }

    /// Sets the Unix permission bits (masked to `0o7777`).
    #[must_use]
    pub fn with_mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode & 0o7777);
        self
    }

    /// Sets the unique identifier.
    #[must_use]
    pub fn with_unique_id(mut self, id: impl Into<String>) -> Self {
        self.unique_id = Some(id.into());
        self
    }

    /// Sets the numeric owner and group.
    #[must_use]
    pub fn with_owner(mut self, uid: u32, gid: u32) -> Self {
        self.owner = Some((uid, gid));
        self
    }

    /// Whether this is a regular file.
    pub fn is_file(&self) -> bool {
        self.kind == FileKind::File
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == FileKind::Dir
    }
}

/// One entry of a directory listing: a name and its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirEntry {
    /// The entry's name within its directory: one path component, any bytes
    /// but `/`, NUL, CR and LF (never `.` or `..`).
    pub name: Vec<u8>,
    /// What the name refers to.
    pub metadata: Metadata,
}

impl DirEntry {
    /// An entry called `name`.
    pub fn new(name: impl Into<Vec<u8>>, metadata: Metadata) -> Self {
        Self {
            name: name.into(),
            metadata,
        }
    }

    /// The name as UTF-8, with invalid sequences replaced by U+FFFD.
    pub fn name_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }
}
