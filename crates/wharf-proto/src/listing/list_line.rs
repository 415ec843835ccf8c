//! `ls -l` lines for LIST and bare names for NLST.
//!
//! RFC 959 leaves LIST's format to the server; clients (FileZilla, WinSCP,
//! lftp, curl, browsers) parse the Unix `ls -l` layout, so that is what is
//! written:
//!
//! ```text
//! <mode> <links> <owner> <group> <size> <month> <day> <time-or-year> <name>
//! drwxr-xr-x    2 ftp      ftp          4096 Mar  7 14:05 photos
//! -rw-r--r--    1 ftp      ftp        123456 Dec 24  2019 notes.txt
//! lrwxrwxrwx    1 ftp      ftp             7 Mar  7 14:05 latest -> photos
//! ```
//!
//! As `ls` does, the time of day is shown for entries modified within six
//! months before now (and up to an hour ahead, for clock skew), the year
//! otherwise.

use std::borrow::Cow;
use std::io::Write as _;

use super::{EntryKind, ListingEntry, NameNotListable, Principal, check_name};
use crate::timestamp::Timestamp;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Half of an average Gregorian year, in seconds, as `ls` counts six months.
const SIX_MONTHS: i64 = 15_778_476;

/// Appends the `ls -l` line of `entry`, without `<CRLF>`. `now` decides
/// between time of day and year.
pub fn format_list_line(
    entry: &ListingEntry<'_>,
    now: Timestamp,
    out: &mut Vec<u8>,
) -> Result<(), NameNotListable> {
    check_name(entry.name)?;
    if let Some(target) = entry.link_target {
        check_name(target)?;
    }
    // Written straight into `out`: a listing of 10,000 entries formats
    // 10,000 lines (see `benches/listing.rs`).
    out.extend_from_slice(&mode_bytes(entry.kind, entry.mode));
    // Writing into a Vec cannot fail.
    let _ = write!(out, " {:>4}", entry.links);
    for principal in [entry.owner, entry.group] {
        let _ = match principal {
            Some(Principal::Id(id)) => write!(out, " {id:<8}"),
            Some(Principal::Name(name)) => write!(out, " {:<8}", printable(name)),
            None => write!(out, " {:<8}", "ftp"),
        };
    }
    let _ = write!(out, " {:>12} ", entry.size);
    match entry.modified {
        Some(modified) => write_date(modified, now, out),
        None => out.extend_from_slice(b"Jan  1  1970"),
    }
    out.push(b' ');
    out.extend_from_slice(entry.name);
    if let (EntryKind::Symlink, Some(target)) = (entry.kind, entry.link_target) {
        out.extend_from_slice(b" -> ");
        out.extend_from_slice(target);
    }
    Ok(())
}

/// Appends the NLST line of a name, without `<CRLF>`.
pub fn format_nlst_line(name: &[u8], out: &mut Vec<u8>) -> Result<(), NameNotListable> {
    check_name(name)?;
    out.extend_from_slice(name);
    Ok(())
}

/// Owner and group names without spaces or control bytes, so the columns
/// stay parseable; empty names become `ftp`.
fn printable(name: &str) -> Cow<'_, str> {
    if name.is_empty() {
        return Cow::Borrowed("ftp");
    }
    let bad = |c: char| c.is_whitespace() || c.is_control();
    if !name.contains(bad) {
        return Cow::Borrowed(name);
    }
    name.chars()
        .map(|c| if bad(c) { '_' } else { c })
        .collect::<String>()
        .into()
}

/// `drwxr-xr-x` and friends. Without a mode, directories get 0755, links
/// 0777 and files 0644.
fn mode_bytes(kind: EntryKind, mode: Option<u32>) -> [u8; 10] {
    let (type_char, default) = match kind {
        EntryKind::File => (b'-', 0o644),
        EntryKind::Dir => (b'd', 0o755),
        EntryKind::Symlink => (b'l', 0o777),
    };
    let mode = mode.unwrap_or(default);
    let mut s = [b'-'; 10];
    s[0] = type_char;
    // (read, write, execute bit, special bit, special letter) per class.
    let classes = [
        (0o400, 0o200, 0o100, 0o4000, b's'),
        (0o040, 0o020, 0o010, 0o2000, b's'),
        (0o004, 0o002, 0o001, 0o1000, b't'),
    ];
    for (i, (r, w, x, special, letter)) in classes.into_iter().enumerate() {
        let at = 1 + 3 * i;
        if mode & r != 0 {
            s[at] = b'r';
        }
        if mode & w != 0 {
            s[at + 1] = b'w';
        }
        s[at + 2] = match (mode & x != 0, mode & special != 0) {
            (true, true) => letter,
            (false, true) => letter.to_ascii_uppercase(),
            (true, false) => b'x',
            (false, false) => b'-',
        };
    }
    s
}

fn write_date(modified: Timestamp, now: Timestamp, out: &mut Vec<u8>) {
    let civil = modified.civil();
    let month = MONTHS[usize::from(civil.month.clamp(1, 12) - 1)];
    let age = now.unix_seconds() - modified.unix_seconds();
    // Writing into a Vec cannot fail.
    let _ = if (-3600..SIX_MONTHS).contains(&age) {
        write!(
            out,
            "{month} {:>2} {:02}:{:02}",
            civil.day, civil.hour, civil.minute
        )
    } else {
        write!(out, "{month} {:>2}  {}", civil.day, civil.year)
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::{ListingEntry, Perms};

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s.as_bytes()).unwrap()
    }

    fn line(entry: &ListingEntry<'_>, now: &str) -> String {
        let mut out = Vec::new();
        format_list_line(entry, ts(now), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn recent_file_shows_time_of_day() {
        let entry = ListingEntry {
            size: 689,
            modified: Some(ts("20240131222700")),
            mode: Some(0o644),
            ..ListingEntry::new(b"default.htm", EntryKind::File)
        };
        assert_eq!(
            line(&entry, "20240301000000"),
            "-rw-r--r--    1 ftp      ftp               689 Jan 31 22:27 default.htm"
        );
    }

    #[test]
    fn old_or_future_entries_show_the_year() {
        let entry = ListingEntry {
            modified: Some(ts("20190305080000")),
            ..ListingEntry::new(b"old dir", EntryKind::Dir)
        };
        assert_eq!(
            line(&entry, "20240301000000"),
            "drwxr-xr-x    1 ftp      ftp                 0 Mar  5  2019 old dir"
        );
        let future = ListingEntry {
            modified: Some(ts("20250101000000")),
            ..ListingEntry::new(b"f", EntryKind::File)
        };
        assert!(line(&future, "20240301000000").contains("Jan  1  2025 f"));
    }

    #[test]
    fn owners_with_spaces_keep_the_columns() {
        let entry = ListingEntry {
            owner: Some(Principal::Name("Domain Users")),
            group: Some(Principal::Name("")),
            ..ListingEntry::new(b"a.txt", EntryKind::File)
        };
        assert_eq!(
            line(&entry, "20240301000000"),
            "-rw-r--r--    1 Domain_Users ftp                 0 Jan  1  1970 a.txt"
        );
    }

    #[test]
    fn special_bits_and_links() {
        assert_eq!(&mode_bytes(EntryKind::File, Some(0o4755)), b"-rwsr-xr-x");
        assert_eq!(&mode_bytes(EntryKind::Dir, Some(0o1777)), b"drwxrwxrwt");
        assert_eq!(&mode_bytes(EntryKind::File, Some(0o2644)), b"-rw-r-Sr--");
        let link = ListingEntry {
            link_target: Some(b"photos"),
            perms: Perms::NONE,
            ..ListingEntry::new(b"latest", EntryKind::Symlink)
        };
        assert!(line(&link, "20240301000000").ends_with("latest -> photos"));
    }

    #[test]
    fn names_keep_any_byte_but_line_breaks() {
        let mut out = Vec::new();
        let entry = ListingEntry::new(b"caf\xc3\xa9 \xff", EntryKind::File);
        format_list_line(&entry, ts("20240301000000"), &mut out).unwrap();
        assert!(out.ends_with(b" caf\xc3\xa9 \xff"));
        let bad = ListingEntry::new(b"a\nb", EntryKind::File);
        assert_eq!(
            format_list_line(&bad, ts("20240301000000"), &mut out),
            Err(NameNotListable)
        );
        assert_eq!(format_nlst_line(b"x\ry", &mut out), Err(NameNotListable));
    }
}
