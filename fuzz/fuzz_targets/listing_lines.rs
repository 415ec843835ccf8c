//! Arbitrary entries (names of any bytes, owners, modes, sizes, times,
//! fact selections) through the LIST, NLST and MLSx formatters, each line
//! read back:
//!
//! - a name holding CR or LF is refused, any other is formatted;
//! - a line holds no CR or LF (no reply or listing injection);
//! - the `ls -l` columns read back to the entry's mode letters, links,
//!   size and name (with ` -> target` for links);
//! - the MLSx line is RFC 3659 7.2's `entry = [ facts ] SP pathname`,
//!   `facts = 1*( fact ";" )`, `fact = factname "=" value`: the facts are
//!   the selected ones in order, each value of printable ASCII without `;`,
//!   and they read back to the entry (type, size, modify, perm, mode).
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use wharf_proto::listing::{
    DirRole, EntryKind, FactSet, ListingEntry, Perms, Principal, format_list_line,
    format_mlsx_line, format_nlst_line,
};
use wharf_proto::opts::Fact;
use wharf_proto::timestamp::Timestamp;

const FACTS: [Fact; 8] = [
    Fact::Type,
    Fact::Size,
    Fact::Modify,
    Fact::Perm,
    Fact::Unique,
    Fact::UnixMode,
    Fact::UnixOwner,
    Fact::UnixGroup,
];

fuzz_target!(|data: &[u8]| {
    let _ = check(&mut Unstructured::new(data));
});

fn check(u: &mut Unstructured<'_>) -> Result<()> {
    let kind = *u.choose(&[EntryKind::File, EntryKind::Dir, EntryKind::Symlink])?;
    let role = *u.choose(&[DirRole::Entry, DirRole::Current, DirRole::Parent])?;
    let owner_name: &str = u.arbitrary()?;
    let group_name: &str = u.arbitrary()?;
    let unique: &str = u.arbitrary()?;
    let principal = |u: &mut Unstructured<'_>, name| -> Result<Option<Principal<'_>>> {
        Ok(match u.int_in_range(0..=2u8)? {
            0 => None,
            1 => Some(Principal::Id(u.arbitrary()?)),
            _ => Some(Principal::Name(name)),
        })
    };
    let owner = principal(u, owner_name)?;
    let group = principal(u, group_name)?;
    let modified = match u.arbitrary::<Option<(i64, u32)>>()? {
        Some((secs, nanos)) => Timestamp::from_unix(secs, nanos),
        None => None,
    };
    let now = Timestamp::from_unix(u.arbitrary()?, 0).unwrap_or(Timestamp::MIN);
    let mut perms = Perms::NONE;
    for p in [
        Perms::APPEND,
        Perms::CREATE,
        Perms::DELETE,
        Perms::ENTER,
        Perms::READ,
    ] {
        if u.arbitrary()? {
            perms = perms.union(p);
        }
    }
    let selected: Vec<Fact> = FACTS
        .iter()
        .filter(|_| u.arbitrary().unwrap_or(false))
        .cloned()
        .collect();
    let facts = FactSet::from_facts(&selected);
    let mode: Option<u32> = u.arbitrary()?;
    let link_target: Option<&[u8]> = u.arbitrary()?;
    let name: &[u8] = u.arbitrary()?;
    let entry = ListingEntry {
        name,
        kind,
        role,
        size: u.arbitrary()?,
        modified,
        mode: mode.map(|m| m & 0o7777),
        links: u.arbitrary()?,
        owner,
        group,
        unique: Some(unique),
        perms,
        link_target,
    };
    let listable = |bytes: &[u8]| !bytes.contains(&b'\r') && !bytes.contains(&b'\n');

    let mut line = Vec::new();
    let listed = format_list_line(&entry, now, &mut line);
    // A link target is checked whatever the kind: a line never carries one unchecked.
    let target_listable = link_target.is_none_or(listable);
    assert_eq!(listed.is_ok(), listable(name) && target_listable);
    if listed.is_ok() {
        assert!(listable(&line), "LIST line with a line break: {line:?}");
        check_list_line(&line, &entry);
    }

    let mut line = Vec::new();
    assert_eq!(format_nlst_line(name, &mut line).is_ok(), listable(name));
    if listable(name) {
        assert_eq!(line, name);
    }

    let mut line = Vec::new();
    let listed = format_mlsx_line(&entry, facts, &mut line);
    assert_eq!(listed.is_ok(), listable(name));
    if listed.is_ok() {
        assert!(listable(&line), "MLSx line with a line break: {line:?}");
        check_mlsx_line(&line, &entry, facts);
    }
    Ok(())
}

/// The next space-separated column of an `ls -l` line and the rest after
/// the one space that ends it.
fn column(line: &[u8]) -> (&[u8], &[u8]) {
    let start = line.iter().position(|&b| b != b' ').unwrap_or(line.len());
    let line = &line[start..];
    let end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
    (&line[..end], line.get(end + 1..).unwrap_or_default())
}

fn check_list_line(line: &[u8], entry: &ListingEntry<'_>) {
    let (mode, rest) = column(line);
    assert_eq!(mode.len(), 10, "{line:?}");
    let type_char = match entry.kind {
        EntryKind::File => b'-',
        EntryKind::Dir => b'd',
        EntryKind::Symlink => b'l',
    };
    assert_eq!(mode[0], type_char);
    let (links, rest) = column(rest);
    assert_eq!(links, entry.links.to_string().as_bytes());
    let (owner, rest) = column(rest);
    let (group, rest) = column(rest);
    assert!(!owner.is_empty() && !group.is_empty(), "{line:?}");
    let (size, rest) = column(rest);
    assert_eq!(size, entry.size.to_string().as_bytes(), "{line:?}");
    let (_month, rest) = column(rest);
    let (_day, rest) = column(rest);
    let (_time_or_year, name) = column(rest);
    let mut expected = entry.name.to_vec();
    if let (EntryKind::Symlink, Some(target)) = (entry.kind, entry.link_target) {
        expected.extend_from_slice(b" -> ");
        expected.extend_from_slice(target);
    }
    assert_eq!(name, expected, "{line:?}");
}

fn check_mlsx_line(line: &[u8], entry: &ListingEntry<'_>, facts: FactSet) {
    // Facts hold no space, so the first one ends them.
    let space = line.iter().position(|&b| b == b' ').expect("a space");
    let (mut rest, name) = (&line[..space], &line[space + 1..]);
    assert_eq!(name, entry.name, "{line:?}");
    let mut seen = Vec::new();
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|&b| b == b';')
            .expect("fact ends in ;");
        let fact = &rest[..end];
        rest = &rest[end + 1..];
        let eq = fact
            .iter()
            .position(|&b| b == b'=')
            .expect("factname=value");
        let (factname, value) = (&fact[..eq], &fact[eq + 1..]);
        assert!(!factname.is_empty(), "{line:?}");
        assert!(
            value.iter().all(|&b| b.is_ascii_graphic() && b != b';'),
            "{line:?}"
        );
        let value = std::str::from_utf8(value).expect("ASCII");
        let fact = match factname {
            b"type" => {
                let expected = match (entry.role, entry.kind) {
                    (DirRole::Current, _) => "cdir",
                    (DirRole::Parent, _) => "pdir",
                    (DirRole::Entry, EntryKind::Dir) => "dir",
                    (DirRole::Entry, EntryKind::File) => "file",
                    (DirRole::Entry, EntryKind::Symlink) => "OS.unix=symlink",
                };
                assert_eq!(value, expected);
                Fact::Type
            }
            b"size" => {
                assert_eq!(value.parse::<u64>().ok(), Some(entry.size));
                Fact::Size
            }
            b"modify" => {
                let modified = entry.modified.expect("modify only when known");
                let parsed = Timestamp::parse(value.as_bytes()).expect("a time-val");
                assert_eq!(parsed, modified.truncate_to_seconds());
                Fact::Modify
            }
            b"perm" => {
                assert_eq!(value, entry.perms.letters());
                Fact::Perm
            }
            b"unique" => {
                assert!(!value.is_empty());
                Fact::Unique
            }
            b"UNIX.mode" => {
                let mode = u32::from_str_radix(value, 8).expect("octal");
                assert_eq!(Some(mode), entry.mode);
                Fact::UnixMode
            }
            b"UNIX.owner" | b"UNIX.group" => {
                assert!(!value.is_empty());
                Fact::UnixOwner
            }
            other => panic!("unknown fact {other:?} in {line:?}"),
        };
        assert!(facts.contains(&fact), "fact not selected in {line:?}");
        seen.push(fact);
    }
    let size_expected = facts.contains(&Fact::Size) && entry.kind != EntryKind::Dir;
    assert_eq!(seen.contains(&Fact::Size), size_expected, "{line:?}");
    assert_eq!(seen.contains(&Fact::Type), facts.contains(&Fact::Type));
    assert_eq!(seen.contains(&Fact::Perm), facts.contains(&Fact::Perm));
}
