//! [`Capabilities`]: which optional operations a back-end supports.

/// Which optional operations and facts a [`Vfs`](crate::Vfs) supports, so a
/// server advertises only what works (FTP `FEAT`: `MFMT`, `SITE CHMOD`,
/// `REST STREAM`, MLSx facts).
///
/// Start from [`Capabilities::none`] (also the `Default`) and switch on what
/// the back-end does:
///
/// ```
/// use wharf_vfs::Capabilities;
///
/// let caps = Capabilities::none().with_append(true).with_resume(true);
/// assert!(caps.append && !caps.set_mtime);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Capabilities {
    /// [`Vfs::set_mtime`](crate::Vfs::set_mtime) works.
    pub set_mtime: bool,
    /// [`Vfs::set_permissions`](crate::Vfs::set_permissions) works.
    pub set_permissions: bool,
    /// [`WriteMode::Append`](crate::WriteMode::Append) works.
    pub append: bool,
    /// [`WriteMode::Resume`](crate::WriteMode::Resume) works.
    pub resume: bool,
    /// [`Metadata::unique_id`](crate::Metadata::unique_id) is filled in.
    pub unique_ids: bool,
    /// [`Metadata::mode`](crate::Metadata::mode) is filled in.
    pub modes: bool,
    /// Names may hold bytes that are not UTF-8. A back-end that only stores
    /// UTF-8 names refuses others with
    /// [`VfsErrorKind::InvalidName`](crate::VfsErrorKind::InvalidName).
    pub non_utf8_names: bool,
    /// Renaming a directory copies everything in it to the new name and
    /// then deletes the old one (object stores), rather than one atomic
    /// move; a server can say so to the client.
    pub renames_by_copy: bool,
}

impl Capabilities {
    /// Nothing optional supported.
    pub const fn none() -> Self {
        Self {
            set_mtime: false,
            set_permissions: false,
            append: false,
            resume: false,
            unique_ids: false,
            modes: false,
            non_utf8_names: false,
            renames_by_copy: false,
        }
    }

    /// Sets [`Capabilities::set_mtime`].
    #[must_use]
    pub const fn with_set_mtime(mut self, yes: bool) -> Self {
        self.set_mtime = yes;
        self
    }

    /// Sets [`Capabilities::set_permissions`].
    #[must_use]
    pub const fn with_set_permissions(mut self, yes: bool) -> Self {
        self.set_permissions = yes;
        self
    }

    /// Sets [`Capabilities::append`].
    #[must_use]
    pub const fn with_append(mut self, yes: bool) -> Self {
        self.append = yes;
        self
    }

    /// Sets [`Capabilities::resume`].
    #[must_use]
    pub const fn with_resume(mut self, yes: bool) -> Self {
        self.resume = yes;
        self
    }

    /// Sets [`Capabilities::unique_ids`].
    #[must_use]
    pub const fn with_unique_ids(mut self, yes: bool) -> Self {
        self.unique_ids = yes;
        self
    }

    /// Sets [`Capabilities::modes`].
    #[must_use]
    pub const fn with_modes(mut self, yes: bool) -> Self {
        self.modes = yes;
        self
    }

    /// Sets [`Capabilities::non_utf8_names`].
    #[must_use]
    pub const fn with_non_utf8_names(mut self, yes: bool) -> Self {
        self.non_utf8_names = yes;
        self
    }

    /// Sets [`Capabilities::renames_by_copy`].
    #[must_use]
    pub const fn with_renames_by_copy(mut self, yes: bool) -> Self {
        self.renames_by_copy = yes;
        self
    }
}
