//! Fact lines for MLSD and MLST (RFC 3659 section 7).
//!
//! ```text
//! entry = [ facts ] SP pathname
//! facts = 1*( fact ";" )
//! fact  = factname "=" value
//! ```
//!
//! On the data connection (MLSD) each entry is a line; in a MLST reply the
//! same line is sent with one leading space. Fact names are case-insensitive;
//! values hold no `;`. `modify` is written to the second, as most clients
//! expect.

use std::io::Write as _;

use super::{DirRole, EntryKind, ListingEntry, NameNotListable, Principal, check_name};
use crate::opts::Fact;

/// The facts a session returns; OPTS MLST changes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FactSet {
    bits: u16,
}

/// The facts this formatter can write, in output order.
const SUPPORTED: [Fact; 7] = [
    Fact::Type,
    Fact::Size,
    Fact::Modify,
    Fact::Perm,
    Fact::Unique,
    Fact::UnixMode,
    Fact::UnixOwner,
];

impl Default for FactSet {
    /// Every supported fact.
    fn default() -> Self {
        Self { bits: 0x7f }
    }
}

impl FactSet {
    /// No fact at all.
    pub const EMPTY: Self = Self { bits: 0 };

    /// The supported facts among `facts`; unknown ones are ignored, as RFC
    /// 3659 section 7.9 asks.
    pub fn from_facts(facts: &[Fact]) -> Self {
        let bits = SUPPORTED
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                facts.contains(f) || (**f == Fact::UnixOwner && facts.contains(&Fact::UnixGroup))
            })
            .fold(0, |bits, (i, _)| bits | 1 << i);
        Self { bits }
    }

    /// Whether `fact` is in the set.
    pub fn contains(&self, fact: &Fact) -> bool {
        SUPPORTED
            .iter()
            .position(|f| f == fact || (*fact == Fact::UnixGroup && *f == Fact::UnixOwner))
            .is_some_and(|i| self.bits & 1 << i != 0)
    }

    /// The FEAT line body: every supported fact, each followed by `*` when
    /// it is in this set (`type*;size*;modify*;perm;...`).
    pub fn feat_line(&self) -> String {
        let mut line = String::new();
        for fact in SUPPORTED.iter().chain([&Fact::UnixGroup]) {
            line.push_str(fact.name());
            if self.contains(fact) {
                line.push('*');
            }
            line.push(';');
        }
        line
    }

    /// The OPTS MLST reply body: the facts now selected, each followed by `;`.
    pub fn selected_line(&self) -> String {
        let mut line = String::new();
        for fact in SUPPORTED.iter().chain([&Fact::UnixGroup]) {
            if self.contains(fact) {
                line.push_str(fact.name());
                line.push(';');
            }
        }
        line
    }
}

/// The `perm` fact: what the user may do with an entry (RFC 3659 7.5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Perms(u16);

impl Perms {
    /// No permission.
    pub const NONE: Self = Self(0);
    /// `a`: APPE to the file.
    pub const APPEND: Self = Self(1);
    /// `c`: create files in the directory.
    pub const CREATE: Self = Self(1 << 1);
    /// `d`: delete the entry.
    pub const DELETE: Self = Self(1 << 2);
    /// `e`: enter the directory.
    pub const ENTER: Self = Self(1 << 3);
    /// `f`: rename the entry.
    pub const RENAME: Self = Self(1 << 4);
    /// `l`: list the directory.
    pub const LIST: Self = Self(1 << 5);
    /// `m`: make directories in it.
    pub const MKDIR: Self = Self(1 << 6);
    /// `p`: purge (delete entries in) the directory.
    pub const PURGE: Self = Self(1 << 7);
    /// `r`: RETR the file.
    pub const READ: Self = Self(1 << 8);
    /// `w`: STOR to the file.
    pub const WRITE: Self = Self(1 << 9);

    const LETTERS: [(Self, u8); 10] = [
        (Self::APPEND, b'a'),
        (Self::CREATE, b'c'),
        (Self::DELETE, b'd'),
        (Self::ENTER, b'e'),
        (Self::RENAME, b'f'),
        (Self::LIST, b'l'),
        (Self::MKDIR, b'm'),
        (Self::PURGE, b'p'),
        (Self::READ, b'r'),
        (Self::WRITE, b'w'),
    ];

    /// Both sets.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether every permission of `other` is here.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The usual permissions of an entry for a user who may or may not
    /// write.
    pub fn for_kind(kind: EntryKind, writable: bool) -> Self {
        match (kind, writable) {
            (EntryKind::Dir, false) => Self::ENTER.union(Self::LIST),
            (EntryKind::Dir, true) => Self::ENTER
                .union(Self::LIST)
                .union(Self::CREATE)
                .union(Self::DELETE)
                .union(Self::RENAME)
                .union(Self::MKDIR)
                .union(Self::PURGE),
            (_, false) => Self::READ,
            (_, true) => Self::READ
                .union(Self::APPEND)
                .union(Self::DELETE)
                .union(Self::RENAME)
                .union(Self::WRITE),
        }
    }

    /// The letters, in RFC order.
    pub fn letters(self) -> String {
        self.letter_bytes().map(char::from).collect()
    }

    fn letter_bytes(self) -> impl Iterator<Item = u8> {
        Self::LETTERS
            .into_iter()
            .filter(move |(p, _)| self.contains(*p))
            .map(|(_, c)| c)
    }
}

/// Appends the MLSx line of `entry` (facts, a space, the name), without
/// `<CRLF>` and without the leading space of MLST replies.
pub fn format_mlsx_line(
    entry: &ListingEntry<'_>,
    facts: FactSet,
    out: &mut Vec<u8>,
) -> Result<(), NameNotListable> {
    check_name(entry.name)?;
    // Written straight into `out`: MLSD of 10,000 entries formats 10,000
    // lines (see `benches/listing.rs`).
    if facts.contains(&Fact::Type) {
        let kind = match (entry.role, entry.kind) {
            (DirRole::Current, _) => "cdir",
            (DirRole::Parent, _) => "pdir",
            (DirRole::Entry, EntryKind::Dir) => "dir",
            (DirRole::Entry, EntryKind::File) => "file",
            (DirRole::Entry, EntryKind::Symlink) => "OS.unix=symlink",
        };
        let _ = write!(out, "type={kind};");
    }
    // Writing into a Vec cannot fail, hence the ignored results below.
    if facts.contains(&Fact::Size) && entry.kind != EntryKind::Dir {
        let _ = write!(out, "size={};", entry.size);
    }
    if let (true, Some(modified)) = (facts.contains(&Fact::Modify), entry.modified) {
        out.extend_from_slice(b"modify=");
        modified.truncate_to_seconds().encode(out);
        out.push(b';');
    }
    if facts.contains(&Fact::Perm) {
        out.extend_from_slice(b"perm=");
        out.extend(entry.perms.letter_bytes());
        out.push(b';');
    }
    if let (true, Some(unique)) = (facts.contains(&Fact::Unique), entry.unique)
        && unique.bytes().any(fact_byte)
    {
        out.extend_from_slice(b"unique=");
        out.extend(unique.bytes().filter(|&b| fact_byte(b)));
        out.push(b';');
    }
    if let (true, Some(mode)) = (facts.contains(&Fact::UnixMode), entry.mode) {
        let _ = write!(out, "UNIX.mode=0{:o};", mode & 0o7777);
    }
    if facts.contains(&Fact::UnixOwner) {
        for (fact, value) in [("UNIX.owner", entry.owner), ("UNIX.group", entry.group)] {
            match value {
                Some(Principal::Id(id)) => {
                    let _ = write!(out, "{fact}={id};");
                }
                Some(Principal::Name(name)) if name.bytes().any(fact_byte) => {
                    let _ = write!(out, "{fact}=");
                    out.extend(name.bytes().filter(|&b| fact_byte(b)));
                    out.push(b';');
                }
                _ => {}
            }
        }
    }
    out.push(b' ');
    out.extend_from_slice(entry.name);
    Ok(())
}

/// Bytes a fact value may hold: printable ASCII except the `;` that ends
/// a fact.
fn fact_byte(b: u8) -> bool {
    b.is_ascii_graphic() && b != b';'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;

    #[test]
    fn file_line_with_every_fact() {
        let entry = ListingEntry {
            size: 1024,
            modified: Some(Timestamp::parse(b"20240102030405.678").unwrap()),
            mode: Some(0o640),
            unique: Some("fd01;2a"),
            perms: Perms::for_kind(EntryKind::File, true),
            owner: Some(Principal::Id(1000)),
            group: Some(Principal::Name("staff")),
            ..ListingEntry::new(b"report 1.pdf", EntryKind::File)
        };
        let mut out = Vec::new();
        format_mlsx_line(&entry, FactSet::default(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "type=file;size=1024;modify=20240102030405;perm=adfrw;unique=fd012a;\
             UNIX.mode=0640;UNIX.owner=1000;UNIX.group=staff; report 1.pdf"
        );
    }

    #[test]
    fn directories_roles_and_selection() {
        let facts = FactSet::from_facts(&[Fact::Type, Fact::Size, Fact::Perm]);
        let dir = ListingEntry {
            perms: Perms::for_kind(EntryKind::Dir, false),
            ..ListingEntry::new(b"pub", EntryKind::Dir)
        };
        let mut out = Vec::new();
        format_mlsx_line(&dir, facts, &mut out).unwrap();
        assert_eq!(out, b"type=dir;perm=el; pub");
        let cdir = ListingEntry {
            role: DirRole::Current,
            ..dir
        };
        out.clear();
        format_mlsx_line(&cdir, FactSet::from_facts(&[Fact::Type]), &mut out).unwrap();
        assert_eq!(out, b"type=cdir; pub");
        out.clear();
        format_mlsx_line(&cdir, FactSet::EMPTY, &mut out).unwrap();
        assert_eq!(out, b" pub");
    }

    #[test]
    fn feat_and_opts_lines() {
        let facts = FactSet::from_facts(&[Fact::Type, Fact::Modify]);
        assert_eq!(
            facts.feat_line(),
            "type*;size;modify*;perm;unique;UNIX.mode;UNIX.owner;UNIX.group;"
        );
        assert_eq!(facts.selected_line(), "type;modify;");
        assert!(FactSet::default().feat_line().starts_with("type*;size*;"));
    }
}
