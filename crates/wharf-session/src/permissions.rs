//! What a user may do, per path: [`Permission`], the set [`Permissions`],
//! and [`PathRules`] (a default and rules by path prefix, the longest
//! prefix winning), carried by every [`Login`](crate::Login).
//!
//! | verb | needs, on the path it names |
//! |---|---|
//! | LIST, NLST, MLSD, MLST, STAT path | `list` (LIST -R skips subdirectories without it) |
//! | RETR, HASH, XCRC/XMD5/XSHA* | `download` |
//! | SIZE, MDTM | `list` or `download` |
//! | STOR, STOU | `upload`, and `overwrite` when the file exists |
//! | APPE, REST + STOR | `upload`, and `overwrite` when the file exists |
//! | DELE | `delete` |
//! | RNFR / RNTO | `rename` on both names, and `overwrite` when RNTO replaces a file |
//! | MKD | `mkdir` |
//! | RMD | `rmdir` |
//! | SITE CHMOD, MFMT, SITE UTIME | `chmod` |
//! | CWD, CDUP, PWD | nothing (a user may pass through a folder they cannot list) |

use std::fmt;
use std::str::FromStr;

use wharf_vfs::VPath;

/// One thing a user may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See what a folder holds, or what a path is: LIST, NLST, MLSD, MLST.
    List,
    /// Read a file's bytes: RETR and the checksum commands.
    Download,
    /// Store a new file: STOR, STOU, APPE.
    Upload,
    /// Change an existing file's bytes: STOR over it, APPE and REST+STOR
    /// onto it, RNTO over it.
    Overwrite,
    /// Remove a file: DELE.
    Delete,
    /// Rename or move a file or folder: RNFR and RNTO.
    Rename,
    /// Create a folder: MKD.
    Mkdir,
    /// Remove an empty folder: RMD.
    Rmdir,
    /// Change permission bits or modification times: SITE CHMOD, MFMT,
    /// SITE UTIME.
    Chmod,
}

impl Permission {
    /// Every permission, in the order of this type.
    pub const ALL: [Self; 9] = [
        Self::List,
        Self::Download,
        Self::Upload,
        Self::Overwrite,
        Self::Delete,
        Self::Rename,
        Self::Mkdir,
        Self::Rmdir,
        Self::Chmod,
    ];

    /// The name used in replies and configuration files, such as
    /// `"upload"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::List => "list",
            Self::Download => "download",
            Self::Upload => "upload",
            Self::Overwrite => "overwrite",
            Self::Delete => "delete",
            Self::Rename => "rename",
            Self::Mkdir => "mkdir",
            Self::Rmdir => "rmdir",
            Self::Chmod => "chmod",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no [`Permission`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown permission {0:?} (expected list, download, upload, overwrite, delete, rename, mkdir, rmdir or chmod)"
)]
pub struct UnknownPermission(pub String);

impl FromStr for Permission {
    type Err = UnknownPermission;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| UnknownPermission(name.to_owned()))
    }
}

/// A set of [`Permission`]s.
///
/// ```
/// use wharf_session::{Permission, Permissions};
///
/// let set = Permissions::READ_ONLY.with(Permission::Upload);
/// assert!(set.contains(Permission::Download) && set.contains(Permission::Upload));
/// assert!(!set.contains(Permission::Overwrite));
/// assert_eq!(set.to_string(), "list, download, upload");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Permissions(u16);

impl Permissions {
    /// Nothing allowed.
    pub const NONE: Self = Self(0);
    /// Everything allowed: a writable account.
    pub const ALL: Self = Self((1 << Permission::ALL.len()) - 1);
    /// `list` and `download`: a read-only account.
    pub const READ_ONLY: Self =
        Self((1 << Permission::List as u16) | (1 << Permission::Download as u16));

    /// The same set with `permission` added.
    #[must_use]
    pub fn with(self, permission: Permission) -> Self {
        Self(self.0 | permission.bit())
    }

    /// The same set without `permission`.
    #[must_use]
    pub fn without(self, permission: Permission) -> Self {
        Self(self.0 & !permission.bit())
    }

    /// Whether `permission` is in the set.
    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// The permissions in the set, in [`Permission::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        iter.into_iter().fold(Self::NONE, Self::with)
    }
}

impl fmt::Display for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for permission in self.iter() {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            f.write_str(permission.name())?;
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Permissions({self})")
    }
}

/// What a user may do where: a default for the whole tree and rules for
/// path prefixes. The rule with the longest prefix a path lies under
/// (component-wise: a rule for `/pub` covers `/pub` and `/pub/a`, not
/// `/public`) decides; a rule replaces the default, it does not add to it.
///
/// ```
/// use wharf_session::{PathRules, Permission, Permissions};
/// use wharf_vfs::VPath;
///
/// // Read-only, but uploads (and nothing else) into /incoming.
/// let rules = PathRules::read_only().with_rule(
///     VPath::parse("/incoming")?,
///     Permissions::NONE.with(Permission::Upload),
/// );
/// assert!(rules.at(&VPath::parse("/pub/a.txt")?).contains(Permission::Download));
/// assert!(rules.at(&VPath::parse("/incoming/new.txt")?).contains(Permission::Upload));
/// assert!(!rules.at(&VPath::parse("/incoming")?).contains(Permission::List));
/// # Ok::<(), wharf_vfs::VPathError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRules {
    default: Permissions,
    /// Longest prefix first, so the first match decides.
    rules: Vec<(VPath, Permissions)>,
}

impl PathRules {
    /// `default` everywhere, no rules yet.
    pub fn new(default: Permissions) -> Self {
        Self {
            default,
            rules: Vec::new(),
        }
    }

    /// Everything allowed everywhere: a writable account.
    pub fn full() -> Self {
        Self::new(Permissions::ALL)
    }

    /// `list` and `download` everywhere: a read-only account.
    pub fn read_only() -> Self {
        Self::new(Permissions::READ_ONLY)
    }

    /// The anonymous preset: `list` and `download` everywhere, what
    /// anonymous FTP has always allowed. Add a rule for a drop box, such as
    /// `upload` alone on `/incoming`.
    pub fn anonymous() -> Self {
        Self::read_only()
    }

    /// The same rules with `permissions` for `prefix` and everything below
    /// it (replacing an earlier rule for the same prefix; a rule for `/`
    /// replaces the default).
    #[must_use]
    pub fn with_rule(mut self, prefix: VPath, permissions: Permissions) -> Self {
        if prefix.is_root() {
            self.default = permissions;
            return self;
        }
        self.rules.retain(|(p, _)| *p != prefix);
        self.rules.push((prefix, permissions));
        self.rules
            .sort_by_key(|(p, _)| std::cmp::Reverse(p.as_bytes().len()));
        self
    }

    /// The permissions that hold at `path`.
    pub fn at(&self, path: &VPath) -> Permissions {
        self.rules
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix))
            .map_or(self.default, |(_, permissions)| *permissions)
    }

    /// The permissions that hold at the entry `name` of the directory
    /// `dir`, as [`PathRules::at`] of the joined path, without building it.
    pub fn at_entry(&self, dir: &VPath, name: &[u8]) -> Permissions {
        self.rules
            .iter()
            .find(|(prefix, _)| dir.starts_with(prefix) || is_entry(prefix, dir, name))
            .map_or(self.default, |(_, permissions)| *permissions)
    }

    /// Whether `permission` holds at `path`.
    pub fn allows(&self, path: &VPath, permission: Permission) -> bool {
        self.at(path).contains(permission)
    }

    /// Whether nothing may change anywhere: no rule, nor the default,
    /// grants more than `list` and `download` (the login's `230` says
    /// "read-only").
    pub fn is_read_only(&self) -> bool {
        let reads = |p: Permissions| p.0 & !Permissions::READ_ONLY.0 == 0;
        reads(self.default) && self.rules.iter().all(|(_, p)| reads(*p))
    }

    /// The permissions at `/` (the default) when no rule is given.
    pub fn default_permissions(&self) -> Permissions {
        self.default
    }
}

impl Default for PathRules {
    /// [`PathRules::full`].
    fn default() -> Self {
        Self::full()
    }
}

/// Whether `path` is the entry `name` of `dir`.
fn is_entry(path: &VPath, dir: &VPath, name: &[u8]) -> bool {
    let bytes = path.as_bytes();
    let dir = dir.as_bytes();
    let dir = if dir == b"/" { &b""[..] } else { dir };
    bytes.len() == dir.len() + 1 + name.len()
        && bytes.starts_with(dir)
        && bytes[dir.len()] == b'/'
        && bytes.ends_with(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> VPath {
        VPath::parse(s).unwrap()
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for permission in Permission::ALL {
            assert_eq!(permission.name().parse::<Permission>(), Ok(permission));
        }
        assert_eq!(
            "write".parse::<Permission>(),
            Err(UnknownPermission("write".into()))
        );
        assert_eq!(Permissions::ALL.iter().count(), 9);
        assert_eq!(Permissions::NONE.to_string(), "none");
        assert_eq!(Permissions::READ_ONLY.to_string(), "list, download");
        let set: Permissions = [Permission::Mkdir, Permission::Chmod].into_iter().collect();
        assert_eq!(set.without(Permission::Chmod).to_string(), "mkdir");
    }

    #[test]
    fn the_longest_prefix_wins_component_wise() {
        let upload = Permissions::NONE.with(Permission::Upload);
        let rules = PathRules::read_only()
            .with_rule(p("/pub"), Permissions::ALL)
            .with_rule(p("/pub/in"), upload);
        assert_eq!(rules.at(&p("/")), Permissions::READ_ONLY);
        assert_eq!(rules.at(&p("/public")), Permissions::READ_ONLY);
        assert_eq!(rules.at(&p("/pub")), Permissions::ALL);
        assert_eq!(rules.at(&p("/pub/x")), Permissions::ALL);
        assert_eq!(rules.at(&p("/pub/in")), upload);
        assert_eq!(rules.at(&p("/pub/in/deep/f")), upload);
        assert_eq!(rules.at(&p("/pub/inner")), Permissions::ALL);
        // The same prefix again replaces; `/` replaces the default.
        let rules = rules
            .with_rule(p("/pub/in"), Permissions::NONE)
            .with_rule(p("/"), Permissions::NONE);
        assert_eq!(rules.at(&p("/pub/in/f")), Permissions::NONE);
        assert_eq!(rules.at(&p("/etc")), Permissions::NONE);
    }

    #[test]
    fn entries_match_the_joined_path() {
        let rules = PathRules::full()
            .with_rule(p("/a/b"), Permissions::READ_ONLY)
            .with_rule(p("/c"), Permissions::NONE);
        for (dir, name) in [
            ("/a", "b"),
            ("/a", "bc"),
            ("/", "a"),
            ("/", "c"),
            ("/a/b", "x"),
        ] {
            let joined = p(dir).join(name).unwrap();
            assert_eq!(
                rules.at_entry(&p(dir), name.as_bytes()),
                rules.at(&joined),
                "{dir} {name}"
            );
        }
        assert_eq!(rules.at_entry(&p("/"), b"c"), Permissions::NONE);
    }

    #[test]
    fn presets_match_the_old_writable_flag() {
        assert_eq!(PathRules::full().at(&p("/x")), Permissions::ALL);
        assert_eq!(PathRules::read_only().at(&p("/x")), Permissions::READ_ONLY);
        assert_eq!(PathRules::anonymous(), PathRules::read_only());
        assert!(PathRules::read_only().is_read_only());
        assert!(!PathRules::full().is_read_only());
        let drop_box =
            PathRules::anonymous().with_rule(p("/in"), Permissions::NONE.with(Permission::Upload));
        assert!(!drop_box.is_read_only());
    }
}
