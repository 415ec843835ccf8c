//! [`VPath`], the normalised absolute path every back-end receives.

use std::fmt;
use std::str::FromStr;

/// A pathname a client sent that cannot become a [`VPath`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VPathError {
    /// The pathname holds NUL, CR or LF. NUL truncates paths in C code and
    /// CR/LF would break the line-based FTP control channel, so no back-end
    /// ever sees them.
    #[error("path holds forbidden byte 0x{0:02x} (NUL, CR and LF are not allowed)")]
    ForbiddenByte(u8),
    /// [`VPath::join`] was given something that is not exactly one path
    /// component: it was empty, `.`, `..`, or held a `/`.
    #[error("not a single path component (empty, `.`, `..` or holding `/`)")]
    InvalidComponent,
}

/// Returns the first byte that may never appear in a path.
fn forbidden_byte(bytes: &[u8]) -> Option<u8> {
    bytes
        .iter()
        .copied()
        .find(|b| matches!(b, 0 | b'\r' | b'\n'))
}

/// A normalised absolute virtual path such as `/` or `/photos/2024/a.jpg`.
///
/// A `VPath` always starts with `/`, never ends with one (except the root
/// itself), and holds no empty, `.` or `..` components, nor NUL, CR or LF.
/// Components are otherwise arbitrary bytes: clients send UTF-8 (RFC 2640)
/// or legacy code pages, and a back-end decides what it can store.
///
/// The only ways to build one are [`VPath::root`], resolving a client's
/// pathname against a current directory with [`VPath::resolve`] (or
/// [`VPath::parse`], which resolves against the root), and
/// [`VPath::join`]ing one validated component. Resolution clamps `..` at the
/// root, so a `VPath` can never name anything above `/`.
///
/// ```
/// use wharf_vfs::VPath;
///
/// let cwd = VPath::parse("/home/ann")?;
/// assert_eq!(cwd.resolve(b"../bob//notes/./a.txt")?.to_string(), "/home/bob/notes/a.txt");
/// assert_eq!(cwd.resolve(b"../../../../etc/passwd")?.to_string(), "/etc/passwd");
/// assert!(cwd.resolve(b"bad\r\nname").is_err());
/// # Ok::<(), wharf_vfs::VPathError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VPath(Vec<u8>);

impl VPath {
    /// The root directory, `/`.
    pub fn root() -> Self {
        Self(vec![b'/'])
    }

    /// Resolves `pathname` against the root: `parse("a/../b")` is `/b`.
    pub fn parse(pathname: impl AsRef<[u8]>) -> Result<Self, VPathError> {
        Self::root().resolve(pathname)
    }

    /// Resolves a client's `pathname` (absolute or relative) against `self`,
    /// the current directory.
    ///
    /// Repeated and trailing slashes are ignored, `.` is dropped, `..`
    /// removes the previous component and does nothing at the root. An empty
    /// pathname resolves to `self`.
    pub fn resolve(&self, pathname: impl AsRef<[u8]>) -> Result<Self, VPathError> {
        let pathname = pathname.as_ref();
        if let Some(byte) = forbidden_byte(pathname) {
            return Err(VPathError::ForbiddenByte(byte));
        }
        let mut components: Vec<&[u8]> = if pathname.first() == Some(&b'/') {
            Vec::new()
        } else {
            self.components().collect()
        };
        for segment in pathname.split(|b| *b == b'/') {
            match segment {
                b"" | b"." => {}
                b".." => {
                    components.pop();
                }
                name => components.push(name),
            }
        }
        Ok(Self::from_components(&components))
    }

    /// The path of the child `name` of this directory.
    ///
    /// Unlike [`VPath::resolve`], `name` must be exactly one component: not
    /// empty, not `.` or `..`, without `/`, NUL, CR or LF. Back-ends use it to
    /// build paths from the names they list.
    pub fn join(&self, name: impl AsRef<[u8]>) -> Result<Self, VPathError> {
        let name = name.as_ref();
        if let Some(byte) = forbidden_byte(name) {
            return Err(VPathError::ForbiddenByte(byte));
        }
        if matches!(name, b"" | b"." | b"..") || name.contains(&b'/') {
            return Err(VPathError::InvalidComponent);
        }
        let mut bytes = self.0.clone();
        if !self.is_root() {
            bytes.push(b'/');
        }
        bytes.extend_from_slice(name);
        Ok(Self(bytes))
    }

    /// Builds a path from components already known to be valid.
    fn from_components(components: &[&[u8]]) -> Self {
        if components.is_empty() {
            return Self::root();
        }
        let len = components.iter().map(|c| c.len() + 1).sum();
        let mut bytes = Vec::with_capacity(len);
        for component in components {
            bytes.push(b'/');
            bytes.extend_from_slice(component);
        }
        Self(bytes)
    }

    /// Whether this is `/`.
    pub fn is_root(&self) -> bool {
        self.0.len() == 1
    }

    /// The components from the root down; none for `/`.
    ///
    /// ```
    /// # use wharf_vfs::VPath;
    /// let path = VPath::parse("/a/b c")?;
    /// assert_eq!(path.components().collect::<Vec<_>>(), [&b"a"[..], b"b c"]);
    /// # Ok::<(), wharf_vfs::VPathError>(())
    /// ```
    pub fn components(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        self.0[1..].split(|b| *b == b'/').filter(|c| !c.is_empty())
    }

    /// The directory holding this path, or `None` for the root.
    pub fn parent(&self) -> Option<Self> {
        if self.is_root() {
            return None;
        }
        let cut = self.0.iter().rposition(|b| *b == b'/').unwrap_or(0);
        Some(if cut == 0 {
            Self::root()
        } else {
            Self(self.0[..cut].to_vec())
        })
    }

    /// The last component, or `None` for the root.
    pub fn file_name(&self) -> Option<&[u8]> {
        self.components().next_back()
    }

    /// Whether `self` is `ancestor` or lies beneath it, component-wise
    /// (`/ab` does not start with `/a`).
    pub fn starts_with(&self, ancestor: &VPath) -> bool {
        ancestor.is_root()
            || (self.0.starts_with(&ancestor.0)
                && matches!(self.0.get(ancestor.0.len()), None | Some(b'/')))
    }

    /// The path as bytes, starting with `/`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The path as bytes, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The path as UTF-8, with invalid sequences replaced by U+FFFD.
    pub fn to_string_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

impl Default for VPath {
    /// The root, `/`.
    fn default() -> Self {
        Self::root()
    }
}

impl AsRef<[u8]> for VPath {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl FromStr for VPath {
    type Err = VPathError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for VPath {
    type Error = VPathError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl TryFrom<&[u8]> for VPath {
    type Error = VPathError;
    fn try_from(value: &[u8]) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl fmt::Display for VPath {
    /// Lossy UTF-8; use [`VPath::as_bytes`] for the exact bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

impl fmt::Debug for VPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VPath(\"{}\")", self.0.escape_ascii())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> VPath {
        VPath::parse(s).unwrap()
    }

    #[test]
    fn resolves_relative_and_absolute() {
        let cwd = p("/a/b");
        assert_eq!(cwd.resolve(b"c").unwrap(), p("/a/b/c"));
        assert_eq!(cwd.resolve(b"/c").unwrap(), p("/c"));
        assert_eq!(cwd.resolve(b"").unwrap(), cwd);
        assert_eq!(cwd.resolve(b".").unwrap(), cwd);
        assert_eq!(cwd.resolve(b"..").unwrap(), p("/a"));
        assert_eq!(cwd.resolve(b"../../../..").unwrap(), VPath::root());
        assert_eq!(cwd.resolve(b"//x///y//").unwrap().as_bytes(), b"/x/y");
        assert_eq!(cwd.resolve(b"...").unwrap().as_bytes(), b"/a/b/...");
    }

    #[test]
    fn rejects_nul_cr_lf() {
        for bad in [&b"a\0b"[..], b"a\rb", b"a\nb"] {
            assert!(matches!(
                VPath::root().resolve(bad),
                Err(VPathError::ForbiddenByte(_))
            ));
        }
    }

    #[test]
    fn keeps_odd_bytes() {
        let path = VPath::root().resolve(b"caf\xe9 \\x").unwrap();
        assert_eq!(path.as_bytes(), b"/caf\xe9 \\x");
        assert_eq!(path.to_string(), "/caf\u{fffd} \\x");
        assert_eq!(format!("{path:?}"), "VPath(\"/caf\\xe9 \\\\x\")");
    }

    #[test]
    fn parent_name_and_join() {
        let path = p("/a/b");
        assert_eq!(path.parent(), Some(p("/a")));
        assert_eq!(p("/a").parent(), Some(VPath::root()));
        assert_eq!(VPath::root().parent(), None);
        assert_eq!(path.file_name(), Some(&b"b"[..]));
        assert_eq!(VPath::root().file_name(), None);
        assert_eq!(VPath::root().join("x").unwrap(), p("/x"));
        assert_eq!(path.join("x y").unwrap(), p("/a/b/x y"));
        for bad in ["", ".", "..", "a/b"] {
            assert_eq!(path.join(bad), Err(VPathError::InvalidComponent));
        }
        assert_eq!(path.join("a\n"), Err(VPathError::ForbiddenByte(b'\n')));
    }

    #[test]
    fn starts_with_is_component_wise() {
        assert!(p("/a/b").starts_with(&p("/a")));
        assert!(p("/a").starts_with(&p("/a")));
        assert!(p("/a").starts_with(&VPath::root()));
        assert!(!p("/ab").starts_with(&p("/a")));
        assert!(!p("/a").starts_with(&p("/a/b")));
    }
}
